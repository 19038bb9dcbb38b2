/**
 * KerasNLP's layers as ONNX nodes of every opset backprop writes (13-21), no contrib ops:
 * - PositionEmbedding → the table's first `steps` rows (Slice), expanded to the input's batch (Expand);
 * - TokenAndPositionEmbedding → its token Embedding's nodes (embedding.ts: checked ids, Gather, the maskZero mask)
 *   + those rows;
 * - TransformerEncoder / TransformerDecoder → their layer normalizations and dense layers through those layers'
 *   exports, residual Adds, and multi-head attention written out: per projection MatMul + Add, Reshape to
 *   [batch, steps, heads, depth] and Transpose to heads first; scores = Q·Kᵀ·scale; masked scores replaced by
 *   −10³⁰ (Where), Softmax over the keys, then multiplied by the mask so that a query that may see no key gets
 *   0, as the attention op defines; weights·V, back to [batch, steps, heads·depth], the output projection. The
 *   mask is the input's padding mask (sequence-masks.ts) over the keys (and the queries, for the encoder) and,
 *   for the decoder, a constant lower-triangular causal mask. Dropout is the identity at inference.
 * Kernels keep their Keras names as initializers, stored as the matrices of the MatMuls (a query kernel [d, heads,
 * keyDim] as [d, heads·keyDim]: the same values in the same order).
 */
import { PositionEmbedding } from '../../layers/position-embedding';
import { TokenAndPositionEmbedding } from '../../layers/token-and-position-embedding';
import { TransformerBlock } from '../../layers/transformer-block';
import { TransformerDecoder } from '../../layers/transformer-decoder';
import { TransformerEncoder } from '../../layers/transformer-encoder';
import type { MultiHeadAttentionCore } from '../../layers/multi-head-attention-core';
import type { GraphBuilder, OnnxValue } from '../graph';
import { layerExport, mergeExport, weightInitializer } from '../layer-export';
import { MultiHeadAttention } from '../../layers/multi-head-attention';
import { sequenceMask } from '../sequence-masks';
import { cast, ONNX_TYPE } from './sequence-nodes';
import { denseExport } from './dense';
import { embeddingExport } from './embedding';
import { layerNormalizationExport } from './layer-normalization';

/** The first `steps` rows of a [length, features] table initializer. */
function firstRows(g: GraphBuilder, table: string, steps: number, stem: string): string {
  return g.node(
    'Slice',
    [table, g.int64s(`${stem}/start`, [0]), g.int64s(`${stem}/end`, [steps]), g.int64s(`${stem}/axis`, [0])],
    `${stem}/Slice`,
  );
}

export const positionEmbeddingExport = layerExport('PositionEmbedding', PositionEmbedding, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const stem = layer.name;
  const rows = firstRows(g, weightInitializer(g, layer, 'embeddings'), layer.outputShape![0], stem);
  const name = g.node('Expand', [rows, g.node('Shape', [x.name], `${stem}/Shape`)], `${stem}/Expand`);
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});

export const tokenAndPositionEmbeddingExport = layerExport(
  'TokenAndPositionEmbedding',
  TokenAndPositionEmbedding,
  (layer, input, g) => {
    const tokens = embeddingExport.write(layer.tokenEmbedding, input, g);
    const p = layer.positionTable;
    const rows = firstRows(g, g.weight(p.name, p.shape, p.value), layer.outputShape![0], layer.name);
    const name = g.node('Add', [tokens.name, rows], `${layer.name}/Add`);
    return { name, shape: layer.outputShape!, layout: 'channelsLast' };
  },
);

/** The inputs of one attention call: ONNX names of [batch, steps, features] values. */
interface AttentionInputs {
  query: string;
  key: string;
  value: string;
}

/**
 * Multi-head attention with the core's weights (its bound dims give the steps and features); `allowed` is a float
 * 0/1 mask broadcast to [batch, heads, tq, tk] (1: may attend) or null.
 */
