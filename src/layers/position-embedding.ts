/**
 * PositionEmbedding (KerasNLP, keras_hub.layers.PositionEmbedding): a learned vector per position. For inputs
 * [steps, features] the output is the embeddings of positions 0..steps-1, [steps, features] (the input's values are
 * not read, only its shape: add the output to the input, as tokenAndPositionEmbedding does). `sequenceLength` is
 * the longest sequence it takes; the weight `embeddings` is [sequenceLength, features], glorotUniform by default.
 * As in KerasNLP, it does not take a masked input.
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { Initializer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { MAX_DIMENSION, type ConfigReader } from './config-reader';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer } from './serialize';
import type { Shape } from './shape';

export interface PositionEmbeddingArgs extends LayerArgs {
  /** The longest sequence: positions 0..sequenceLength-1 have an embedding. */
  sequenceLength: number;
  /** Initializer of the embeddings (default 'glorotUniform', as KerasNLP). */
  initializer?: InitializerIdentifier;
}

export class PositionEmbedding extends Layer {
  readonly className = 'PositionEmbedding';
  readonly sequenceLength: number;
  readonly initializer: Initializer;

  constructor(args: PositionEmbeddingArgs) {
    const where = 'layers.positionEmbedding()';
    super(args, where);
    const n = args?.sequenceLength;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_DIMENSION) {
      throw new Error(
        `${where}: 'sequenceLength' must be an integer in [1, ${MAX_DIMENSION}], got ${String(n)}. ` +
          'Example: layers.positionEmbedding({ sequenceLength: 64 })',
      );
    }
    this.sequenceLength = n;
    this.initializer = getInitializer(args.initializer ?? 'glorotUniform');
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) {
      this.badInput(inputShape, `expected [steps, features] sequences, got rank ${inputShape.length}`);
    }
    if (inputShape[0] > this.sequenceLength) {
      this.badInput(inputShape, `${inputShape[0]} steps exceed sequenceLength ${this.sequenceLength}`);
    }
    return inputShape;
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    return [
      {
        name: 'embeddings',
        shape: [this.sequenceLength, inputShape[1]],
        trainable: true,
        initializer: this.initializer,
      },
    ];
  }

  override macsPerSample(): number {
    return this.built ? this.outputSize : 0;
  }

  forward(_b: Backend, _x: FloatArray, rows: number): FloatArray {
    const [y] = this.buffers(rows, [this.outputSize, this.inputSize]);
    const n = this.outputSize;
    const table = this.weight('embeddings').value.subarray(0, n);
    for (let r = 0; r < rows; r++) y.set(table, r * n);
    return y;
  }

  /** The embeddings' gradient is dy summed over the batch; the input's is 0 (its values are not used). */
  backward(_b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (this.params().length > 0) addRows(this.weight('embeddings').grad, dy, rows, this.outputSize, true);
    if (!needDx) return null;
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    dx.fill(0);
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      sequenceLength: this.sequenceLength,
      initializer: serializeInitializer(this.initializer),
    };
  }
}

/**
 * grad[0..n) = Σ_r dy[r·n .. r·n + n) (or += when `overwrite` is false), the rest of grad zero when overwriting:
 * the gradient of a position table broadcast over the batch.
 */
export function addRows(grad: FloatArray, dy: FloatArray, rows: number, n: number, overwrite: boolean): void {
  if (overwrite) grad.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) grad[j] += dy[o + j];
  }
}

export const positionEmbeddingEntry: LayerEntry = {
  className: 'PositionEmbedding',
  notInTfjs: "one of KerasNLP's layers",
  fromConfig(c: ConfigReader): PositionEmbedding {
    return new PositionEmbedding({
      ...c.layerArgs(),
      sequenceLength: c.int('sequenceLength', 1, MAX_DIMENSION),
      initializer: c.initializer('initializer', 'glorotUniform'),
    });
  },
};
