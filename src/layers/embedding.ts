/**
 * Embedding (TF.js Layers): integer token ids in [0, inputDim) → rows of the table `embeddings`
 * [inputDim, outputDim]; inputs of shape [steps] (or any shape) give [steps, outputDim] (shape + [outputDim]).
 * Ids arrive as the model's float inputs: each must be an integer in range (an error names the sample and the
 * position otherwise). With `maskZero`, id 0 is padding: the output carries a mask (layer.ts) so later
 * recurrent layers skip those steps and the loss ignores them.
 *
 * The gradient is sparse: backward adds into the rows the batch used only, and records them (Param.sparse)
 * so plain SGD updates only those rows; other optimizers see the ordinary dense gradient.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { Initializer, Param, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { MAX_DIMENSION, type ConfigReader } from './config-reader';
import { Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { serializeInitializer, serializeRegularizer } from './serialize';
import { shapeSize, type Shape } from './shape';
import { preview } from '../quote';

/** Float32 inputs hold integers exactly up to 2^24, so that is the largest vocabulary. */
export const MAX_VOCABULARY = 2 ** 24;

export interface EmbeddingArgs extends LayerArgs {
  /** Vocabulary size: ids lie in [0, inputDim). */
  inputDim: number;
  /** Size of each embedding vector. */
  outputDim: number;
  /** Default randomUniform in [-0.05, 0.05] (TF.js). */
  embeddingsInitializer?: InitializerIdentifier;
  embeddingsRegularizer?: RegularizerIdentifier;
  /** Id 0 is padding: the output carries a mask that later layers and the loss honour. Default false. */
  maskZero?: boolean;
  /** Length of the input sequences (sets inputShape to [inputLength] when no input shape is given). */
  inputLength?: number | number[];
}

