/**
 * InputLayer and `bp.input()`: where a functional model's data enters. `bp.input({ shape })` makes an InputLayer
 * and returns its symbolic output, which layers are applied to. An input may be of dtype int32 (token ids for an
 * Embedding, class indices): the model checks such data is integral and computes in its float dtype.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { GraphNode, SymbolicTensor, type SymbolicDType } from '../autodiff/symbolic';
import { Layer } from './layer';
import { checkShape, type Shape } from './shape';

export interface InputArgs {
  /** Shape of one sample, without the batch axis: `[784]`, `[28, 28, 1]`, `[20]` token ids. */
  shape?: number[];
  /** `[null, ...shape]` (the batch size must be null: any batch size works). */
  batchShape?: (number | null)[];
  /** 'float32' (default), 'float64' or 'int32'. */
  dtype?: SymbolicDType;
  /** Name of the input (and of its InputLayer); defaults to `input_<n>`. Data can be given by this name. */
  name?: string;
  /** Only false: sparse inputs are not supported. */
  sparse?: boolean;
}

export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  readonly sampleShape: Shape;
  readonly inputDtype: SymbolicDType;

  constructor(args: InputArgs) {
    const where = 'input()';
    if (!args || typeof args !== 'object' || Array.isArray(args)) {
      throw new Error(`${where}: expected an options object such as { shape: [32] }`);
    }
    for (const k of Object.keys(args)) {
      if (!['shape', 'batchShape', 'dtype', 'name', 'sparse'].includes(k)) {
        throw new Error(`${where}: unknown option '${k.slice(0, 64)}'; options are shape, batchShape, dtype, name`);
      }
    }
    super({ name: args.name }, where);
    if ((args.shape === undefined) === (args.batchShape === undefined)) {
      throw new Error(`${where}: give exactly one of 'shape' (e.g. shape: [32]) and 'batchShape' ([null, 32])`);
    }
    let shape: number[];
    if (args.batchShape !== undefined) {
      const b = args.batchShape;
      if (!Array.isArray(b) || b.length < 2 || b[0] !== null) {
        throw new Error(`${where}: 'batchShape' must be [null, ...shape] (any batch size), got ${JSON.stringify(b)}`);
      }
      shape = checkShape(where, 'batchShape', b.slice(1));
    } else shape = checkShape(where, 'shape', args.shape);
    const dtype = args.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
      throw new Error(`${where}: 'dtype' must be 'float32', 'float64' or 'int32', got ${JSON.stringify(dtype)}`);
    }
    if (args.sparse !== undefined && args.sparse !== false) {
      throw new Error(`${where}: sparse inputs are not supported ('sparse' must be false)`);
    }
    this.sampleShape = shape;
    this.inputDtype = dtype;
    const node = new GraphNode(this, [], 0, false);
    node.outputs.push(new SymbolicTensor(shape, dtype, node, 0));
    this.inboundNodes.push(node);
    this.built = true;
  }

  computeOutputShape(): Shape {
    return this.sampleShape;
  }

  override get outputShape(): Shape {
    return this.sampleShape;
  }
  override set outputShape(_v: Shape | undefined) {
    // fixed at construction
  }

  forward(_b: Backend, x: FloatArray): FloatArray {
    return x;
  }

  backward(_b: Backend, dy: FloatArray): FloatArray | null {
    return dy;
  }

  override getConfig(): Record<string, unknown> {
    return { batchInputShape: [null, ...this.sampleShape], dtype: this.inputDtype, sparse: false, name: this.name };
  }
}

/**
 * A model input: the symbolic tensor layers are applied to, as `tf.input`.
 * @example
 * const features = bp.input({ shape: [32], name: 'features' });
 * const tokens = bp.input({ shape: [20], dtype: 'int32', name: 'tokens' });
 */
export function input(args: InputArgs): SymbolicTensor {
  return new InputLayer(args).output as SymbolicTensor;
}
