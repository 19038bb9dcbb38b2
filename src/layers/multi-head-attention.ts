/**
 * MultiHeadAttention (Keras 3, keras.layers.MultiHeadAttention) as a graph layer: `mha.apply([query, value])`,
 * `mha.apply([query, value, key])`, or with an attention mask `mha.apply([query, value, key, attentionMask])`.
 * Inputs are [steps, features] sequences: query [tq, dq], value [tk, dv], key [tk, dk] (the value when not given),
 * attentionMask [tq, tk] (nonzero = the query step may attend to the key step; Keras' boolean attention_mask,
 * shared by the heads). The output is [tq, outputShape ?? dq]. The computation and the weights (Keras' names and
 * shapes: `query/kernel [dq, heads, keyDim]`, `query/bias [heads, keyDim]`, likewise key and value,
 * `attention_output/kernel [heads, valueDim, out]`, `attention_output/bias [out]`) are multi-head-attention-core.ts.
 *
 * Masks, as Keras 3 combines them: a padding mask on the value (and on the key, when given) masks those keys for
 * every query; a padding mask on the query masks that query's whole row (its attention output is 0, before the
 * output projection's bias) and is the output's mask; `useCausalMask` lets step i see only keys 0..i. Keras takes
 * `use_causal_mask` and `return_attention_scores` per call; here they are options of the layer (saved in its
 * config), since a graph call records tensors only. With `returnAttentionScores` the layer keeps the attention
 * probabilities of its last forward ([rows, heads, tq, tk], `lastAttentionScores()`): the graph has one output
 * per call, so they are read from the layer rather than returned as a second tensor.
 */