export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputLength: number | number[] | null;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer?: Regularizer;
  private readonly idBuffers = new Map<number, Int32Array>();
  private masks = new Map<number, FloatArray>();
  private lastIds?: Int32Array;
  private lastRows = 0;

  constructor(args: EmbeddingArgs) {
    const where = 'layers.embedding()';
    const a = args ?? ({} as EmbeddingArgs);
    const length = a.inputLength;
    const lengthShape = length === undefined || length === null ? undefined : Array.isArray(length) ? length : [length];
    // 'inputDim' is the vocabulary here, not the LayerArgs shorthand for the input shape.
    const base: LayerArgs = { name: a.name, trainable: a.trainable, inputShape: a.inputShape };
    if (a.batchInputShape !== undefined) base.batchInputShape = a.batchInputShape;
    if (lengthShape && a.inputShape === undefined && a.batchInputShape === undefined) base.inputShape = lengthShape;
    super(base, where);
    for (const [key, max] of [
      ['inputDim', MAX_VOCABULARY],
      ['outputDim', MAX_DIMENSION],
    ] as const) {
      const v = a[key];
      if (!Number.isSafeInteger(v) || v < 1 || v > max) {
        throw new Error(
          `${where}: '${key}' must be an integer in [1, ${max}], got ${preview(v)}. ` +
            `Example: layers.embedding({ inputDim: 10000, outputDim: 64 })`,
        );
      }
    }
    this.inputDim = a.inputDim;
    this.outputDim = a.outputDim;
    if (a.maskZero !== undefined && typeof a.maskZero !== 'boolean') {
      throw new Error(`${where}: 'maskZero' must be true or false, got ${String(a.maskZero)}`);
    }
    this.maskZero = a.maskZero ?? false;
    this.inputLength = length ?? null;
    this.embeddingsInitializer = getInitializer(a.embeddingsInitializer ?? 'randomUniform');
    if (a.embeddingsRegularizer) this.embeddingsRegularizer = getRegularizer(a.embeddingsRegularizer);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (this.maskZero && inputShape.length !== 1) {
      this.badInput(inputShape, 'with maskZero the input must be [steps] (one token id per step)');
    }
    return [...inputShape, this.outputDim];
  }

  override weightSpecs(): WeightSpec[] {
    return [
      {
        name: 'embeddings',
        shape: [this.inputDim, this.outputDim],
        trainable: true,
        initializer: this.embeddingsInitializer,
        regularizer: this.embeddingsRegularizer,
      },
    ];
  }

  /** The output, dx, the token ids and (maskZero) the mask. */
  override stepBufferValues(inputShape: Shape): number {
    const n = shapeSize(inputShape);
    return shapeSize(this.computeOutputShape(inputShape)) + n + n + (this.maskZero ? n : 0);
  }

  override macsPerSample(): number {
    return this.built ? this.inputSize * this.outputDim : 0;
  }

  override maskFlow(): boolean {
    return this.maskZero;
  }

  override outputMask(): FloatArray | null {
    return this.maskZero ? this.masks.get(this.lastRows)! : null;
  }

  /** The ids of `rows` samples, each checked to be an integer in [0, inputDim). */
  private ids(x: FloatArray, rows: number): Int32Array {
    const n = rows * this.inputSize;
    let ids = this.idBuffers.get(rows);
    if (!ids) {
      ids = new Int32Array(n);
      this.idBuffers.set(rows, ids);
    }
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (!(Number.isInteger(v) && v >= 0 && v < this.inputDim)) {
        throw new Error(
          `${this.describe()}: input ${v} (sample ${Math.floor(i / this.inputSize)}, position ` +
            `${i % this.inputSize}) is not a token id: ids must be integers in [0, ${this.inputDim}) (inputDim)`,
        );
      }
      ids[i] = v;
    }
    return ids;
  }

  private maskFor(ids: Int32Array, rows: number): void {
    let m = this.masks.get(rows);
    if (!m) {
      m = floatArray(this.dtype, ids.length);
      this.masks.set(rows, m);
    }
    for (let i = 0; i < ids.length; i++) m[i] = ids[i] === 0 ? 0 : 1;
  }

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    const ids = this.ids(x, rows);
    this.lastIds = ids;
    this.lastRows = rows;
    if (this.maskZero) this.maskFor(ids, rows);
    const [out] = this.buffers(rows, [this.outputSize, this.inputSize]);
    b.embeddingForward(ids, this.weight('embeddings').value, out, ids.length, this.inputDim, this.outputDim);
    return out;
  }

  /** Ids are not differentiable: dx (when asked for, i.e. not the first layer) is zero. */
  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    if (this.params().length > 0) {
      const p: Param = this.weight('embeddings');
      const sparse = (p.sparse ??= { ids: this.lastIds!, clean: false });
      if (!sparse.clean) p.grad.fill(0);
      sparse.ids = this.lastIds!;
      sparse.clean = false;
      b.embeddingBackward(this.lastIds!, dy, p.grad, this.lastIds!.length, this.inputDim, this.outputDim);
    }
    if (!needDx) return null;
    const dx = this.buffers(rows, [this.outputSize, this.inputSize])[1];
    dx.fill(0);
    return dx;
  }

  protected override resetBuffers(): void {
    super.resetBuffers();
    this.idBuffers.clear();
    this.masks.clear();
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      embeddingsRegularizer: serializeRegularizer(this.embeddingsRegularizer),
      activityRegularizer: null,
      embeddingsConstraint: null,
      maskZero: this.maskZero,
      inputLength: this.inputLength,
    };
  }
}

export const embeddingEntry: LayerEntry = {
  className: 'Embedding',
  fromConfig(c: ConfigReader): Embedding {
    c.unsupported('activityRegularizer', 'embeddingsConstraint');
    let inputLength: number | number[] | undefined;
    if (c.has('inputLength')) {
      const v = c.get('inputLength');
      inputLength = Array.isArray(v) ? c.shape('inputLength') : c.int('inputLength', 1, MAX_DIMENSION);
    }
    const args = c.layerArgs();
    return new Embedding({
      ...args,
      inputDim: c.int('inputDim', 1, MAX_VOCABULARY),
      outputDim: c.int('outputDim', 1, MAX_DIMENSION),
      embeddingsInitializer: c.initializer('embeddingsInitializer', 'randomUniform'),
      embeddingsRegularizer: c.regularizer('embeddingsRegularizer'),
      maskZero: c.bool('maskZero', false),
      inputLength,
    });
  },
};
