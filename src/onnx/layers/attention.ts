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
import { layerExport, weightInitializer } from '../layer-export';
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

/**
 * Self-attention of `h` ([batch, steps, features]) with the core's weights; `allowed` is a float mask broadcast to
 * [batch, heads, steps, steps] (1: may attend) or null.
 */
function selfAttention(
  g: GraphBuilder,
  core: MultiHeadAttentionCore,
  prefix: string,
  h: string,
  allowed: string | null,
  stem: string,
): string {
  const { numHeads: H, keyDim: kd, valueDim: vd, useBias } = core.config;
  const { queryDim: d, tq: T, outputDim } = core.inputDims!;
  const project = (p: 'query' | 'key' | 'value', depth: number, perm: number[]): string => {
    const kernel = g.weight(`${prefix}${p}/kernel`, [d, H * depth], core.weight(`${p}/kernel`).value);
    let z = g.node('MatMul', [h, kernel], `${stem}/${p}/MatMul`);
    if (useBias) {
      const bias = g.weight(`${prefix}${p}/bias`, [H * depth], core.weight(`${p}/bias`).value);
      z = g.node('Add', [z, bias], `${stem}/${p}/BiasAdd`);
    }
    const split = g.node('Reshape', [z, g.int64s(`${stem}/${p}/heads`, [0, T, H, depth])], `${stem}/${p}/Reshape`);
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
  const merged = g.node('Reshape', [steps, g.int64s(`${stem}/merged`, [0, T, H * vd])], `${stem}/merge_heads`);
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

/** The attention mask of a block: padding over the keys (and queries), causality; null when there is none. */
function blockMask(
  g: GraphBuilder,
  steps: number,
  masksQueries: boolean,
  causal: boolean,
  stem: string,
): string | null {
  const parts: string[] = [];
  const padding = sequenceMask(g);
  if (padding) {
    const unsqueeze = (axes: number[], name: string) =>
      g.node('Unsqueeze', [padding, g.int64s(`${stem}/${name}_axes`, axes)], `${stem}/${name}`);
    parts.push(unsqueeze([1, 2], 'key_mask'));
    if (masksQueries) parts.push(unsqueeze([1, 3], 'query_mask'));
  }
  if (causal) {
    const lower = Float32Array.from({ length: steps * steps }, (_, i) => (i % steps <= Math.floor(i / steps) ? 1 : 0));
    parts.push(g.weight(`${stem}/causal_mask`, [1, 1, steps, steps], lower));
  }
  if (parts.length === 0) return null;
  return parts.reduce((a, b) => g.node('Mul', [a, b], `${stem}/attention_mask`));
}

function writeBlock(layer: TransformerBlock, input: OnnxValue, g: GraphBuilder): OnnxValue {
  const x = g.toLayout(input, 'channelsLast');
  const stem = layer.name;
  const shape = layer.outputShape!;
  const p = layer.parts();
  const allowed = blockMask(g, shape[0], p.masksQueries, p.causal, stem);
  const value = (name: string): OnnxValue => ({ name, shape, layout: 'channelsLast' });
  const attend = (h: OnnxValue) =>
    selfAttention(g, p.attention, p.attentionPrefix, h.name, allowed, `${stem}/attention`);
  const feed = (h: OnnxValue) => denseExport.write(p.output, denseExport.write(p.intermediate, h, g), g).name;
  const add = (a: string, b: string, name: string) => value(g.node('Add', [a, b], `${stem}/${name}`));
  if (layer.normalizeFirst) {
    const x1 = add(x.name, attend(layerNormalizationExport.write(p.attentionNorm, x, g)), 'attention_residual');
    return add(x1.name, feed(layerNormalizationExport.write(p.feedforwardNorm, x1, g)), 'feedforward_residual');
  }
  const h1 = layerNormalizationExport.write(p.attentionNorm, add(x.name, attend(x), 'attention_residual'), g);
  return layerNormalizationExport.write(p.feedforwardNorm, add(h1.name, feed(h1), 'feedforward_residual'), g);
}

export const transformerEncoderExport = layerExport('TransformerEncoder', TransformerEncoder, writeBlock);
export const transformerDecoderExport = layerExport('TransformerDecoder', TransformerDecoder, writeBlock);