import type { Backend, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { Initializer, Param, Regularizer } from '../training/contracts';
import { getInitializer, type InitializerIdentifier } from '../training/initializers';
import { getRegularizer, type RegularizerIdentifier } from '../training/regularizers';
import type { Rng } from '../random';
import { allocParam, type LayerArgs, type WeightSpec } from './layer';
import { MergeLayer } from './merge-layer';
import { MultiHeadAttentionCore, type AttentionDims, type AttentionMasks } from './multi-head-attention-core';
import { MAX_DIMENSION, type ConfigReader } from './config-reader';
import type { LayerEntry } from './layer-entry';
import { MAX_HEADS } from './transformer-block';
import { serializeInitializer, serializeRegularizer } from './serialize';
import { formatShape, type Shape } from './shape';

export interface MultiHeadAttentionArgs extends LayerArgs {
  /** Attention heads. */
  numHeads: number;
  /** Size of each head's query and key projections. */
  keyDim: number;
  /** Size of each head's value projection (default keyDim). */
  valueDim?: number;
  /** Dropout rate of the attention probabilities while training (default 0). */
  dropout?: number;
  /** Whether the projections have biases (default true). */
  useBias?: boolean;
  /** Features of the output (default: the query's features); Keras' output_shape, one dimension. */
  outputShape?: number | number[];
  /** Kernel initializer of the four projections (default 'glorotUniform'). */
  kernelInitializer?: InitializerIdentifier;
  /** Bias initializer (default 'zeros'). */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  /** Each query step attends only to key steps at or before it (Keras' use_causal_mask; needs tq ≤ tk). */
  useCausalMask?: boolean;
  /** Keep the attention probabilities of the last forward for `lastAttentionScores()`. */
  returnAttentionScores?: boolean;
}

const WHERE = 'layers.multiHeadAttention()';

export class MultiHeadAttention extends MergeLayer {
  readonly className = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly outputDim?: number;
  readonly useCausalMask: boolean;
  readonly returnAttentionScores: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer?: Regularizer;
  readonly biasRegularizer?: Regularizer;
  private core?: MultiHeadAttentionCore;
  private ownWeights: Param[] = [];
  private scores = new Map<number, FloatArray>();
  private lastScores: FloatArray | null = null;
  private keyMasks = new Map<number, FloatArray>();
  private queryMasks = new Map<number, FloatArray>();
  private inputCount = 2;

  constructor(args: MultiHeadAttentionArgs) {
    super(args, WHERE);
    const a = args ?? ({} as MultiHeadAttentionArgs);
    const int = (key: 'numHeads' | 'keyDim' | 'valueDim', max: number, v: unknown) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) {
        throw new Error(
          `${WHERE}: '${key}' must be an integer in [1, ${max}], got ${String(v)}. ` +
            'Example: bp.layers.multiHeadAttention({ numHeads: 4, keyDim: 32 })',
        );
      }
      return v;
    };
    this.numHeads = int('numHeads', MAX_HEADS, a.numHeads);
    this.keyDim = int('keyDim', MAX_DIMENSION, a.keyDim);
    this.valueDim =
      a.valueDim === undefined || a.valueDim === null ? this.keyDim : int('valueDim', MAX_DIMENSION, a.valueDim);
    const rate = a.dropout ?? 0;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new Error(`${WHERE}: 'dropout' must be a number in [0, 1), got ${String(a.dropout)}`);
    }
    this.dropout = rate;
    for (const key of ['useBias', 'useCausalMask', 'returnAttentionScores'] as const) {
      if (a[key] !== undefined && typeof a[key] !== 'boolean') {
        throw new Error(`${WHERE}: '${key}' must be true or false, got ${String(a[key])}`);
      }
    }
    this.useBias = a.useBias ?? true;
    this.useCausalMask = a.useCausalMask ?? false;
    this.returnAttentionScores = a.returnAttentionScores ?? false;
    if (a.outputShape !== undefined && a.outputShape !== null) {
      const v = Array.isArray(a.outputShape) && a.outputShape.length === 1 ? a.outputShape[0] : a.outputShape;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_DIMENSION) {
        throw new Error(
          `${WHERE}: 'outputShape' must be a positive integer (or [n]: one output dimension), got ` +
            JSON.stringify(a.outputShape),
        );
      }
      this.outputDim = v;
    }
    this.kernelInitializer = getInitializer(a.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = getInitializer(a.biasInitializer ?? 'zeros');
    if (a.kernelRegularizer) this.kernelRegularizer = getRegularizer(a.kernelRegularizer);
    if (a.biasRegularizer) this.biasRegularizer = getRegularizer(a.biasRegularizer);
  }

  protected override get maxInputs(): number {
    return 4;
  }

  /** The call's dims from its inputs' shapes, checked: [query, value, key?, attentionMask?]. */
  private dimsFor(shapes: readonly Shape[]): AttentionDims {
    const names = ['query', 'value', 'key', 'attentionMask'];
    for (const [i, s] of shapes.entries()) {
      if (s.length !== 2) {
        throw new Error(
          `${this.describe()}: the ${names[i]} must be a [steps, features] sequence per sample, got ` +
            `${formatShape(s)}`,
        );
      }
    }
    const [q, v] = shapes;
    const k = shapes[2] ?? v;
    if (k[0] !== v[0]) {
      throw new Error(
        `${this.describe()}: the key and the value must have the same number of steps, got ${formatShape(k)} ` +
          `and ${formatShape(v)}`,
      );
    }
    if (shapes.length === 4 && (shapes[3][0] !== q[0] || shapes[3][1] !== v[0])) {
      throw new Error(
        `${this.describe()}: the attentionMask must be [query steps, key steps] = [${q[0]}, ${v[0]}], got ` +
          formatShape(shapes[3]),
      );
    }
    if (this.useCausalMask && q[0] > v[0]) {
      throw new Error(
        `${this.describe()}: useCausalMask needs no more query steps than key steps, got ${q[0]} and ${v[0]}`,
      );
    }
    return { queryDim: q[1], keyInDim: k[1], valueInDim: v[1], outputDim: this.outputDim ?? q[1], tq: q[0], tk: v[0] };
  }

  protected outputShapeFor(shapes: readonly Shape[]): Shape {
    const d = this.dimsFor(shapes);
    return [d.tq, d.outputDim];
  }

  private makeCore(): MultiHeadAttentionCore {
    return new MultiHeadAttentionCore({
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
      biasRegularizer: this.biasRegularizer,
    });
  }

  override weightSpecsFor(shapes: readonly Shape[]): WeightSpec[] {
    this.computeOutputShapeFor(shapes);
    return this.makeCore().weightSpecs('', this.dimsFor(shapes));
  }

  protected override onBuiltMerge(rng: Rng): void {
    const dims = this.dimsFor(this.inputShapes);
    this.inputCount = this.inputShapes.length;
    const scope = this.weightScope ?? this.name;
    const core = this.makeCore();
    this.ownWeights = core.weightSpecs('', dims).map((spec) => {
      const p = allocParam(`${scope}/${spec.name}`, spec.shape, this.dtype, true);
      spec.initializer.fill(p.value, p.shape, rng);
      if (spec.regularizer) p.regularizer = spec.regularizer;
      return p;
    });
    core.bind(dims, this.dtype, (name) => this.ownWeights.find((p) => p.name === `${scope}/${name}`)!);
    this.core = core;
    this.scores.clear();
    this.keyMasks.clear();
    this.queryMasks.clear();
    this.lastScores = null;
  }

  override weights(): Param[] {
    return this.ownWeights;
  }

  override params(): Param[] {
    return this.trainable ? this.ownWeights : [];
  }

  /** The attention computation and its bound weights (for exporters); the layer must be built. */
  attentionCore(): MultiHeadAttentionCore {
    if (!this.core) throw new Error(`${this.describe()} is not built yet`);
    return this.core;
  }

  /** The heads' attention probabilities of the last forward, [rows, heads, tq, tk] (needs returnAttentionScores). */
  lastAttentionScores(): FloatArray {
    if (!this.returnAttentionScores) {
      throw new Error(`${this.describe()}: create the layer with returnAttentionScores: true to keep the scores`);
    }
    if (!this.lastScores) throw new Error(`${this.describe()}: no forward has run yet`);
    return this.lastScores;
  }

  override macsPerSample(): number {
    return this.core?.macsPerSample() ?? 0;
  }

  /**
   * The output and one gradient per input (MergeLayer's), the attention core's buffers, and the scores when kept.
   * (The copies of padding masks, rows × (tq + tk) values when the inputs carry masks, are left out.)
   */
  override stepBufferValuesFor(shapes: readonly Shape[]): number {
    const dims = this.dimsFor(shapes);
    const scores = this.returnAttentionScores ? this.numHeads * dims.tq * dims.tk : 0;
    return super.stepBufferValuesFor(shapes) + this.makeCore().workspaceFor(dims) + scores;
  }

  /** The output carries the query's mask (Keras 3); the other inputs' masks only enter the attention. */
  override maskFlowMany(masked: readonly boolean[]): boolean {
    if (masked[3]) {
      throw new Error(`${this.describe()}: the attentionMask input cannot itself carry a sequence mask`);
    }
    return masked[0];
  }

  override outputMaskMany(masks: readonly (FloatArray | null)[]): FloatArray | null {
    return masks[0] ?? null;
  }

  private pooled(pool: Map<number, FloatArray>, n: number): FloatArray {
    let a = pool.get(n);
    if (!a) {
      a = floatArray(this.dtype, n);
      pool.set(n, a);
    }
    return a;
  }

  /** The op's masks for this call; the layer's own copies (a producer may reuse a mask buffer before backward). */
  private masksFor(rows: number, xs: readonly FloatArray[], masks: readonly (FloatArray | null)[]): AttentionMasks {
    const { tq, tk } = this.core!.inputDims!;
    const valueMask = masks[1] ?? null;
    const keyMask = this.inputCount >= 3 ? (masks[2] ?? null) : null;
    let km: FloatArray | null = null;
    if (valueMask || keyMask) {
      km = this.pooled(this.keyMasks, rows * tk);
      for (let i = 0; i < rows * tk; i++) {
        km[i] = (valueMask ? valueMask[i] !== 0 : true) && (keyMask ? keyMask[i] !== 0 : true) ? 1 : 0;
      }
    }
    let qm: FloatArray | null = null;
    if (masks[0]) {
      qm = this.pooled(this.queryMasks, rows * tq);
      qm.set(masks[0].subarray(0, rows * tq));
    }
    return { mask: this.inputCount === 4 ? xs[3] : null, keyMask: km, queryMask: qm, causal: this.useCausalMask };
  }

  forwardMany(
    b: Backend,
    xs: readonly FloatArray[],
    rows: number,
    training: boolean,
    rng: Rng,
    masks: readonly (FloatArray | null)[],
  ): FloatArray {
    const core = this.core!;
    const { tq, tk } = core.inputDims!;
    const query = xs[0],
      value = xs[1];
    const key = this.inputCount >= 3 ? xs[2] : value;
    let scores: FloatArray | null = null;
    if (this.returnAttentionScores) scores = this.pooled(this.scores, rows * this.numHeads * tq * tk);
    const y = core.forward(b, query, value, key, rows, this.masksFor(rows, xs, masks), training, rng, scores);
    this.lastScores = scores;
    return y;
  }

  backwardMany(b: Backend, dy: FloatArray, rows: number, needDx: readonly boolean[], dxs: (FloatArray | null)[]): void {
    const bufs = this.allBuffers(rows);
    const dq = needDx[0] ? bufs[1] : null;
    const dv = needDx[1] ? bufs[2] : null;
    // Without a key input the value is the key too: both projections' gradients add into the value's buffer.
    const dk = this.inputCount >= 3 ? (needDx[2] ? bufs[3] : null) : dv;
    this.core!.backward(b, dy, this.trainable, dq, dv, dk);
    dxs[0] = dq;
    dxs[1] = dv;
    if (this.inputCount >= 3) dxs[2] = dk;
    if (this.inputCount === 4) {
      // The mask is compared with 0, not multiplied: no gradient flows into it.
      dxs[3] = needDx[3] ? bufs[4].fill(0) : null;
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputDim ?? null,
      attentionAxes: null,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: null,
      kernelConstraint: null,
      biasConstraint: null,
      useCausalMask: this.useCausalMask,
      returnAttentionScores: this.returnAttentionScores,
    };
  }
}

