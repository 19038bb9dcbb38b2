/** SGD, with optional momentum (Keras form) and Nesterov. */
import type { Backend, FloatArray } from '../backend/ops';
import type { FoldedSgd, Param } from '../training/contracts';
import { checkBoolean, checkNumber } from '../training/options';
import { BaseOptimizer, type BaseOptimizerArgs } from './optimizer';

export interface SgdArgs extends BaseOptimizerArgs {
  /** In [0, 1) (default 0: plain SGD). */
  momentum?: number;
  nesterov?: boolean;
  /** L2 weight decay folded into the gradient, >= 0. */
  weightDecay?: number;
}

export class SGD extends BaseOptimizer {
  readonly className: string;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  protected readonly stateNames: string[];
  constructor(args: SgdArgs = {}) {
    const where = 'optimizers.sgd()';
    super(where, args, 0.01, ['momentum', 'nesterov', 'weightDecay']);
    this.momentum = checkNumber(where, 'momentum', args.momentum, { min: 0, max: 1, maxExclusive: true }, 0);
    this.nesterov = checkBoolean(where, 'nesterov', args.nesterov, false);
    this.weightDecay = checkNumber(where, 'weightDecay', args.weightDecay, { min: 0 }, 0);
    this.className = this.momentum > 0 || this.nesterov ? 'Momentum' : 'SGD';
    this.stateNames = this.className === 'Momentum' ? ['velocity'] : [];
  }
  /**
   * Plain SGD is linear in the gradient, so dense layers fold it into their dW gemm
   * (W ← (1 − lr·wd)·W − lr·xᵀ·dz): no gradient buffer is written and no second pass reads the weights.
   * Clipping needs the whole gradient first, so it disables folding.
   */
  foldedSgd(): FoldedSgd | null {
    if (this.className !== 'SGD' || this.clipValue !== undefined || this.clipNorm !== undefined) return null;
    this.applySchedule();
    return { lr: this.learningRate, weightDecay: this.weightDecay };
  }

  protected update(b: Backend, p: Param, s: FloatArray[]): void {
    // Rows an Embedding's batch did not use have a zero gradient, so plain SGD leaves them exactly as they
    // are: update (and re-zero) only the used rows. Weight decay or a regularizer touch every row.
    if (p.sparse && this.className === 'SGD' && this.weightDecay === 0 && !p.regularizer && p.shape.length === 2) {
      const ids = p.sparse.ids;
      b.sparseSgdStep(ids, p.value, p.grad, ids.length, p.shape[0], p.shape[1], this.learningRate);
      p.sparse.clean = true;
      return;
    }
    if (this.className === 'Momentum')
      b.momentumStep(p.value, p.grad, s[0], this.learningRate, this.momentum, this.nesterov, this.weightDecay);
    else b.sgdStep(p.value, p.grad, this.learningRate, this.weightDecay);
  }
  protected ownConfig() {
    return { momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }
}
