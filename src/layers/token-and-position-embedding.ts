/**
 * TokenAndPositionEmbedding (KerasNLP, keras_hub.layers.TokenAndPositionEmbedding): token ids [steps] →
 * token embedding + position embedding, [steps, embeddingDim]. Ids are checked as Embedding checks them (integers
 * in [0, vocabularySize)); with `maskZero`, id 0 is padding and the output carries a mask (layer.ts), which
 * transformer blocks use to mask padded keys and the loss to skip padded steps. Weights as Keras names them:
 * `<name>/token_embedding/embeddings [vocabularySize, embeddingDim]`, then `<name>/position_embedding/embeddings
 * [sequenceLength, embeddingDim]`, both from `embeddingsInitializer` (default 'uniform': ±0.05). KerasNLP's token
 * embedding can also project back to the vocabulary with the same table (tie_weights); backprop has only the
 * forward use, so tieWeights must stay true (no separate reverse table).
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import type { Initializer, Param } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import type { Rng } from '../random';
import { MAX_DIMENSION, type ConfigReader } from './config-reader';
import { Embedding, MAX_VOCABULARY } from './embedding';
import { allocParam, Layer, type LayerArgs, type WeightSpec } from './layer';
import type { LayerEntry } from './layer-entry';
import { addRows } from './position-embedding';
import { serializeInitializer } from './serialize';
import { shapeSize, type Shape } from './shape';

export interface TokenAndPositionEmbeddingArgs extends LayerArgs {
  /** Ids lie in [0, vocabularySize). */
  vocabularySize: number;
  /** The longest sequence: inputs are [steps] with steps ≤ sequenceLength. */
  sequenceLength: number;
  /** Size of each embedding vector. */
  embeddingDim: number;
  /** Initializer of both tables (default 'uniform', RandomUniform in [-0.05, 0.05], as KerasNLP). */
  embeddingsInitializer?: InitializerIdentifier;
  /** Id 0 is padding: the output carries a mask. Default false. */
  maskZero?: boolean;
  /** Only true (the default) is supported: the token table is not paired with a separate output projection. */
  tieWeights?: boolean;
}

export class TokenAndPositionEmbedding extends Layer {
  readonly className = 'TokenAndPositionEmbedding';
  readonly vocabularySize: number;
  readonly sequenceLength: number;
  readonly embeddingDim: number;
  readonly maskZero: boolean;
  readonly embeddingsInitializer: Initializer;
  private tokens?: Embedding;
  private position?: Param;

