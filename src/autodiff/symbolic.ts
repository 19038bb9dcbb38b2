/**
 * Symbolic tensors: what `bp.input()` and `layer.apply()` return in the functional API. A symbolic tensor holds
 * no values, only its shape (`[null, ...sample]`, the batch axis unknown), dtype and where it comes from: output
 * `index` of a graph node, one call of a layer on other symbolic tensors. Applying a layer records a node and
 * builds nothing; a model (`bp.model({ inputs, outputs })`) later compiles the nodes between its inputs and
 * outputs into a plan. This file sits below the layers (backend ← autodiff ← layers ← model), so the callee of a
 * node is known here only by the little a graph needs of it.
 */

/** The dtype of a symbolic tensor: float values, or int32 (token ids, class indices) for inputs. */
export type SymbolicDType = 'float32' | 'float64' | 'int32';

/** What a node knows of the layer (or model) it calls. */
export interface NodeCallee {
  readonly className: string;
  readonly name: string;
}

/** One call of a layer (or nested model) on symbolic inputs: `layer.apply(inputs)`. */
export class GraphNode {
  readonly outputs: SymbolicTensor[] = [];

  constructor(
    readonly callee: NodeCallee,
    readonly inputs: readonly SymbolicTensor[],
    /** Which call of the callee this is (Keras' node index: 0 for the first call). */
    readonly index: number,
    /** Whether the layer was applied to a list (`apply([x])`), as Keras records it in files. */
    readonly listCall: boolean,
  ) {}
}

let tensorCounter = 0;

export class SymbolicTensor {
  /** Unique id, in order of creation (used only for stable maps, never for execution order). */
  readonly id = ++tensorCounter;

  constructor(
    /** Per-sample shape (without the batch axis). */
    readonly sampleShape: readonly number[],
    readonly dtype: SymbolicDType,
    /** The node that computes this tensor. */
    readonly node: GraphNode,
    /** Which of the node's outputs this is. */
    readonly index: number,
  ) {}

  /** `[null, ...sampleShape]`: the batch size is not known until data arrives. */
  get shape(): (number | null)[] {
    return [null, ...this.sampleShape];
  }

  get rank(): number {
    return this.sampleShape.length + 1;
  }

  /** `dense_1/0` (`layer/node index`, plus `:index` for a layer's further outputs), for messages. */
  get name(): string {
    const n = this.node;
    return `${n.callee.name || n.callee.className}/${n.index}${this.index ? `:${this.index}` : ''}`;
  }

  toString(): string {
    return `SymbolicTensor ${this.name} [${this.shape.map((d) => (d === null ? 'null' : d)).join(', ')}] ${this.dtype}`;
  }
}

/** True for a symbolic tensor (of this library). */
export function isSymbolic(x: unknown): x is SymbolicTensor {
  return x instanceof SymbolicTensor;
}
