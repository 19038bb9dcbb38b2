/** AdaGrad (TF.js form, accumulator starting at initialAccumulatorValue). */
import type { Backend, FloatArray } from '../backend/ops';
import type { Param } from '../training/contracts';
import { checkNumber } from '../training/options';
import { BaseOptimizer, type BaseOptimizerArgs } from './optimizer';

export interface AdagradArgs extends BaseOptimizerArgs {
  /** Starting value of the squared-gradient accumulator, >= 0 (default 0.1). */
  initialAccumulatorValue?: number;
  /** > 0 (default 1e-7). */
  epsilon?: number;
  /** L2 folded into the gradient, >= 0. */
  weightDecay?: number;
}

export class Adagrad extends BaseOptimizer {
  readonly className = 'Adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  protected readonly stateNames = ['accumulator'];
  constructor(args: AdagradArgs = {}) {
    const where = 'optimizers.adagrad()';
    super(where, args, 0.01, ['initialAccumulatorValue', 'epsilon', 'weightDecay']);
    this.initialAccumulatorValue = checkNumber(
      where,
      'initialAccumulatorValue',
      args.initialAccumulatorValue,
      { min: 0 },
      0.1,
    );
    this.epsilon = checkNumber(where, 'epsilon', args.epsilon, { min: 0, minExclusive: true }, 1e-7);
    this.weightDecay = checkNumber(where, 'weightDecay', args.weightDecay, { min: 0 }, 0);
  }
  protected override initialStateValue(): number {
    return this.initialAccumulatorValue;
  }
  protected update(b: Backend, p: Param, s: FloatArray[]): void {
    b.adagradStep(p.value, p.grad, s[0], this.learningRate, this.epsilon, this.weightDecay);
  }
  protected ownConfig() {
    return {
      initialAccumulatorValue: this.initialAccumulatorValue,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
  }
}
