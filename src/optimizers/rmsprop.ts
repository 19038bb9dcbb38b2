/** RMSprop (TF.js form: w -= lr·g/√(ms + ε)). */
import type { Backend, FloatArray } from '../backend/ops';
import type { Param } from '../training/contracts';
import { BaseOptimizer, type BaseOptimizerArgs } from './optimizer';

export interface RmspropArgs extends BaseOptimizerArgs {
  rho?: number;
  epsilon?: number;
  weightDecay?: number;
}

export class RMSProp extends BaseOptimizer {
  readonly className = 'RMSProp';
  readonly rho: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  protected readonly stateNames = ['rms'];
  constructor(args: RmspropArgs = {}) {
    super('optimizers.rmsprop()', args, 0.001);
    this.rho = args.rho ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-7;
    this.weightDecay = args.weightDecay ?? 0;
    if (!(this.rho >= 0 && this.rho < 1))
      throw new Error(`optimizers.rmsprop(): 'rho' must be in [0, 1), got ${args.rho}`);
  }
  protected update(b: Backend, p: Param, s: FloatArray[]): void {
    b.rmspropStep(p.value, p.grad, s[0], this.learningRate, this.rho, this.epsilon, this.weightDecay);
  }
  protected ownConfig() {
    return { rho: this.rho, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }
}
