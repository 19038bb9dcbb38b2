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
import { OnnxChecker, writeParityTable } from './support';
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
});
