/**
 * Automatic differentiation: bp.ops (tensor ops with gradients), the eager gradient functions (bp.grad & co.),
 * variables, and (internal) tracing functions into static programs.
 */
import './grad-table';

export * as ops from './ops';
export { Tensor, Variable } from './tensor';
export type { TensorLike, NestedNumbers } from './tensor';
export { grad, grads, valueAndGrad, valueAndGrads, variableGrads, customGrad, variable } from './gradients';
export type { CustomGradResult } from './gradients';
export type { TapeNode } from './tape-node';
export { recordNode } from './tape';
