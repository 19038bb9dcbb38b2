/**
 * TransformerDecoder (KerasNLP) in decoder-only use, on the template of dense.test.ts without TF.js parity (TF.js
 * has no such layer): gradients (float64, both backends; post- and pre-norm; with a padding mask and without;
 * dropout), backend agreement, config round trip, save/load, Keras' weight names, causality, bad arguments.
 */
import * as bp from '../../src';
import { expectBackendsAgree, expectConfigRoundTrip, expectGradientsMatch, randomInput } from '../support/layer-checks';
import { expectSaveLoadRoundTrip, tokenIds } from '../support/transformer-checks';

const bias = () => bp.initializers.randomUniform({ minval: -0.2, maxval: 0.2 });

describe('TransformerDecoder', () => {
  test('gradients match finite differences (post-norm, pre-norm with dropout; every backend)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.transformerDecoder({ intermediateDim: 6, numHeads: 2, inputShape: [3, 4], biasInitializer: bias() }),
      ],
      [3, 4],
    );
    expectGradientsMatch(
      () => [
        bp.layers.transformerDecoder({
          intermediateDim: 5,
          numHeads: 3,
          activation: 'tanh',
          normalizeFirst: true,
          dropout: 0.25,
          inputShape: [4, 6],
          biasInitializer: bias(),
        }),
      ],
      [4, 6],
      [2],
    );
  });

  test('gradients match with a padding mask (tokenAndPositionEmbedding({ maskZero }))', () => {
    expectGradientsMatch(
      () => [
        bp.layers.tokenAndPositionEmbedding({
          vocabularySize: 7,
          sequenceLength: 6,
          embeddingDim: 4,
          maskZero: true,
          inputShape: [5],
        }),
        bp.layers.transformerDecoder({
          intermediateDim: 3,
          numHeads: 2,
          normalizeFirst: true,
          biasInitializer: bias(),
        }),
        bp.layers.dense({ units: 3 }),
      ],
      [5],
      [1, 3],
      7,
      (rows, seed) => tokenIds(5, 7, rows, seed),
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.transformerDecoder({ intermediateDim: 8, numHeads: 2, inputShape: [5, 6], biasInitializer: bias() }),
        bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 3, normalizeFirst: true, dropout: 0.1 }),
      ],
      [5, 6],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.transformerDecoder({
          intermediateDim: 8,
          numHeads: 2,
          inputShape: [5, 6],
          dropout: 0.1,
          activation: 'gelu',
          layerNormEpsilon: 1e-6,
          normalizeFirst: true,
          kernelInitializer: 'heNormal',
        }),
        bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 1, trainable: false }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test("Keras' weight names, shapes and order; save and load", async () => {
    const model = bp.sequential({
      seed: 3,
      layers: [bp.layers.transformerDecoder({ name: 'dec', intermediateDim: 8, numHeads: 4, inputShape: [4, 8] })],
    });
    expect(model.getWeights().map((w) => `${w.name} ${w.shape.join('x')}`)).toEqual([
      'dec/self_attention/query/kernel 8x4x2',
      'dec/self_attention/query/bias 4x2',
      'dec/self_attention/key/kernel 8x4x2',
      'dec/self_attention/key/bias 4x2',
      'dec/self_attention/value/kernel 8x4x2',
      'dec/self_attention/value/bias 4x2',
      'dec/self_attention/attention_output/kernel 4x2x8',
      'dec/self_attention/attention_output/bias 8',
      'dec/self_attention_layer_norm/gamma 8',
      'dec/self_attention_layer_norm/beta 8',
      'dec/feedforward_intermediate_dense/kernel 8x8',
      'dec/feedforward_intermediate_dense/bias 8',
      'dec/feedforward_output_dense/kernel 8x8',
      'dec/feedforward_output_dense/bias 8',
      'dec/feedforward_layer_norm/gamma 8',
      'dec/feedforward_layer_norm/beta 8',
    ]);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = randomInput([4, 8], 3, 1);
    model.trainOnBatch(x, randomInput([4, 8], 3, 2));
    await expectSaveLoadRoundTrip(model, x);
  });

  test('causal: a step does not depend on later steps', () => {
    const model = bp.sequential({
      seed: 4,
      dtype: 'float64',
      layers: [
        bp.layers.transformerDecoder({ intermediateDim: 8, numHeads: 2, inputShape: [5, 4], biasInitializer: bias() }),
      ],
    });
    const x = randomInput([5, 4], 1, 9);
    const y = model.predict(x).data;
    const x2 = bp.tensor(Float32Array.from(x.data), [1, 5, 4]);
    for (let i = 12; i < 20; i++) x2.data[i] += 1; // steps 3 and 4
    const y2 = model.predict(x2).data;
    expect(Array.from(y2.subarray(0, 12))).toEqual(Array.from(y.subarray(0, 12)));
    expect(Array.from(y2.subarray(12))).not.toEqual(Array.from(y.subarray(12)));
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 0 })).toThrow(
      /'numHeads' must be an integer in \[1, 4096\], got 0/,
    );
    expect(() => bp.layers.transformerDecoder({ intermediateDim: 4, numHeads: 2, normalizeFirst: 1 as never })).toThrow(
      /'normalizeFirst' must be true or false/,
    );
    expect(() =>
      bp.layers.layerFromConfig('TransformerDecoder', {
        intermediateDim: 4,
        numHeads: 2,
        encoderSequenceShape: [null, 3, 4],
      }),
    ).toThrow(/cross-attention .* is not supported yet/);
  });
});
