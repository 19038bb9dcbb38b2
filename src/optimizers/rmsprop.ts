/** RMSprop (TF.js form: w -= lr·g/√(ms + ε)). */
import type { Backend, FloatArray } from '../backend/ops';
import type { Param } from '../training/contracts';
import { checkNumber } from '../training/options';
import { BaseOptimizer, type BaseOptimizerArgs } from './optimizer';

export interface RmspropArgs extends BaseOptimizerArgs {
  /** Decay of the mean square, in [0, 1) (default 0.9). */
  rho?: number;
  /** > 0 (default 1e-7). */
  epsilon?: number;
  /** L2 folded into the gradient, >= 0. */
  weightDecay?: number;
}

export class RMSProp extends BaseOptimizer {
  readonly className = 'RMSProp';
  readonly rho: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  protected readonly stateNames = ['rms'];
  constructor(args: RmspropArgs = {}) {
    const where = 'optimizers.rmsprop()';
    super(where, args, 0.001, ['rho', 'epsilon', 'weightDecay']);
    this.rho = checkNumber(where, 'rho', args.rho, { min: 0, max: 1, maxExclusive: true }, 0.9);
    this.epsilon = checkNumber(where, 'epsilon', args.epsilon, { min: 0, minExclusive: true }, 1e-7);
    this.weightDecay = checkNumber(where, 'weightDecay', args.weightDecay, { min: 0 }, 0);
  }
  protected update(b: Backend, p: Param, s: FloatArray[]): void {
    b.rmspropStep(p.value, p.grad, s[0], this.learningRate, this.rho, this.epsilon, this.weightDecay);
  }
  protected ownConfig() {
    return { rho: this.rho, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }
}
