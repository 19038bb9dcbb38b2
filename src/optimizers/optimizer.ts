/**
 * The shared part of every optimizer: learning rate (a number or a schedule), gradient clipping by value
 * and by global norm, per-parameter state allocated once on the first step, the step counter, and state
 * save/restore. Subclasses implement one fused backend call per parameter.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { floatArrayLike } from '../backend/memory';
import type { GradientTensor, Optimizer, Param } from '../training/contracts';
import { backend } from '../backend/select';
import { variableGrads } from '../autodiff/gradients';
import type { Tensor, Variable } from '../autodiff/tensor';
import { variableNamed, variablesOf } from '../autodiff/variables';
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

  /**
   * One step with the given gradients, as TF.js's applyGradients: `{ [variableName]: gradient }` (what
   * bp.variableGrads returns) or `[{ name, tensor }]`. Each name must be a live variable (bp.variable, or a weight
   * from model.trainableWeights); the gradient, a tensor of its shape. Clipping and the schedule apply as in fit.
   * @example const { grads } = bp.variableGrads(() => loss()); optimizer.applyGradients(grads);
   */
  applyGradients(grads: Record<string, GradientTensor> | { name: string; tensor: GradientTensor }[]): void {
    const who = `${this.className} applyGradients()`;
    if (!grads || typeof grads !== 'object') throw new Error(`${who}: expected { [variableName]: gradient }`);
    const entries: [string, GradientTensor][] = Array.isArray(grads)
      ? grads.map((g, i) => {
          if (!g || typeof g.name !== 'string') throw new Error(`${who}: entry ${i} must be { name, tensor }`);
          return [g.name, g.tensor];
        })
      : Object.entries(grads);
    const owners = Array.isArray(grads) ? undefined : variablesOf(grads);
    const params = entries.map(([name, g]) => {
      const v = owners?.get(name) ?? variableNamed(name);
      if (!v) throw new Error(`${who}: no variable named '${name}' (give variables' own names, as variableGrads does)`);
      if (!g || !(g.data instanceof Float32Array || g.data instanceof Float64Array) || !Array.isArray(g.shape)) {
        throw new Error(`${who}: the gradient of '${name}' must be a tensor`);
      }
      if (g.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`${who}: the gradient of '${name}' has shape [${g.shape}] but the variable has [${v.shape}]`);
      }
      const p = paramOf(v);
      p.grad.set(g.data);
      return p;
    });
    this.step(backend(), params);
  }

  /**
   * Minimizes f (a function returning a scalar tensor) by one step: its gradient with respect to `varList` (default:
   * the trainable variables it uses), then applyGradients. Returns the value when `returnCost`, as TF.js.
   * @example for (let i = 0; i < 100; i++) optimizer.minimize(() => bp.ops.mean(bp.ops.square(bp.ops.sub(w, 3))));
   */
  minimize(f: () => Tensor, returnCost = false, varList?: Variable[]): Tensor | null {
    const { value, grads } = variableGrads(f, varList);
    this.applyGradients(grads);
    return returnCost ? value : null;
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

const paramsOfVariables = new WeakMap<Variable, Param>();

/**
 * The parameter an optimizer updates for a variable: a model weight's own (so fit and applyGradients share optimizer
 * state), else one over the variable's values with a gradient array of its own.
 */
function paramOf(v: Variable): Param {
  const w = v.weight as (Param & { name?: string }) | undefined;
  if (w && typeof w.name === 'string' && w.grad && w.grad.length === v.size) return w;
  let p = paramsOfVariables.get(v);
  if (!p) {
    const grad = floatArrayLike(v.data);
    p = {
      name: v.name,
      shape: [...v.shape],
      get value() {
        return v.data;
      },
      grad,
    } as Param;
    paramsOfVariables.set(v, p);
  }
  return p;
}
