/**
 * TransformerEncoder (KerasNLP), on the template of dense.test.ts without TF.js parity (TF.js has no such layer):
 * gradients (float64, both backends; post- and pre-norm; with a padding mask and without; dropout), backend
 * agreement, config round trip, save/load, Keras' weight names and shapes, the mask semantics, bad arguments.
 */
import * as bp from '../../src';
import { expectBackendsAgree, expectConfigRoundTrip, expectGradientsMatch, randomInput } from '../support/layer-checks';
import { expectSaveLoadRoundTrip, tokenIds } from '../support/transformer-checks';

const bias = () => bp.initializers.randomUniform({ minval: -0.2, maxval: 0.2 });

describe('TransformerEncoder', () => {
  test('gradients match finite differences (post-norm, pre-norm with gelu, dropout; every backend)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.transformerEncoder({ intermediateDim: 6, numHeads: 2, inputShape: [3, 4], biasInitializer: bias() }),
      ],
      [3, 4],
    );
    expectGradientsMatch(
      () => [
        bp.layers.transformerEncoder({
          intermediateDim: 5,
          numHeads: 3,
          activation: 'gelu',
          normalizeFirst: true,
          dropout: 0.2,
          inputShape: [4, 6],
          biasInitializer: bias(),
        }),
        bp.layers.dense({ units: 2 }),
      ],
      [4, 6],
      [2],
    );
  });

  test('gradients match with a padding mask from Embedding({ maskZero })', () => {
    expectGradientsMatch(
      () => [
        bp.layers.embedding({ inputDim: 7, outputDim: 4, maskZero: true, inputShape: [5] }),
        bp.layers.transformerEncoder({ intermediateDim: 3, numHeads: 2, biasInitializer: bias() }),
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
        bp.layers.transformerEncoder({ intermediateDim: 8, numHeads: 2, inputShape: [5, 6], biasInitializer: bias() }),
        bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 3, normalizeFirst: true, dropout: 0.1 }),
      ],
      [5, 6],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.transformerEncoder({
          intermediateDim: 8,
          numHeads: 2,
          inputShape: [5, 6],
          dropout: 0.1,
          activation: 'gelu',
          layerNormEpsilon: 1e-6,
          normalizeFirst: true,
          kernelInitializer: 'heNormal',
          biasInitializer: 'ones',
          kernelRegularizer: bp.regularizers.l2({ l2: 0.01 }),
        }),
        bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 1, trainable: false }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test("Keras' weight names, shapes and order; save and load", async () => {
    const model = bp.sequential({
      seed: 3,
      layers: [bp.layers.transformerEncoder({ name: 'enc', intermediateDim: 16, numHeads: 2, inputShape: [4, 6] })],
    });
    expect(model.getWeights().map((w) => `${w.name} ${w.shape.join('x')}`)).toEqual([
      'enc/self_attention_layer/query/kernel 6x2x3',
      'enc/self_attention_layer/query/bias 2x3',
      'enc/self_attention_layer/key/kernel 6x2x3',
      'enc/self_attention_layer/key/bias 2x3',
      'enc/self_attention_layer/value/kernel 6x2x3',
      'enc/self_attention_layer/value/bias 2x3',
      'enc/self_attention_layer/attention_output/kernel 2x3x6',
      'enc/self_attention_layer/attention_output/bias 6',
      'enc/self_attention_layer_norm/gamma 6',
      'enc/self_attention_layer_norm/beta 6',
      'enc/feedforward_layer_norm/gamma 6',
      'enc/feedforward_layer_norm/beta 6',
      'enc/feedforward_intermediate_dense/kernel 6x16',
      'enc/feedforward_intermediate_dense/bias 16',
      'enc/feedforward_output_dense/kernel 16x6',
      'enc/feedforward_output_dense/bias 6',
    ]);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = randomInput([4, 6], 3, 1);
    model.trainOnBatch(x, randomInput([4, 6], 3, 2));
    await expectSaveLoadRoundTrip(model, x);
  });

  test('padded keys are ignored: real steps come out as for the unpadded sequence', () => {
    const build = () =>
      bp.sequential({
        seed: 5,
        dtype: 'float64',
        layers: [
          bp.layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [5] }),
          bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2, biasInitializer: bias() }),
        ],
      });
    const model = build();
    const padded = model.predict(bp.tensor([[3, 1, 4, 0, 0]], [1, 5])).data;
    const noMask = bp.sequential({
      seed: 5,
      dtype: 'float64',
      layers: [
        bp.layers.embedding({ inputDim: 9, outputDim: 4, inputShape: [3] }),
        bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2, biasInitializer: bias() }),
      ],
    });
    noMask.setWeights(model.getWeights());
    const short = noMask.predict(bp.tensor([[3, 1, 4]], [1, 3])).data;
    for (let i = 0; i < 12; i++) expect(padded[i]).toBeCloseTo(short[i], 12);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.transformerEncoder({ intermediateDim: 0, numHeads: 2 })).toThrow(
      /'intermediateDim' must be an integer in \[1, 268435456\], got 0/,
    );
    expect(() => bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 1.5 })).toThrow(
      /'numHeads' must be an integer/,
    );
    expect(() => bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2, dropout: 1 })).toThrow(
      /'dropout' must be a number in \[0, 1\), got 1/,
    );
    expect(() => bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2, layerNormEpsilon: 0 })).toThrow(
      /'layerNormEpsilon' must be a positive number/,
    );
    expect(() => bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2, activation: 'nope' })).toThrow(
      /unknown activation 'nope'/,
    );
    expect(() =>
      bp.sequential({ layers: [bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2, inputShape: [6] })] }),
    ).toThrow(/expected \[steps, features\] sequences, got rank 1/);
    expect(() =>
      bp.sequential({
        layers: [bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 8, inputShape: [3, 6] })],
      }),
    ).toThrow(/the 6 features must be at least numHeads \(8\)/);
    expect(() =>
      bp.layers.layerFromConfig('TransformerEncoder', {
        intermediateDim: 4,
        numHeads: 2,
        activityRegularizer: { className: 'L2' },
      }),
    ).toThrow(/activityRegularizer.*not supported/);
  });
});
