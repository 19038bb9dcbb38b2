/** AdaGrad (TF.js form, accumulator starting at initialAccumulatorValue). */
import type { Backend, FloatArray } from '../backend/ops';
import type { Param } from '../training/contracts';
import { BaseOptimizer, type BaseOptimizerArgs } from './optimizer';

export interface AdagradArgs extends BaseOptimizerArgs {
  initialAccumulatorValue?: number;
  epsilon?: number;
  weightDecay?: number;
}

export class Adagrad extends BaseOptimizer {
  readonly className = 'Adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  protected readonly stateNames = ['accumulator'];
  constructor(args: AdagradArgs = {}) {
    super('optimizers.adagrad()', args, 0.01);
    this.initialAccumulatorValue = args.initialAccumulatorValue ?? 0.1;
    this.epsilon = args.epsilon ?? 1e-7;
    this.weightDecay = args.weightDecay ?? 0;
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
