/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * KerasNLP's layers exported to ONNX: the file passes ONNX's checker, and ONNX Runtime's outputs equal
 * model.predict (every backend) within 1e-5 at batch 1 and 33 — encoder and decoder blocks post- and pre-norm,
 * causal, with padding masks of every pattern (none, trailing, leading, interior, scattered, all padding), a GPT
 * stack, position embeddings, and the opsets at both ends of the range.
 */
import * as bp from '../../src';
import type { Layer } from '../../src/layers/layer';
import { expectGraphOnnxMatchesPredict, OnnxChecker, randomBatch, writeParityTable } from './support';
import { expectSequenceOnnxMatchesPredict as expectParity, paddedTokenIds, tokenIds } from './sequence-support';

const checker = new OnnxChecker();
afterAll(() => {
  checker.close();
  writeParityTable();
});

const bias = () => bp.initializers.randomUniform({ minval: -0.3, maxval: 0.3 });
const model = (layers: Layer[], seed = 5) => bp.sequential({ seed, layers });
const embed = (maskZero: boolean, steps = 7) =>
  bp.layers.tokenAndPositionEmbedding({
    vocabularySize: 13,
    sequenceLength: 9,
    embeddingDim: 8,
    maskZero,
    inputShape: [steps],
    embeddingsInitializer: 'glorotUniform',
  });

describe('KerasNLP layers → ONNX', () => {
  test('TransformerEncoder, post-norm, with and without a padding mask', async () => {
    for (const maskZero of [false, true]) {
      const m = model([
        embed(maskZero),
        bp.layers.transformerEncoder({ intermediateDim: 12, numHeads: 2, biasInitializer: bias() }),
        bp.layers.dense({ units: 3 }),
      ]);
      await expectParity(m, checker, {
        label: 'TransformerEncoder',
        input: maskZero ? paddedTokenIds(13) : tokenIds(13),
      });
    }
  });

  test('TransformerEncoder, pre-norm, gelu, opsets 13 and 21', async () => {
    for (const opset of [13, 21]) {
      const m = model([
        embed(true),
        bp.layers.transformerEncoder({
          intermediateDim: 6,
          numHeads: 4,
          normalizeFirst: true,
          activation: 'gelu',
          biasInitializer: bias(),
        }),
      ]);
      await expectParity(m, checker, { label: 'TransformerEncoder', input: paddedTokenIds(13), opset });
    }
  });

  test('TransformerDecoder (causal), post- and pre-norm, with and without a padding mask', async () => {
    for (const [maskZero, normalizeFirst] of [
      [false, false],
      [true, true],
    ]) {
      const m = model([
        embed(maskZero),
        bp.layers.transformerDecoder({ intermediateDim: 12, numHeads: 2, normalizeFirst, biasInitializer: bias() }),
      ]);
      await expectParity(m, checker, {
        label: 'TransformerDecoder',
        input: maskZero ? paddedTokenIds(13) : tokenIds(13),
      });
    }
  });

  test('a small GPT: token and position embedding, two pre-norm decoders, layer norm, logits', async () => {
    const m = model([
      embed(false, 9),
      bp.layers.transformerDecoder({ intermediateDim: 16, numHeads: 2, normalizeFirst: true }),
      bp.layers.transformerDecoder({ intermediateDim: 16, numHeads: 2, normalizeFirst: true }),
      bp.layers.layerNormalization({ epsilon: 1e-5 }),
      bp.layers.dense({ units: 13 }),
    ]);
    await expectParity(m, checker, { label: 'TransformerDecoder', input: tokenIds(13) });
  });

  test('PositionEmbedding (shorter sequences than its table)', async () => {
    const m = model([
      bp.layers.dense({ units: 4, inputShape: [5, 3] }),
      bp.layers.positionEmbedding({ sequenceLength: 8 }),
      bp.layers.dense({ units: 2 }),
    ]);
    await expectParity(m, checker, { label: 'PositionEmbedding' });
  });

  test('MultiHeadAttention: self, cross (tq ≠ tk, key ≠ value), causal, padding masks, attentionMask input', async () => {
    const L = bp.layers;
    // Self-attention over padded token embeddings (query and key masks), residual, causal.
    {
      const ids = bp.input({ shape: [7] });
      const x = embed(true).apply(ids);
      const h = L.multiHeadAttention({ numHeads: 2, keyDim: 3, useCausalMask: true, biasInitializer: bias() }).apply([
        x,
        x,
      ]);
      const m = bp.model({ inputs: ids, outputs: L.add().apply([x, h]), seed: 3 });
      await expectGraphOnnxMatchesPredict(m, checker, {
        label: 'MultiHeadAttention',
        makeInputs: (rows, seed) => [paddedTokenIds(13)([7], rows, seed)],
      });
    }
    // Cross-attention: 4 query steps over 6 key steps, a separate key, valueDim and outputShape; an attention
    // mask input of 0/1 (and a padded value sequence).
    {
      const q = bp.input({ shape: [4, 5] });
      const vIds = bp.input({ shape: [6] });
      const k = bp.input({ shape: [6, 3] });
      const am = bp.input({ shape: [4, 6] });
      const v = L.embedding({ inputDim: 13, outputDim: 2, maskZero: true }).apply(vIds);
      const mha = L.multiHeadAttention({
        numHeads: 3,
        keyDim: 2,
        valueDim: 4,
        outputShape: 7,
        biasInitializer: bias(),
      });
      const m = bp.model({ inputs: [q, vIds, k, am], outputs: mha.apply([q, v, k, am]), seed: 4 });
      await expectGraphOnnxMatchesPredict(m, checker, {
        label: 'MultiHeadAttention',
        makeInputs: (rows, seed) => {
          const allowed = randomBatch([4, 6], rows, seed + 3);
          const data = Float32Array.from(allowed.data, (a, i) => (i % 6 === 0 || a > 0 ? 1 : 0));
          return [
            randomBatch([4, 5], rows, seed),
            paddedTokenIds(13)([6], rows, seed + 1),
            randomBatch([6, 3], rows, seed + 2),
            bp.tensor(data, [rows, 4, 6]),
          ];
        },
      });
    }
  });

  test('TransformerDecoder with cross-attention on [decoder, encoder] (post- and pre-norm, padding masks)', async () => {
    const L = bp.layers;
    for (const normalizeFirst of [false, true]) {
      const decIds = bp.input({ shape: [7] });
      const encIds = bp.input({ shape: [6] });
      const encoded = L.transformerEncoder({ intermediateDim: 8, numHeads: 2, biasInitializer: bias() }).apply(
        L.embedding({ inputDim: 13, outputDim: 6, maskZero: true }).apply(encIds),
      );
      const y = L.transformerDecoder({
        intermediateDim: 12,
        numHeads: 2,
        normalizeFirst,
        biasInitializer: bias(),
      }).apply([embed(true).apply(decIds), encoded]);
      const m = bp.model({ inputs: [decIds, encIds], outputs: L.dense({ units: 3 }).apply(y), seed: 8 });
      await expectGraphOnnxMatchesPredict(m, checker, {
        label: 'TransformerDecoder',
        makeInputs: (rows, seed) => [paddedTokenIds(13)([7], rows, seed), paddedTokenIds(13)([6], rows, seed + 1)],
      });
    }
  });
});