export function attentionNodes(
  g: GraphBuilder,
  core: MultiHeadAttentionCore,
  prefix: string,
  x: AttentionInputs,
  allowed: string | null,
  stem: string,
): string {
  const { numHeads: H, keyDim: kd, valueDim: vd, useBias } = core.config;
  const { queryDim, keyInDim, valueInDim, tq, tk, outputDim } = core.inputDims!;
  const project = (p: 'query' | 'key' | 'value', depth: number, perm: number[]): string => {
    const [input, inDim, steps] = {
      query: [x.query, queryDim, tq],
      key: [x.key, keyInDim, tk],
      value: [x.value, valueInDim, tk],
    }[p] as [string, number, number];
    const kernel = g.weight(`${prefix}${p}/kernel`, [inDim, H * depth], core.weight(`${p}/kernel`).value);
    let z = g.node('MatMul', [input, kernel], `${stem}/${p}/MatMul`);
    if (useBias) {
      const bias = g.weight(`${prefix}${p}/bias`, [H * depth], core.weight(`${p}/bias`).value);
      z = g.node('Add', [z, bias], `${stem}/${p}/BiasAdd`);
    }
    const split = g.node('Reshape', [z, g.int64s(`${stem}/${p}/heads`, [0, steps, H, depth])], `${stem}/${p}/Reshape`);
    return g.node('Transpose', [split], `${stem}/${p}/Transpose`, { perm: { ints: perm } });
  };
  const q = project('query', kd, [0, 2, 1, 3]);
  const kT = project('key', kd, [0, 2, 3, 1]);
  const v = project('value', vd, [0, 2, 1, 3]);
  const raw = g.node('MatMul', [q, kT], `${stem}/scores`);
  let scores = g.node('Mul', [raw, g.scalar(`${stem}/scale`, 1 / Math.sqrt(kd))], `${stem}/scaled_scores`);
  if (allowed) {
    const keep = cast(g, allowed, ONNX_TYPE.BOOL, `${stem}/allowed`);
    scores = g.node('Where', [keep, scores, g.scalar(`${stem}/masked_score`, -1e30)], `${stem}/masked_scores`);
  }
  let weights = g.node('Softmax', [scores], `${stem}/Softmax`, { axis: { int: -1 } });
  if (allowed) weights = g.node('Mul', [weights, allowed], `${stem}/masked_weights`);
  const heads = g.node('MatMul', [weights, v], `${stem}/weighted_values`);
  const steps = g.node('Transpose', [heads], `${stem}/heads_last`, { perm: { ints: [0, 2, 1, 3] } });
  const merged = g.node('Reshape', [steps, g.int64s(`${stem}/merged`, [0, tq, H * vd])], `${stem}/merge_heads`);
  const wo = g.weight(
    `${prefix}attention_output/kernel`,
    [H * vd, outputDim],
    core.weight('attention_output/kernel').value,
  );
  let out = g.node('MatMul', [merged, wo], `${stem}/attention_output/MatMul`);
  if (useBias) {
    const bo = g.weight(`${prefix}attention_output/bias`, [outputDim], core.weight('attention_output/bias').value);
    out = g.node('Add', [out, bo], `${stem}/attention_output/BiasAdd`);
  }
  return out;
}

/** A constant [1, 1, tq, tk] lower-triangular mask: query step i sees key steps 0..i. */
export function causalMask(g: GraphBuilder, tq: number, tk: number, stem: string): string {
  const lower = Float32Array.from({ length: tq * tk }, (_, i) => (i % tk <= Math.floor(i / tk) ? 1 : 0));
  return g.weight(`${stem}/causal_mask`, [1, 1, tq, tk], lower);
}

/** The attention mask of a block: padding over the keys (and queries), causality; null when there is none. */
function blockMask(
  g: GraphBuilder,
  padding: string | null,
  steps: number,
  masksQueries: boolean,
  causal: boolean,
  stem: string,
): string | null {
  const parts: string[] = [];
  if (padding) {
    const unsqueeze = (axes: number[], name: string) =>
      g.node('Unsqueeze', [padding, g.int64s(`${stem}/${name}_axes`, axes)], `${stem}/${name}`);
    parts.push(unsqueeze([1, 2], 'key_mask'));
    if (masksQueries) parts.push(unsqueeze([1, 3], 'query_mask'));
  }
  if (causal) parts.push(causalMask(g, steps, steps, stem));
  if (parts.length === 0) return null;
  return parts.reduce((a, b) => g.node('Mul', [a, b], `${stem}/attention_mask`));
}

/**
 * A block; `padding` is its sequence's mask, `encoder` (a decoder called on two inputs) the encoder sequence and its
 * padding mask, which masks the cross-attention's keys.
 */
