/**
 * What KerasNLP's TransformerEncoder and TransformerDecoder (decoder-only use) share: a self-attention block and a
 * feed-forward block, each with a residual connection, a layer normalization and dropout. Post-norm (BERT, the
 * default): `x = LN(x + Drop(MHA(x)))`, `y = LN(x + Drop(Dense₂(act(Dense₁(x)))))`; pre-norm (`normalizeFirst`,
 * GPT-2): `x = x + Drop(MHA(LN(x)))`, `y = x + Drop(Dense₂(act(Dense₁(LN(x)))))`. The attention has `numHeads`
 * heads of `features / numHeads` values each (KerasNLP's key_dim), dropout of its probabilities at the same rate.
 *
 * Inputs are [steps, features] sequences; a padding mask (Embedding({ maskZero }), tokenAndPositionEmbedding({
 * maskZero })) masks padded keys for every query, and passes on to the output. The subclasses say how the mask
 * and causality enter the attention, the class name and the sub-layer names (which name the weights, as Keras
 * does: `<layer>/self_attention_layer/query/kernel`, `<layer>/feedforward_intermediate_dense/kernel`, ...).
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import { Binary } from '../backend/elementwise';
import type { Initializer, Param, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import { allocParam, Layer, type LayerArgs, type WeightSpec } from './layer';
import type { Rng } from '../random';
import { Dense } from './dense';
import { Dropout } from './dropout';
import { LayerNormalization } from './layer-normalization';
import { MAX_DIMENSION, type ConfigReader } from './config-reader';
import { MultiHeadAttentionCore, type AttentionDims, type AttentionMasks } from './multi-head-attention-core';
import { resolveActivation, type ActivationIdentifier } from './activation-names';
import type { ActivationName } from '../backend/ops';
import { serializeInitializer, serializeRegularizer } from './serialize';
import { formatShape, shapeSize, type Shape } from './shape';

/** An empty chain of unary steps (the residual sums apply none). */
const NO_CODES = new Int32Array(0);

/** Most heads a transformer block takes (a bound for hostile configs, far above any real model). */
export const MAX_HEADS = 4096;

export interface TransformerBlockArgs extends LayerArgs {
  /** Hidden size of the feed-forward network. */
  intermediateDim: number;
  /** Attention heads; each has features / numHeads values (at least 1). */
  numHeads: number;
  /** Dropout rate of the attention probabilities, the attention output and the feed-forward output (default 0). */
  dropout?: number;
  /** Activation of the feed-forward network's hidden layer (default 'relu'). */
  activation?: ActivationIdentifier;
  /** Epsilon of the layer normalizations (default 1e-5, as KerasNLP). */
  layerNormEpsilon?: number;
  /** Kernel initializer of the attention and feed-forward layers (default 'glorotUniform'). */
  kernelInitializer?: InitializerIdentifier;
  /** Bias initializer of the attention and feed-forward layers (default 'zeros'). */
  biasInitializer?: InitializerIdentifier;
  /** Normalize the inputs of the attention and feed-forward blocks (GPT-2) instead of their outputs (BERT). */
  normalizeFirst?: boolean;
}

/** The sub-layer names, which name the weights. */
export interface BlockNames {
  attention: string;
  attentionNorm: string;
  feedforwardNorm: string;
  /** Keras' weight order: whether the feed-forward norm's weights come before the dense layers'. */
  normBeforeDense: boolean;
  /** The cross-attention's names, for a block that takes an encoder sequence as a second input (the decoder). */
  crossAttention?: string;
  crossAttentionNorm?: string;
}

/** The cross-attention of a decoder called on [decoderSequence, encoderSequence]. */
export interface CrossAttentionParts {
  attention: MultiHeadAttentionCore;
  norm: LayerNormalization;
  /** The weights' name prefix, e.g. 'transformer_decoder/cross_attention/'. */
  prefix: string;
}