  constructor(args: TokenAndPositionEmbeddingArgs) {
    const where = 'layers.tokenAndPositionEmbedding()';
    super(args, where);
    const a = args ?? ({} as TokenAndPositionEmbeddingArgs);
    for (const [key, max] of [
      ['vocabularySize', MAX_VOCABULARY],
      ['sequenceLength', MAX_DIMENSION],
      ['embeddingDim', MAX_DIMENSION],
    ] as const) {
      const v = a[key];
      if (!Number.isSafeInteger(v) || v < 1 || v > max) {
        throw new Error(
          `${where}: '${key}' must be an integer in [1, ${max}], got ${String(v)}. ` +
            'Example: layers.tokenAndPositionEmbedding({ vocabularySize: 64, sequenceLength: 32, embeddingDim: 128 })',
        );
      }
    }
    this.vocabularySize = a.vocabularySize;
    this.sequenceLength = a.sequenceLength;
    this.embeddingDim = a.embeddingDim;
    for (const key of ['maskZero', 'tieWeights'] as const) {
      if (a[key] !== undefined && typeof a[key] !== 'boolean') {
        throw new Error(`${where}: '${key}' must be true or false, got ${String(a[key])}`);
      }
    }
    if (a.tieWeights === false) {
      throw new Error(`${where}: 'tieWeights: false' (a separate reverse projection table) is not supported`);
    }
    this.maskZero = a.maskZero ?? false;
    this.embeddingsInitializer = getInitializer(a.embeddingsInitializer ?? 'uniform');
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1) this.badInput(inputShape, 'expected [steps] token ids');
    if (inputShape[0] > this.sequenceLength) {
      this.badInput(inputShape, `${inputShape[0]} steps exceed sequenceLength ${this.sequenceLength}`);
    }
    return [inputShape[0], this.embeddingDim];
  }

  override weightSpecs(): WeightSpec[] {
    return [
      {
        name: 'token_embedding/embeddings',
        shape: [this.vocabularySize, this.embeddingDim],
        trainable: true,
        initializer: this.embeddingsInitializer,
      },
      {
        name: 'position_embedding/embeddings',
        shape: [this.sequenceLength, this.embeddingDim],
        trainable: true,
        initializer: this.embeddingsInitializer,
      },
    ];
  }

  /** The output and the token embedding's buffers (output, dx, ids and, with maskZero, the mask). */
  override stepBufferValues(inputShape: Shape): number {
    const n = shapeSize(inputShape);
    return 2 * shapeSize(this.computeOutputShape(inputShape)) + 2 * n + (this.maskZero ? n : 0);
  }

  override build(inputShape: Shape, dtype: DType, rng: Rng): void {
    const outputShape = this.computeOutputShape(inputShape);
    this.dtype = dtype;
    this.inputShape = [...inputShape];
    this.outputShape = [...outputShape];
    this.resetBuffers();
    const scope = this.weightScope ?? this.name;
    const tokens = new Embedding({
      name: 'token_embedding',
      inputDim: this.vocabularySize,
      outputDim: this.embeddingDim,
      embeddingsInitializer: this.embeddingsInitializer,
      maskZero: this.maskZero,
    });
    tokens.weightScope = `${scope}/token_embedding`;
    tokens.trainable = this.trainable;
    tokens.build(inputShape, dtype, rng);
    const spec = this.weightSpecs()[1];
    const position = allocParam(`${scope}/${spec.name}`, spec.shape, dtype, true);
    spec.initializer.fill(position.value, position.shape, rng);
    this.tokens = tokens;
    this.position = position;
    this.built = true;
  }

  /** The token embedding inside (an Embedding named 'token_embedding'), once built. */
  get tokenEmbedding(): Embedding {
    if (!this.tokens) throw new Error(`${this.describe()} is not built yet`);
    return this.tokens;
  }

  /** The position table (`<name>/position_embedding/embeddings`), once built. */
  get positionTable(): Param {
    if (!this.position) throw new Error(`${this.describe()} is not built yet`);
    return this.position;
  }

  override weights(): Param[] {
    return this.tokens && this.position ? [...this.tokens.weights(), this.position] : [];
  }

  override params(): Param[] {
    return this.trainable ? this.weights() : [];
  }

  override macsPerSample(): number {
    return this.built ? 2 * this.outputSize : 0;
  }

  override maskFlow(): boolean {
    return this.maskZero;
  }

  override outputMask(): FloatArray | null {
    return this.tokens!.outputMask();
  }

  forward(b: Backend, x: FloatArray, rows: number): FloatArray {
    const t = this.tokens!.forward(b, x, rows);
    const [y] = this.buffers(rows, [this.outputSize]);
    const n = this.outputSize;
    const pos = this.position!.value;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) y[o + j] = t[o + j] + pos[j];
    }
    return y;
  }

  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    const dx = this.tokens!.backward(b, dy, rows, needDx);
    if (this.trainable) addRows(this.position!.grad, dy, rows, this.outputSize, true);
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      vocabularySize: this.vocabularySize,
      sequenceLength: this.sequenceLength,
      embeddingDim: this.embeddingDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      tieWeights: true,
      maskZero: this.maskZero,
    };
  }
}

export const tokenAndPositionEmbeddingEntry: LayerEntry = {
  className: 'TokenAndPositionEmbedding',
  notInTfjs: "one of KerasNLP's layers",
  fromConfig(c: ConfigReader): TokenAndPositionEmbedding {
    if (c.has('tieWeights') && !c.bool('tieWeights')) {
      c.fail('tieWeights', 'false (a separate reverse projection table) is not supported');
    }
    return new TokenAndPositionEmbedding({
      ...c.layerArgs(),
      vocabularySize: c.int('vocabularySize', 1, MAX_VOCABULARY),
      sequenceLength: c.int('sequenceLength', 1, MAX_DIMENSION),
      embeddingDim: c.int('embeddingDim', 1, MAX_DIMENSION),
      embeddingsInitializer: c.initializer('embeddingsInitializer', 'uniform'),
      maskZero: c.bool('maskZero', false),
    });
  },
};
