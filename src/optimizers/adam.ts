/** Adam (TF.js form) and AdamW (decoupled weight decay). */
import type { Backend, FloatArray } from '../backend/ops';
import type { Param } from '../training/contracts';
import { BaseOptimizer, type BaseOptimizerArgs } from './optimizer';

export interface AdamArgs extends BaseOptimizerArgs {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

export class Adam extends BaseOptimizer {
  readonly className: string;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  protected readonly stateNames = ['m', 'v'];
  constructor(args: AdamArgs = {}, decoupled = false) {
    const where = decoupled ? 'optimizers.adamw()' : 'optimizers.adam()';
    super(where, args, 0.001);
    this.decoupled = decoupled;
    this.className = decoupled ? 'AdamW' : 'Adam';
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-7;
    this.weightDecay = args.weightDecay ?? (decoupled ? 0.004 : 0);
    for (const [k, v] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`${where}: '${k}' must be in [0, 1), got ${v}`);
    }
  }
  protected update(b: Backend, p: Param, s: FloatArray[]): void {
    b.adamStep(
      p.value,
      p.grad,
      s[0],
      s[1],
      this.learningRate,
      this.beta1,
      this.beta2,
      this.epsilon,
      this.iterations + 1,
      this.weightDecay,
      this.decoupled,
    );
  }
  protected override async updateAsync(b: Backend, p: Param, s: FloatArray[]): Promise<void> {
    // Off the main thread only when it is worth a thread hop: a million parameters take ~1 ms.
    if (!b.adamStepAsync || p.value.length < 1 << 20) return this.update(b, p, s);
    await b.adamStepAsync(
      p.value,
      p.grad,
      s[0],
      s[1],
      this.learningRate,
      this.beta1,
      this.beta2,
      this.epsilon,
      this.iterations + 1,
      this.weightDecay,
      this.decoupled,
    );
  }
  protected ownConfig() {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }
}