/** The parts of a built block (TransformerBlock.parts). */
export interface BlockParts {
  attentionNorm: LayerNormalization;
  feedforwardNorm: LayerNormalization;
  intermediate: Dense;
  output: Dense;
  attention: MultiHeadAttentionCore;
  /** The attention weights' name prefix, e.g. 'transformer_encoder/self_attention_layer/'. */
  attentionPrefix: string;
  masksQueries: boolean;
  causal: boolean;
  /** Present when the block was built with an encoder sequence. */
  cross?: CrossAttentionParts;
}

export abstract class TransformerBlock extends Layer {
  readonly intermediateDim: number;
  readonly numHeads: number;
  readonly dropout: number;
  readonly activation: ActivationName;
  readonly layerNormEpsilon: number;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer?: Regularizer;
  readonly biasRegularizer?: Regularizer;
  readonly normalizeFirst: boolean;
  protected abstract readonly names: BlockNames;
  private core?: MultiHeadAttentionCore;
  private sub?: {
    attentionNorm: LayerNormalization;
    feedforwardNorm: LayerNormalization;
    intermediate: Dense;
    output: Dense;
    attentionDropout: Dropout;
    feedforwardDropout: Dropout;
  };
  private coreWeights: Param[] = [];
  private cross?: {
    core: MultiHeadAttentionCore;
    norm: LayerNormalization;
    dropout: Dropout;
    weights: Param[];
    encoderShape: Shape;
  };
  private lastEncoder: FloatArray | null = null;
  private lastEncoderMask: FloatArray | null = null;
  private lastMask: FloatArray | null = null;
  private maskCopies = new Map<number, FloatArray>();

