/**
 * The shared part of every optimizer: learning rate (a number or a schedule), gradient clipping by value
 * and by global norm, per-parameter state allocated once on the first step, the step counter, and state
 * save/restore. Subclasses implement one fused backend call per parameter.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { floatArrayLike } from '../backend/memory';
import type { Optimizer, Param } from '../training/contracts';
import { checkKeys, checkNumber } from '../training/options';
import { getSchedule, serializeSchedule, type Schedule } from './schedules';

export interface BaseOptimizerArgs {
  /**
   * A number, or a schedule evaluated at each step (bp.optimizers.exponentialDecay(...), or its saved form
   * `{ className: 'ExponentialDecay', config: {...} }`).
   */
  learningRate?: number | Schedule | { className: string; config?: Record<string, unknown> };
  /** Clip each gradient element to [-clipValue, clipValue] before the update. */
  clipValue?: number;
  /** Scale all gradients down so their global L2 norm is at most clipNorm. */
  clipNorm?: number;
}

export abstract class BaseOptimizer implements Optimizer {
  abstract readonly className: string;
  iterations = 0;
  readonly clipValue?: number;
  readonly clipNorm?: number;
  readonly schedule?: Schedule;
  private lr: number;
  /** Per-param state arrays, by param name, in `stateNames` order. */
  protected state = new Map<string, FloatArray[]>();
  protected abstract readonly stateNames: string[];

  get slotsPerParameter(): number {
    return this.stateNames.length;
  }

  constructor(where: string, args: BaseOptimizerArgs, defaultLr: number, ownKeys: readonly string[]) {
    checkKeys(where, args, ['learningRate', 'clipValue', 'clipNorm', ...ownKeys]);
    const lr = args.learningRate ?? defaultLr;
    if (typeof lr === 'object' && lr !== null) {
      try {
        this.schedule = getSchedule(lr);
      } catch (e) {
        throw new Error(`${where}: 'learningRate': ${(e as Error).message}`);
      }
      this.lr = this.schedule.at(0);
    } else {
      this.lr = checkNumber(where, 'learningRate', lr, { min: 0 });
    }
    const positive = { min: 0, minExclusive: true };
    if (args.clipValue !== undefined) this.clipValue = checkNumber(where, 'clipValue', args.clipValue, positive);
    if (args.clipNorm !== undefined) this.clipNorm = checkNumber(where, 'clipNorm', args.clipNorm, positive);
  }

  get learningRate(): number {
    return this.lr;
  }
  set learningRate(v: number) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new Error(`optimizer: learningRate must be a finite number >= 0, got ${v}`);
    this.lr = v;
  }

  protected stateFor(p: Param): FloatArray[] {
    let s = this.state.get(p.name);
    if (!s) {
      s = this.stateNames.map(() => floatArrayLike(p.value).fill(this.initialStateValue()));
      this.state.set(p.name, s);
    }
    return s;
  }
  protected initialStateValue(): number {
    return 0;
  }

  step(b: Backend, params: Param[]): void {
    this.prepare(b, params);
    for (const p of params) this.update(b, p, this.stateFor(p));
    this.iterations++;
  }

  async stepAsync(b: Backend, params: Param[]): Promise<void> {
    this.prepare(b, params);
    for (const p of params) await this.updateAsync(b, p, this.stateFor(p));
    this.iterations++;
  }

  /** Large parameters may be updated off the main thread (Adam on the native backend). */
  protected async updateAsync(b: Backend, p: Param, state: FloatArray[]): Promise<void> {
    this.update(b, p, state);
  }

  countStep(): void {
    this.iterations++;
  }

  /** The learning rate for the coming step (from the schedule when there is one). */
  protected applySchedule(): void {
    if (this.schedule) this.lr = this.schedule.at(this.iterations);
  }

  /** Schedule, then clipping by value and by global norm. */
  private prepare(b: Backend, params: Param[]): void {
    this.applySchedule();
    if (this.clipValue !== undefined) for (const p of params) b.clip(p.grad, -this.clipValue, this.clipValue);
    if (this.clipNorm !== undefined) {
      let sq = 0;
      for (const p of params) sq += b.sumSquares(p.grad);
      const norm = Math.sqrt(sq);
      if (norm > this.clipNorm) for (const p of params) b.scale(p.grad, this.clipNorm / norm);
    }
  }

  protected abstract update(b: Backend, p: Param, state: FloatArray[]): void;
  protected abstract ownConfig(): Record<string, unknown>;

  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      learningRate: this.schedule ? serializeSchedule(this.schedule) : this.lr,
      ...this.ownConfig(),
    };
    if (this.clipValue !== undefined) c.clipValue = this.clipValue;
    if (this.clipNorm !== undefined) c.clipNorm = this.clipNorm;
    return c;
  }

  getWeights(): { name: string; value: FloatArray }[] {
    const out: { name: string; value: FloatArray }[] = [];
    for (const [param, arrays] of this.state)
      arrays.forEach((value, i) => out.push({ name: `${param}/${this.stateNames[i]}`, value }));
    return out;
  }

  setWeights(params: Param[], weights: { name: string; value: FloatArray }[]): void {
    const byName = new Map(weights.map((w) => [w.name, w.value]));
    const next = new Map<string, FloatArray[]>();
    for (const p of params) {
      const arrays = this.stateNames.map((s) => {
        const v = byName.get(`${p.name}/${s}`);
        if (!v) throw new Error(`optimizer state '${p.name}/${s}' is missing`);
        if (v.length !== p.value.length)
          throw new Error(
            `optimizer state '${p.name}/${s}' has ${v.length} values but '${p.name}' has ${p.value.length}`,
          );
        const a = floatArrayLike(p.value);
        a.set(v);
        byName.delete(`${p.name}/${s}`);
        return a;
      });
      next.set(p.name, arrays);
    }
    if (byName.size)
      throw new Error(`optimizer state for unknown parameters: ${[...byName.keys()].slice(0, 5).join(', ')}`);
    this.state = next;
  }
}
