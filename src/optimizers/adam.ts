/** Adam (TF.js form) and AdamW (decoupled weight decay). */
import type { Backend, FloatArray } from '../backend/ops';
import type { Param } from '../training/contracts';
import { checkNumber } from '../training/options';
import { BaseOptimizer, type BaseOptimizerArgs } from './optimizer';

export interface AdamArgs extends BaseOptimizerArgs {
  /** Decay of the first moment, in [0, 1) (default 0.9). */
  beta1?: number;
  /** Decay of the second moment, in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to the denominator, > 0 (default 1e-7). */
  epsilon?: number;
  /** L2 folded into the gradient (Adam) or decoupled decay (AdamW, default 0.004), >= 0. */
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
    super(where, args, 0.001, ['beta1', 'beta2', 'epsilon', 'weightDecay']);
    this.decoupled = decoupled;
    this.className = decoupled ? 'AdamW' : 'Adam';
    this.beta1 = checkNumber(where, 'beta1', args.beta1, { min: 0, max: 1, maxExclusive: true }, 0.9);
    this.beta2 = checkNumber(where, 'beta2', args.beta2, { min: 0, max: 1, maxExclusive: true }, 0.999);
    this.epsilon = checkNumber(where, 'epsilon', args.epsilon, { min: 0, minExclusive: true }, 1e-7);
    this.weightDecay = checkNumber(where, 'weightDecay', args.weightDecay, { min: 0 }, decoupled ? 0.004 : 0);
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