  constructor(
    args: TransformerBlockArgs,
    where: string,
    regularizers?: { kernel?: RegularizerIdentifier; bias?: RegularizerIdentifier },
  ) {
    super(args, where);
    const a = args ?? ({} as TransformerBlockArgs);
    for (const [key, max] of [
      ['intermediateDim', MAX_DIMENSION],
      ['numHeads', MAX_HEADS],
    ] as const) {
      const v = a[key];
      if (!Number.isSafeInteger(v) || v < 1 || v > max) {
        throw new Error(
          `${where}: '${key}' must be an integer in [1, ${max}], got ${String(v)}. ` +
            `Example: ${where.replace('()', '')}({ intermediateDim: 256, numHeads: 4 })`,
        );
      }
    }
    this.intermediateDim = a.intermediateDim;
    this.numHeads = a.numHeads;
    const rate = a.dropout ?? 0;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new Error(`${where}: 'dropout' must be a number in [0, 1), got ${String(a.dropout)}`);
    }
    this.dropout = rate;
    this.activation = resolveActivation(a.activation ?? 'relu', where).name;
    const eps = a.layerNormEpsilon ?? 1e-5;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
      throw new Error(`${where}: 'layerNormEpsilon' must be a positive number, got ${String(a.layerNormEpsilon)}`);
    }
    this.layerNormEpsilon = eps;
    if (a.normalizeFirst !== undefined && typeof a.normalizeFirst !== 'boolean') {
      throw new Error(`${where}: 'normalizeFirst' must be true or false, got ${String(a.normalizeFirst)}`);
    }
    this.normalizeFirst = a.normalizeFirst ?? false;
    this.kernelInitializer = getInitializer(a.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = getInitializer(a.biasInitializer ?? 'zeros');
    if (regularizers?.kernel) this.kernelRegularizer = getRegularizer(regularizers.kernel);
    if (regularizers?.bias) this.biasRegularizer = getRegularizer(regularizers.bias);
  }

  /**
   * How the input's padding mask and causality enter the attention: padded keys are always masked; `masksQueries`:
   * padded queries too (Keras 3's MultiHeadAttention with a masked query); `causal`: each step sees only itself and
   * the steps before it.
   */
  protected abstract readonly attention: { masksQueries: boolean; causal: boolean };

  private attentionMasks(mask: FloatArray | null, rows: number): AttentionMasks {
    const { masksQueries, causal } = this.attention;
    // The op takes the query and key masks as separate arrays (they differ in cross-attention): a copy.
    const queryMask = mask && masksQueries ? this.maskCopy(mask, rows) : null;
    return { mask: null, keyMask: mask, queryMask, causal };
  }

  /** What an exporter (ONNX) writes, in order; the layer must be built. */
  parts(): BlockParts {
    const { attentionNorm, feedforwardNorm, intermediate, output } = this.sub!;
    return {
      attentionNorm,
      feedforwardNorm,
      intermediate,
      output,
      attention: this.core!,
      attentionPrefix: `${this.weightScope ?? this.name}/${this.names.attention}/`,
      masksQueries: this.attention.masksQueries,
      causal: this.attention.causal,
      cross: this.cross && {
        attention: this.cross.core,
        norm: this.cross.norm,
        prefix: `${this.weightScope ?? this.name}/${this.names.crossAttention}/`,
      },
    };
  }

  /** A copy of a rows × steps mask, in a buffer of its own (one per row count). */
  private maskCopy(mask: FloatArray, rows: number): FloatArray {
    let m = this.maskCopies.get(rows);
    if (!m) {
      m = floatArray(this.dtype, rows * this.inputShape![0]);
      this.maskCopies.set(rows, m);
    }
    m.set(mask.subarray(0, m.length));
    return m;
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) {
      this.badInput(inputShape, `expected [steps, features] sequences, got rank ${inputShape.length}`);
    }
    if (inputShape[1] < this.numHeads) {
      this.badInput(
        inputShape,
        `the ${inputShape[1]} features must be at least numHeads (${this.numHeads}): ` +
          'each head has features / numHeads values',
      );
    }
    return inputShape;
  }

  private dims(inputShape: Shape): AttentionDims {
    const [T, d] = inputShape;
    return { queryDim: d, keyInDim: d, valueInDim: d, outputDim: d, tq: T, tk: T };
  }

  /** The cross-attention's dims: the decoder's steps query the encoder's (KerasNLP: key and value are both it). */
  private crossDims(inputShape: Shape, encoderShape: Shape): AttentionDims {
    const [T, d] = inputShape;
    const [S, e] = encoderShape;
    return { queryDim: d, keyInDim: e, valueInDim: e, outputDim: d, tq: T, tk: S };
  }

  /** Checks an encoder sequence's shape (a second input, for a block that takes one). */
  protected checkEncoderShape(encoderShape: Shape): void {
    if (!this.names.crossAttention) {
      throw new Error(`${this.describe()} takes one input (a [steps, features] sequence)`);
    }
    if (encoderShape.length !== 2) {
      throw new Error(
        `${this.describe()}: the encoder sequence must be [steps, features] per sample, got ` +
          formatShape(encoderShape),
      );
    }
  }

  private makeCore(inputShape: Shape): MultiHeadAttentionCore {
    const head = Math.floor(inputShape[1] / this.numHeads);
    return new MultiHeadAttentionCore({
      numHeads: this.numHeads,
      keyDim: head,
      valueDim: head,
      dropout: this.dropout,
      useBias: true,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
      biasRegularizer: this.biasRegularizer,
    });
  }

  private makeSublayers() {
    const n = this.names;
    const norm = (name: string) => new LayerNormalization({ name, epsilon: this.layerNormEpsilon });
    const dense = (name: string, units: number, activation: ActivationName) =>
      new Dense({
        name,
        units,
        activation,
        kernelInitializer: this.kernelInitializer,
        biasInitializer: this.biasInitializer,
        kernelRegularizer: this.kernelRegularizer,
        biasRegularizer: this.biasRegularizer,
      });
    return {
      attentionNorm: norm(n.attentionNorm),
      feedforwardNorm: norm(n.feedforwardNorm),
      intermediate: () => dense('feedforward_intermediate_dense', this.intermediateDim, this.activation),
      output: (features: number) => dense('feedforward_output_dense', features, 'linear'),
    };
  }

  override weightSpecs(inputShape: Shape, encoderShape?: Shape): WeightSpec[] {
    this.computeOutputShape(inputShape);
    const d = inputShape[1];
    const s = this.makeSublayers();
    const scoped = (prefix: string, specs: WeightSpec[]) => specs.map((w) => ({ ...w, name: `${prefix}/${w.name}` }));
    const attn = this.makeCore(inputShape).weightSpecs(`${this.names.attention}/`, this.dims(inputShape));
    const attnNorm = scoped(this.names.attentionNorm, s.attentionNorm.weightSpecs(inputShape));
    const ffNorm = scoped(this.names.feedforwardNorm, s.feedforwardNorm.weightSpecs(inputShape));
    const inter = scoped('feedforward_intermediate_dense', s.intermediate().weightSpecs(inputShape));
    const out = scoped('feedforward_output_dense', s.output(d).weightSpecs([inputShape[0], this.intermediateDim]));
    const cross: WeightSpec[] = [];
    if (encoderShape) {
      const n = this.names;
      cross.push(
        ...this.makeCore(inputShape).weightSpecs(`${n.crossAttention}/`, this.crossDims(inputShape, encoderShape)),
      );
      cross.push(...scoped(n.crossAttentionNorm!, s.attentionNorm.weightSpecs(inputShape)));
    }
    return this.names.normBeforeDense
      ? [...attn, ...attnNorm, ...cross, ...ffNorm, ...inter, ...out]
      : [...attn, ...attnNorm, ...cross, ...inter, ...out, ...ffNorm];
  }

  override build(inputShape: Shape, dtype: DType, rng: Rng, encoderShape?: Shape): void {
    const outputShape = this.computeOutputShape(inputShape);
    const d = inputShape[1];
    this.dtype = dtype;
    this.inputShape = [...inputShape];
    this.outputShape = [...outputShape];
    this.resetBuffers();
    const scope = this.weightScope ?? this.name;
    const s = this.makeSublayers();
    const sub = {
      attentionNorm: s.attentionNorm,
      feedforwardNorm: s.feedforwardNorm,
      intermediate: s.intermediate(),
      output: s.output(d),
      attentionDropout: new Dropout({ name: 'self_attention_dropout', rate: this.dropout }),
      feedforwardDropout: new Dropout({ name: 'feedforward_dropout', rate: this.dropout }),
    };
    for (const l of Object.values(sub)) {
      l.weightScope = `${scope}/${l.name}`;
      l.trainable = this.trainable;
    }
    // Weights are created (and drawn from the RNG) in Keras' order.
    const core = this.makeCore(inputShape);
    const dims = this.dims(inputShape);
    const prefix = `${this.names.attention}/`;
    this.coreWeights = core.weightSpecs(prefix, dims).map((spec) => {
      const p = allocParam(`${scope}/${spec.name}`, spec.shape, dtype, true);
      spec.initializer.fill(p.value, p.shape, rng);
      if (spec.regularizer) p.regularizer = spec.regularizer;
      return p;
    });
    core.bind(dims, dtype, (name) => this.coreWeights.find((p) => p.name === `${scope}/${prefix}${name}`)!);
    const ffShape: Shape = [inputShape[0], this.intermediateDim];
    sub.attentionNorm.build(inputShape, dtype, rng);
    this.cross = undefined;
    if (encoderShape) {
      // KerasNLP builds the cross-attention and its norm after the self-attention's norm.
      const n = this.names;
      const crossCore = this.makeCore(inputShape);
      const crossPrefix = `${n.crossAttention}/`;
      const weights = crossCore.weightSpecs(crossPrefix, this.crossDims(inputShape, encoderShape)).map((spec) => {
        const p = allocParam(`${scope}/${spec.name}`, spec.shape, dtype, true);
        spec.initializer.fill(p.value, p.shape, rng);
        if (spec.regularizer) p.regularizer = spec.regularizer;
        return p;
      });
      crossCore.bind(this.crossDims(inputShape, encoderShape), dtype, (name) =>
        weights.find((p) => p.name === `${scope}/${crossPrefix}${name}`)!,
      );
      const norm = new LayerNormalization({ name: n.crossAttentionNorm!, epsilon: this.layerNormEpsilon });
      const dropout = new Dropout({ name: 'cross_attention_dropout', rate: this.dropout });
      for (const l of [norm, dropout]) {
        l.weightScope = `${scope}/${l.name}`;
        l.trainable = this.trainable;
      }
      norm.build(inputShape, dtype, rng);
      dropout.build(inputShape, dtype, rng);
      this.cross = { core: crossCore, norm, dropout, weights, encoderShape: [...encoderShape] };
    }
    if (this.names.normBeforeDense) sub.feedforwardNorm.build(inputShape, dtype, rng);
    sub.intermediate.build(inputShape, dtype, rng);
    sub.output.build(ffShape, dtype, rng);
    if (!this.names.normBeforeDense) sub.feedforwardNorm.build(inputShape, dtype, rng);
    sub.attentionDropout.build(inputShape, dtype, rng);
    sub.feedforwardDropout.build(inputShape, dtype, rng);
    this.core = core;
    this.sub = sub;
    this.built = true;
  }

  override weights(): Param[] {
    if (!this.sub) return [];
    const { attentionNorm, feedforwardNorm, intermediate, output } = this.sub;
    const dense = [...intermediate.weights(), ...output.weights()];
    const self = [...this.coreWeights, ...attentionNorm.weights()];
    if (this.cross) self.push(...this.cross.weights, ...this.cross.norm.weights());
    return this.names.normBeforeDense
      ? [...self, ...feedforwardNorm.weights(), ...dense]
      : [...self, ...dense, ...feedforwardNorm.weights()];
  }

  override params(): Param[] {
    return this.trainable ? this.weights() : [];
  }

  override macsPerSample(): number {
    if (!this.sub || !this.core) return 0;
    const { intermediate, output } = this.sub;
    const cross = this.cross ? this.cross.core.macsPerSample() : 0;
    return (
      this.core.macsPerSample() + cross + intermediate.macsPerSample() + output.macsPerSample() + 8 * this.inputSize
    );
  }

  /** A block with cross-attention (the decoder) takes [sequence] or [sequence, encoderSequence]. */
  override get multiInput(): boolean {
    return this.names.crossAttention !== undefined;
  }

  override computeOutputShapeFor(shapes: readonly Shape[]): Shape {
    const most = this.multiInput ? 2 : 1;
    if (shapes.length < 1 || shapes.length > most) {
      throw new Error(
        `${this.describe()} takes ${most === 2 ? '[sequence] or [sequence, encoderSequence]' : 'one input'}, ` +
          `got ${shapes.length} inputs`,
      );
    }
    if (shapes.length === 2) this.checkEncoderShape(shapes[1]);
    return this.computeOutputShape(shapes[0]);
  }

  override weightSpecsFor(shapes: readonly Shape[]): WeightSpec[] {
    this.computeOutputShapeFor(shapes);
    return this.weightSpecs(shapes[0], shapes[1]);
  }

  override buildFor(shapes: readonly Shape[], dtype: DType, rng: Rng): void {
    this.computeOutputShapeFor(shapes);
    this.build(shapes[0], dtype, rng, shapes[1]);
  }

  /** The output keeps the sequence's mask; the encoder's masks its steps as keys of the cross-attention. */
  override maskFlowMany(masked: readonly boolean[]): boolean {
    return masked[0];
  }

  override outputMaskMany(masks: readonly (FloatArray | null)[]): FloatArray | null {
    return masks[0] ?? null;
  }

  override forwardMany(
    b: Backend,
    xs: readonly FloatArray[],
    rows: number,
    training: boolean,
    rng: Rng,
    masks: readonly (FloatArray | null)[],
  ): FloatArray {
    this.lastEncoder = xs[1] ?? null;
    this.lastEncoderMask = masks[1] ?? null;
    return this.forward(b, xs[0], rows, training, rng, masks[0]);
  }

  override backwardMany(
    b: Backend,
    dy: FloatArray,
    rows: number,
    needDx: readonly boolean[],
    dxs: (FloatArray | null)[],
  ): void {
    dxs[0] = this.backward(b, dy, rows, needDx[0]);
    if (this.cross) dxs[1] = needDx[1] ? this.bufs(rows)[8] : null;
  }

  /**
   * Its own residual buffers (five per call), the attention core's and what each sub-layer (norms, feed-forward
   * denses, dropouts when the rate is above 0) allocates.
   */
  override stepBufferValues(inputShape: Shape): number {
    const [t] = inputShape;
    const s = this.makeSublayers();
    const ffShape: Shape = [t, this.intermediateDim];
    let n = 5 * shapeSize(this.computeOutputShape(inputShape));
    n += this.makeCore(inputShape).workspaceFor(this.dims(inputShape));
    n += s.attentionNorm.stepBufferValues(inputShape) + s.feedforwardNorm.stepBufferValues(inputShape);
    n += s.intermediate().stepBufferValues(inputShape) + s.output(inputShape[1]).stepBufferValues(ffShape);
    if (this.dropout > 0) n += 2 * new Dropout({ rate: this.dropout }).stepBufferValues(inputShape);
    return n;
  }

  /** With an encoder sequence also the cross-attention's: its core, norm, dropout, and four more buffers. */
  override stepBufferValuesFor(shapes: readonly Shape[]): number {
    let n = this.stepBufferValues(shapes[0]);
    if (shapes.length === 2) {
      const [inputShape, encoderShape] = shapes;
      n += 3 * shapeSize(inputShape) + shapeSize(encoderShape);
      n += this.makeCore(inputShape).workspaceFor(this.crossDims(inputShape, encoderShape));
      n += new LayerNormalization({ epsilon: this.layerNormEpsilon }).stepBufferValues(inputShape);
      if (this.dropout > 0) n += new Dropout({ rate: this.dropout }).stepBufferValues(inputShape);
    }
    return n;
  }

  /** Passes the padding mask on (each step keeps its own mask); uses it in the attention. */
  override maskFlow(inputMasked: boolean): boolean {
    return inputMasked;
  }

  /** Values per sample of the encoder sequence (0 without cross-attention). */
  private get encoderSize(): number {
    return this.cross ? this.cross.encoderShape[0] * this.cross.encoderShape[1] : 0;
  }

  /**
   * x1 (the first residual sum), y, the copy of dy dropout backward scales, dx1, dx; with cross-attention also x2
   * (its residual sum), dx2, the cross-attention's query gradient and the encoder's gradient.
   */
  private bufs(rows: number): FloatArray[] {
    const n = this.inputSize;
    return this.buffers(rows, this.cross ? [n, n, n, n, n, n, n, n, this.encoderSize] : [n, n, n, n, n]);
  }

  /**
   * out = a + c over the first n values: the residual sums, by the backend's elementwise op (vectorized natively,
   * the same bits as a loop: each sum is rounded once). `out` may be `a` itself.
   */
  private add(b: Backend, a: FloatArray, c: FloatArray, out: FloatArray, n: number): void {
    let s = this.addShape;
    if (!s || s.n !== n || s.dtype !== this.dtype) {
      s = { n, dtype: this.dtype, shape: Int32Array.of(n), params: floatArray(this.dtype, 0) };
      this.addShape = s;
    }
    const view = (v: FloatArray) => (v.length === n ? v : v.subarray(0, n));
    b.binary(Binary.add, 1, s.shape, s.shape, s.shape, view(a), view(c), view(out), NO_CODES, s.params, 0);
  }

  private addShape?: { n: number; dtype: DType; shape: Int32Array; params: FloatArray };

  /**
   * The gradient through a dropout of the block: dropout scales it in place, so into a copy (`copy`) when the
   * rate is above 0; at rate 0 dropout is the identity, and dz goes on as it is (the branches read it only).
   */
  private dropped(b: Backend, dropout: Dropout, dz: FloatArray, copy: FloatArray, rows: number): FloatArray {
    if (this.dropout === 0) return dz;
    copy.set(dz.subarray(0, rows * this.inputSize));
    return dropout.backward(b, copy, rows)!;
  }

  /** The cross-attention block's forward from h (the self-attention block's output) into x2. */
  private crossForward(b: Backend, h: FloatArray, rows: number, training: boolean, rng: Rng): FloatArray {
    const { core, norm, dropout } = this.cross!;
    const x2 = this.bufs(rows)[5];
    const n = rows * this.inputSize;
    const enc = this.lastEncoder!;
    const masks: AttentionMasks = { mask: null, keyMask: this.lastEncoderMask, queryMask: null, causal: false };
    const attend = (q: FloatArray) =>
      dropout.forward(b, core.forward(b, q, enc, enc, rows, masks, training, rng), rows, training, rng);
    if (this.normalizeFirst) {
      const a = attend(norm.forward(b, h, rows));
      this.add(b, h, a, x2, n);
      return x2;
    }
    const a = attend(h);
    this.add(b, h, a, x2, n);
    return norm.forward(b, x2, rows);
  }

  /** The cross-attention block's backward: from dz (the gradient of its output) into dh; the encoder's into dEnc. */
  private crossBackward(b: Backend, dz: FloatArray, rows: number): FloatArray {
    const { core, norm, dropout } = this.cross!;
    const [, , g, , , , dh, dq, dEnc] = this.bufs(rows);
    const n = rows * this.inputSize;
    const attendBack = (d: FloatArray) => {
      core.backward(b, this.dropped(b, dropout, d, g, rows), this.trainable, dq, dEnc, dEnc);
    };
    if (this.normalizeFirst) {
      attendBack(dz);
      const dn = norm.backward(b, dq, rows, true)!;
      this.add(b, dz, dn, dh, n);
      return dh;
    }
    const ds = norm.backward(b, dz, rows, true)!;
    attendBack(ds);
    this.add(b, ds, dq, dh, n);
    return dh;
  }

  forward(b: Backend, x: FloatArray, rows: number, training: boolean, rng: Rng, mask?: FloatArray | null): FloatArray {
    const { attentionNorm, feedforwardNorm, intermediate, output, attentionDropout, feedforwardDropout } = this.sub!;
    const [x1, y] = this.bufs(rows);
    const n = rows * this.inputSize;
    this.lastMask = mask ?? null;
    if (this.cross && !this.lastEncoder) {
      throw new Error(`${this.describe()} was built with an encoder sequence: call it on [sequence, encoderSequence]`);
    }
    const masks = this.attentionMasks(this.lastMask, rows);
    const attend = (h: FloatArray) =>
      attentionDropout.forward(b, this.core!.forward(b, h, h, h, rows, masks, training, rng), rows, training, rng);
    const feed = (h: FloatArray) =>
      feedforwardDropout.forward(b, output.forward(b, intermediate.forward(b, h, rows), rows), rows, training, rng);
    if (this.normalizeFirst) {
      const a = attend(attentionNorm.forward(b, x, rows));
      this.add(b, x, a, x1, n);
      const h = this.cross ? this.crossForward(b, x1, rows, training, rng) : x1;
      const f = feed(feedforwardNorm.forward(b, h, rows));
      this.add(b, h, f, y, n);
      return y;
    }
    const a = attend(x);
    this.add(b, x, a, x1, n);
    const h1s = attentionNorm.forward(b, x1, rows);
    const h1 = this.cross ? this.crossForward(b, h1s, rows, training, rng) : h1s;
    const f = feed(h1);
    this.add(b, h1, f, y, n);
    return feedforwardNorm.forward(b, y, rows);
  }

  backward(b: Backend, dy: FloatArray, rows: number, needDx: boolean): FloatArray | null {
    const { attentionNorm, feedforwardNorm, intermediate, output, attentionDropout, feedforwardDropout } = this.sub!;
    const [, , g, dx1, dx] = this.bufs(rows);
    const n = rows * this.inputSize;
    // The feed-forward branch's gradient, from dz (the gradient of the block's residual sum).
    const feedBack = (dz: FloatArray): FloatArray => {
      const df = this.dropped(b, feedforwardDropout, dz, g, rows);
      return intermediate.backward(b, output.backward(b, df, rows, true, false, null)!, rows, true, false, null)!;
    };
    // The attention branch's gradient into dxa (overwritten), from dz.
    const attendBack = (dz: FloatArray, dxa: FloatArray): void => {
      const da = this.dropped(b, attentionDropout, dz, g, rows);
      this.core!.backward(b, da, this.trainable, dxa, dxa, dxa);
    };
    if (this.normalizeFirst) {
      const dh2 = feedforwardNorm.backward(b, feedBack(dy), rows, true)!;
      this.add(b, dy, dh2, dx1, n);
      // Through the cross-attention block (when there is one): dx1 becomes the gradient of the self-attention sum.
      if (this.cross) dx1.set(this.crossBackward(b, dx1, rows).subarray(0, n));
      // dx = dx1 + LN₁ᵀ(MHAᵀ(dx1)): the attention's input gradient into dx, through the norm.
      attendBack(dx1, dx);
      const dxn = attentionNorm.backward(b, dx, rows, true)!;
      this.add(b, dx1, dxn, dx, n);
      return needDx ? dx : null;
    }
    const ds2 = feedforwardNorm.backward(b, dy, rows, true)!;
    const dff = feedBack(ds2);
    this.add(b, ds2, dff, dx1, n);
    const dh1 = this.cross ? this.crossBackward(b, dx1, rows) : dx1;
    const ds1 = attentionNorm.backward(b, dh1, rows, true)!;
    attendBack(ds1, dx);
    this.add(b, dx, ds1, dx, n);
    return needDx ? dx : null;
  }

  protected override resetBuffers(): void {
    super.resetBuffers();
    this.core?.reset();
    this.cross?.core.reset();
    this.maskCopies?.clear();
  }

  /** The KerasNLP config both blocks share (camelCase). */
  protected blockConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      intermediateDim: this.intermediateDim,
      numHeads: this.numHeads,
      dropout: this.dropout,
      activation: this.activation,
      layerNormEpsilon: this.layerNormEpsilon,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      normalizeFirst: this.normalizeFirst,
    };
  }

  protected regularizerConfig(): Record<string, unknown> {
    return {
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: null,
    };
  }
}

/** The block arguments from a config (every key checked). */
export function blockArgs(c: ConfigReader): TransformerBlockArgs {
  return {
    ...c.layerArgs(),
    intermediateDim: c.int('intermediateDim', 1, MAX_DIMENSION),
    numHeads: c.int('numHeads', 1, MAX_HEADS),
    dropout: c.num('dropout', 0),
    activation: c.activation('activation', 'relu'),
    layerNormEpsilon: c.num('layerNormEpsilon', 1e-5),
    kernelInitializer: c.initializer('kernelInitializer', 'glorotUniform'),
    biasInitializer: c.initializer('biasInitializer', 'zeros'),
    normalizeFirst: c.bool('normalizeFirst', false),
  };
}