export const multiHeadAttentionEntry: LayerEntry = {
  className: 'MultiHeadAttention',
  notInTfjs: "Keras' MultiHeadAttention (TF.js never exported it)",
  fromConfig(c: ConfigReader): MultiHeadAttention {
    c.unsupported('activityRegularizer', 'kernelConstraint', 'biasConstraint');
    if (c.has('attentionAxes')) {
      const axes = c.get('attentionAxes');
      // Attention over the steps axis of [steps, features] sequences is the only kind ([1], what Keras writes for
      // its default on rank-3 inputs).
      if (!(Array.isArray(axes) && axes.length === 1 && axes[0] === 1)) {
        c.fail('attentionAxes', 'only attention over the steps axis (1) of [steps, features] inputs is supported');
      }
    }
    const outputShape = c.get('outputShape');
    return new MultiHeadAttention({
      ...c.layerArgs(),
      numHeads: c.int('numHeads', 1, MAX_HEADS),
      keyDim: c.int('keyDim', 1, MAX_DIMENSION),
      valueDim: c.has('valueDim') ? c.int('valueDim', 1, MAX_DIMENSION) : undefined,
      dropout: c.num('dropout', 0),
      useBias: c.bool('useBias', true),
      outputShape:
        outputShape === null || outputShape === undefined
          ? undefined
          : typeof outputShape === 'number'
            ? c.int('outputShape', 1, MAX_DIMENSION)
            : c.ints('outputShape', 1, 1, MAX_DIMENSION),
      kernelInitializer: c.initializer('kernelInitializer', 'glorotUniform'),
      biasInitializer: c.initializer('biasInitializer', 'zeros'),
      kernelRegularizer: c.regularizer('kernelRegularizer'),
      biasRegularizer: c.regularizer('biasRegularizer'),
      useCausalMask: c.bool('useCausalMask', false),
      returnAttentionScores: c.bool('returnAttentionScores', false),
    });
  },
};
