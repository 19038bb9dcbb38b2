/**
 * The unit of reverse-mode differentiation: anything that read some tensors, produced others, and can map the
 * gradients of its outputs to the gradients of its inputs (its vector-Jacobian product). An op is one (its VJP
 * comes from the gradient table), a `bp.customGrad` function is one (its VJP is the user's gradFunc), and a layer
 * or a whole model call can be one (its VJP its hand-written backward). The eager tape (tape.ts) records them over
 * concrete tensors; a traced program's forward nodes are them over traced tensors, and differentiating a program
 * walks them the same way (backprop.ts).
 */
import type { Tensor } from './tensor';

export interface TapeNode {
  /** The tensors the node read that gradients may flow to (in the order vjp returns their gradients). */
  readonly inputs: readonly Tensor[];
  /** The tensors it produced. */
  readonly outputs: readonly Tensor[];
  /**
   * Given dL/d(output) for each output (null where no gradient reached it), dL/d(input) for each input (null for
   * none: an input the output does not depend on, or one gradients do not flow to, such as indices). Computed with
   * bp.ops, so it can be recorded or traced in turn. Each gradient has its input's shape and dtype.
   */
  vjp(dys: readonly (Tensor | null)[]): readonly (Tensor | null)[];
}
