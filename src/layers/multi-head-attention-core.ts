/**
 * The computation of Keras' MultiHeadAttention, shared by the layers that attend (TransformerEncoder,
 * TransformerDecoder, and the public multi-input MultiHeadAttention layer once models take several inputs): the
 * query, key and value projections, fused scaled dot-product attention (backend.attentionForward: masks, causal,
 * softmax, dropout of the attention probabilities, weighted sum, per head), and the output projection.
 *
 * Weights as Keras names and shapes them (under the owner's prefix, e.g. `self_attention_layer/`):
 * `query/kernel [queryDim, heads, keyDim]`, `query/bias [heads, keyDim]`, `key/kernel [keyInDim, heads, keyDim]`,
 * `key/bias`, `value/kernel [valueInDim, heads, valueDim]`, `value/bias [heads, valueDim]`,
 * `attention_output/kernel [heads, valueDim, outputDim]`, `attention_output/bias [outputDim]`. Row-major, a kernel
 * [d, heads, keyDim] is the [d, heads·keyDim] matrix of one gemm, and its output, [rows·steps, heads·keyDim], is
 * the [batch, steps, heads, keyDim] layout the attention op reads: no transposes anywhere.
 *
 * Inputs are flat [rows, steps, features] arrays; `forward` keeps what `backward` needs (its inputs, the
 * projections, the attention output and its log-sum-exp: O(steps) per head, never steps²). Buffers are allocated
 * once per row count, on SharedArrayBuffers like every layer's.
 */