function writeBlock(
  layer: TransformerBlock,
  input: OnnxValue,
  g: GraphBuilder,
  padding: string | null,
  encoder?: { value: OnnxValue; mask: string | null },
): OnnxValue {
  const x = g.toLayout(input, 'channelsLast');
  const stem = layer.name;
  const shape = layer.outputShape!;
  const p = layer.parts();
  const allowed = blockMask(g, padding, shape[0], p.masksQueries, p.causal, stem);
  const value = (name: string): OnnxValue => ({ name, shape, layout: 'channelsLast' });
  const attend = (h: OnnxValue) =>
    attentionNodes(
      g,
      p.attention,
      p.attentionPrefix,
      { query: h.name, key: h.name, value: h.name },
      allowed,
      `${stem}/attention`,
    );
  const feed = (h: OnnxValue) => denseExport.write(p.output, denseExport.write(p.intermediate, h, g), g).name;
  const add = (a: string, b: string, name: string) => value(g.node('Add', [a, b], `${stem}/${name}`));
  const crossBlock = (h: OnnxValue): OnnxValue => {
    const c = p.cross;
    if (!c || !encoder) return h;
    const e = g.toLayout(encoder.value, 'channelsLast').name;
    const keys = encoder.mask
      ? g.node('Unsqueeze', [encoder.mask, g.int64s(`${stem}/encoder_mask_axes`, [1, 2])], `${stem}/encoder_mask`)
      : null;
    const cross = (q: OnnxValue) =>
      attentionNodes(g, c.attention, c.prefix, { query: q.name, key: e, value: e }, keys, `${stem}/cross_attention`);
    if (layer.normalizeFirst) {
      return add(h.name, cross(layerNormalizationExport.write(c.norm, h, g)), 'cross_attention_residual');
    }
    return layerNormalizationExport.write(c.norm, add(h.name, cross(h), 'cross_attention_residual'), g);
  };
  if (layer.normalizeFirst) {
    const x1 = add(x.name, attend(layerNormalizationExport.write(p.attentionNorm, x, g)), 'attention_residual');
    const x2 = crossBlock(x1);
    return add(x2.name, feed(layerNormalizationExport.write(p.feedforwardNorm, x2, g)), 'feedforward_residual');
  }
  const h1 = crossBlock(
    layerNormalizationExport.write(p.attentionNorm, add(x.name, attend(x), 'attention_residual'), g),
  );
  return layerNormalizationExport.write(p.feedforwardNorm, add(h1.name, feed(h1), 'feedforward_residual'), g);
}

export const transformerEncoderExport = layerExport('TransformerEncoder', TransformerEncoder, (layer, x, g) =>
  writeBlock(layer, x, g, sequenceMask(g)),
);
/** The decoder takes [sequence] or [sequence, encoderSequence]; its output keeps the sequence's mask. */
export const transformerDecoderExport = mergeExport(
  'TransformerDecoder',
  TransformerDecoder,
  (layer, xs, g, masks) => writeBlock(layer, xs[0], g, masks[0](), xs[1] && { value: xs[1], mask: masks[1]() }),
  (masks) => masks[0],
);

/**
 * MultiHeadAttention: the inputs' padding masks (the value's and key's over the keys, the query's over the
 * queries), the attentionMask input (nonzero = may attend, as 0/1) and the causal mask multiply into one mask.
 */
export const multiHeadAttentionExport = mergeExport(
  'MultiHeadAttention',
  MultiHeadAttention,
  (layer, xs, g, masks) => {
    const stem = layer.name;
    const core = layer.attentionCore();
    const { tq, tk } = core.inputDims!;
    const x = xs.map((v) => g.toLayout(v, 'channelsLast').name);
    const parts: string[] = [];
    const unsqueeze = (m: string, axes: number[], name: string) =>
      g.node('Unsqueeze', [m, g.int64s(`${stem}/${name}_axes`, axes)], `${stem}/${name}`);
    const valueMask = masks[1]();
    if (valueMask) parts.push(unsqueeze(valueMask, [1, 2], 'value_mask'));
    const keyMask = xs.length >= 3 ? masks[2]() : null;
    if (keyMask) parts.push(unsqueeze(keyMask, [1, 2], 'key_mask'));
    const queryMask = masks[0]();
    if (queryMask) parts.push(unsqueeze(queryMask, [1, 3], 'query_mask'));
    if (xs.length === 4) {
      const nonzero = cast(g, x[3], ONNX_TYPE.BOOL, `${stem}/attention_mask_bool`);
      parts.push(unsqueeze(cast(g, nonzero, ONNX_TYPE.FLOAT, `${stem}/attention_mask_float`), [1], 'attention_mask'));
    }
    if (layer.useCausalMask) parts.push(causalMask(g, tq, tk, stem));
    const allowed = parts.length === 0 ? null : parts.reduce((a, b) => g.node('Mul', [a, b], `${stem}/mask`));
    const inputs = { query: x[0], value: x[1], key: xs.length >= 3 ? x[2] : x[1] };
    const name = attentionNodes(g, core, `${layer.weightScope ?? layer.name}/`, inputs, allowed, stem);
    return { name, shape: layer.outputShape!, layout: 'channelsLast' };
  },
  (masks) => masks[0],
);