import { Activation, type Backend, type DType, type FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import type { Initializer, Param, Regularizer } from '../training/contracts';
import type { Rng } from '../random';
import type { WeightSpec } from './layer';

export interface AttentionCoreConfig {
  numHeads: number;
  keyDim: number;
  valueDim: number;
  /** Dropout of the attention probabilities while training, in [0, 1). */
  dropout: number;
  useBias: boolean;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
  kernelRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
}

/** The masks of one call (null: none), as the attention op takes them. */
export interface AttentionMasks {
  /** [batch, tq, tk], nonzero = may attend (Keras' attention_mask, shared by the heads). */
  mask: FloatArray | null;
  /** [batch, tk], 0 = padding key. */
  keyMask: FloatArray | null;
  /** [batch, tq], 0 = padding query (its output is 0 before the output projection). */
  queryMask: FloatArray | null;
  causal: boolean;
}

/** The input dims of a call: feature sizes and sequence lengths. */
export interface AttentionDims {
  queryDim: number;
  keyInDim: number;
  valueInDim: number;
  outputDim: number;
  tq: number;
  tk: number;
}

const PROJECTIONS = ['query', 'key', 'value'] as const;

interface Step {
  q: FloatArray;
  k: FloatArray;
  v: FloatArray;
  o: FloatArray;
  lse: FloatArray;
  y: FloatArray;
  dO: FloatArray;
  dq: FloatArray;
  dk: FloatArray;
  dv: FloatArray;
  ones: FloatArray;
}

export class MultiHeadAttentionCore {
  readonly config: AttentionCoreConfig;
  private dims?: AttentionDims;
  private dtype: DType = 'float32';
  private weights: Record<string, Param> = {};
  private steps = new Map<number, Step>();
  private last?: {
    query: FloatArray;
    key: FloatArray;
    value: FloatArray;
    rows: number;
    masks: AttentionMasks;
    dropout: number;
    seed: number;
  };

  constructor(config: AttentionCoreConfig) {
    this.config = config;
  }

  /** The weights for inputs of these dims, named under `prefix` (Keras' order: query, key, value, output). */
  weightSpecs(prefix: string, d: AttentionDims): WeightSpec[] {
    const { numHeads: H, keyDim, valueDim, useBias } = this.config;
    const specs: WeightSpec[] = [];
    const add = (name: string, shape: number[], bias: boolean) =>
      specs.push({
        name: `${prefix}${name}`,
        shape,
        trainable: true,
        initializer: bias ? this.config.biasInitializer : this.config.kernelInitializer,
        regularizer: bias ? this.config.biasRegularizer : this.config.kernelRegularizer,
      });
    const inDims = { query: d.queryDim, key: d.keyInDim, value: d.valueInDim };
    for (const p of PROJECTIONS) {
      const depth = p === 'value' ? valueDim : keyDim;
      add(`${p}/kernel`, [inDims[p], H, depth], false);
      if (useBias) add(`${p}/bias`, [H, depth], true);
    }
    add('attention_output/kernel', [H, valueDim, d.outputDim], false);
    if (useBias) add('attention_output/bias', [d.outputDim], true);
    return specs;
  }

  /** Binds the built weights (`weight(prefix + name)` of the owner) and the dims of later calls. */
  bind(dims: AttentionDims, dtype: DType, weight: (name: string) => Param): void {
    this.dims = dims;
    this.dtype = dtype;
    this.steps.clear();
    this.weights = {};
    for (const p of [...PROJECTIONS, 'attention_output']) {
      this.weights[`${p}/kernel`] = weight(`${p}/kernel`);
      if (this.config.useBias) this.weights[`${p}/bias`] = weight(`${p}/bias`);
    }
  }

  /** A bound weight by its name under the prefix ('query/kernel'). */
  weight(name: string): Param {
    const p = this.weights[name];
    if (!p) throw new Error(`multi-head attention: no weight '${name}' (is the layer built?)`);
    return p;
  }

  /** The input dims of the bound weights. */
  get inputDims(): AttentionDims | undefined {
    return this.dims;
  }

  /** Multiply-adds per sample of a forward pass. */
  macsPerSample(): number {
    if (!this.dims) return 0;
    const { numHeads: H, keyDim: kd, valueDim: vd } = this.config;
    const { queryDim, keyInDim, valueInDim, outputDim, tq, tk } = this.dims;
    const projections =
      tq * queryDim * H * kd + tk * (keyInDim * H * kd + valueInDim * H * vd) + tq * H * vd * outputDim;
    return projections + H * tq * tk * (kd + vd);
  }

  /**
   * Values per sample a step keeps besides the output for inputs of `dims`, bound or not: projections,
   * attention output and their gradients.
   */
  workspaceFor(dims: AttentionDims): number {
    const { numHeads: H, keyDim: kd, valueDim: vd } = this.config;
    const { tq, tk, outputDim } = dims;
    return 2 * (tq * H * kd + tk * H * (kd + vd) + tq * H * vd) + H * tq + tq * outputDim + Math.max(tq, tk, 1);
  }

  private step(rows: number): Step {
    let s = this.steps.get(rows);
    if (!s) {
      const { numHeads: H, keyDim: kd, valueDim: vd } = this.config;
      const { tq, tk, outputDim } = this.dims!;
      const f = (n: number) => floatArray(this.dtype, n);
      s = {
        q: f(rows * tq * H * kd),
        k: f(rows * tk * H * kd),
        v: f(rows * tk * H * vd),
        o: f(rows * tq * H * vd),
        lse: f(rows * H * tq),
        y: f(rows * tq * outputDim),
        dO: f(rows * tq * H * vd),
        dq: f(rows * tq * H * kd),
        dk: f(rows * tk * H * kd),
        dv: f(rows * tk * H * vd),
        ones: f(rows * Math.max(tq, tk, 1)).fill(1),
      };
      this.steps.set(rows, s);
    }
    return s;
  }

  /** Drops the per-row-count buffers (on a rebuild). */
  reset(): void {
    this.steps.clear();
  }

  /**
   * The attention output [rows, tq, outputDim] (the core's buffer, valid until its next forward) for `query`
   * [rows, tq, queryDim], `value` and `key` [rows, tk, ·] (the same array for self-attention). `scores`, when
   * given ([rows, heads, tq, tk]), receives the attention probabilities (before dropout, as Keras returns them).
   */
  forward(
    b: Backend,
    query: FloatArray,
    value: FloatArray,
    key: FloatArray,
    rows: number,
    masks: AttentionMasks,
    training: boolean,
    rng: Rng,
    scores: FloatArray | null = null,
  ): FloatArray {
    const { numHeads: H, keyDim: kd, valueDim: vd, useBias } = this.config;
    const { queryDim, keyInDim, valueInDim, outputDim, tq, tk } = this.dims!;
    const s = this.step(rows);
    const w = this.weights;
    const bias = (p: string) => (useBias ? w[`${p}/bias`].value : null);
    const lin = Activation.linear;
    b.denseForward(query, w['query/kernel'].value, bias('query'), s.q, s.q, rows * tq, queryDim, H * kd, lin, 0);
    b.denseForward(key, w['key/kernel'].value, bias('key'), s.k, s.k, rows * tk, keyInDim, H * kd, lin, 0);
    b.denseForward(value, w['value/kernel'].value, bias('value'), s.v, s.v, rows * tk, valueInDim, H * vd, lin, 0);
    const dropout = training ? this.config.dropout : 0;
    // The dropout pattern is a function of this seed (drawn from the model's seeded RNG), so backward sees the same.
    const seed = dropout > 0 ? rng.int(2147483647) : 0;
    const { mask, keyMask, queryMask, causal } = masks;
    const scale = 1 / Math.sqrt(kd);
    b.attentionForward(
      s.q,
      s.k,
      s.v,
      mask,
      keyMask,
      queryMask,
      s.o,
      s.lse,
      scores,
      rows,
      H,
      tq,
      tk,
      kd,
      vd,
      scale,
      causal,
      dropout,
      seed,
    );
    b.denseForward(
      s.o,
      w['attention_output/kernel'].value,
      bias('attention_output'),
      s.y,
      s.y,
      rows * tq,
      H * vd,
      outputDim,
      lin,
      0,
    );
    this.last = { query, key, value, rows, masks, dropout, seed };
    return s.y;
  }

  /**
   * Backward of the last forward, given dL/d(output) (`dy`, [rows, tq, outputDim]; not modified): writes the
   * weights' gradients (unless `weightGrads` is false) and the inputs' gradients into `dQuery`, `dValue`, `dKey`
   * (null: not wanted). The same buffer may be given for several inputs (self-attention): their gradients add up.
   */
  backward(
    b: Backend,
    dy: FloatArray,
    weightGrads: boolean,
    dQuery: FloatArray | null,
    dValue: FloatArray | null,
    dKey: FloatArray | null,
  ): void {
    const { numHeads: H, keyDim: kd, valueDim: vd, useBias } = this.config;
    const { queryDim, keyInDim, valueInDim, outputDim, tq, tk } = this.dims!;
    const { query, key, value, rows, masks, dropout, seed } = this.last!;
    const s = this.step(rows);
    const w = this.weights;
    const mq = rows * tq,
      mk = rows * tk;
    // Output projection: dO = dy·Woᵀ, dWo = Oᵀ·dy, dbo = 1ᵀ·dy.
    b.gemm(false, true, mq, H * vd, outputDim, 1, dy, w['attention_output/kernel'].value, 0, s.dO);
    if (weightGrads) {
      b.gemm(true, false, H * vd, outputDim, mq, 1, s.o, dy, 0, w['attention_output/kernel'].grad);
      if (useBias)
        b.gemm(false, false, 1, outputDim, mq, 1, s.ones.subarray(0, mq), dy, 0, w['attention_output/bias'].grad);
    }
    const { mask, keyMask, queryMask, causal } = masks;
    const scale = 1 / Math.sqrt(kd);
    b.attentionBackward(
      s.q,
      s.k,
      s.v,
      mask,
      keyMask,
      queryMask,
      s.o,
      s.lse,
      s.dO,
      s.dq,
      s.dk,
      s.dv,
      rows,
      H,
      tq,
      tk,
      kd,
      vd,
      scale,
      causal,
      dropout,
      seed,
    );
    const written = new Set<FloatArray>();
    const project = (
      p: 'query' | 'key' | 'value',
      x: FloatArray,
      g: FloatArray,
      m: number,
      inDim: number,
      n: number,
      dx: FloatArray | null,
    ) => {
      if (weightGrads) {
        b.gemm(true, false, inDim, n, m, 1, x, g, 0, w[`${p}/kernel`].grad);
        if (useBias) b.gemm(false, false, 1, n, m, 1, s.ones.subarray(0, m), g, 0, w[`${p}/bias`].grad);
      }
      if (dx) {
        b.gemm(false, true, m, inDim, n, 1, g, w[`${p}/kernel`].value, written.has(dx) ? 1 : 0, dx);
        written.add(dx);
      }
    };
    project('query', query, s.dq, mq, queryDim, H * kd, dQuery);
    project('key', key, s.dk, mk, keyInDim, H * kd, dKey);
    project('value', value, s.dv, mk, valueInDim, H * vd, dValue);
  }
}
