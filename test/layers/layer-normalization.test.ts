/** LayerNormalization, on the template of dense.test.ts. */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

describe('LayerNormalization', () => {
  test('gradients match finite differences (rank 1 and rank 2 inputs; with and without center/scale)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 5, inputShape: [3] }),
        bp.layers.layerNormalization({
          gammaInitializer: bp.initializers.randomUniform({ minval: 0.5, maxval: 1.5 }),
          betaInitializer: bp.initializers.randomUniform(),
        }),
        bp.layers.dense({ units: 2 }),
      ],
      [3],
    );
    expectGradientsMatch(
      () => [
        bp.layers.layerNormalization({ inputShape: [4, 3], center: false, gammaRegularizer: bp.regularizers.l2() }),
        bp.layers.layerNormalization({ scale: false, epsilon: 0.01 }),
        bp.layers.dense({ units: 2 }),
      ],
      [4, 3],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [bp.layers.layerNormalization({ inputShape: [3, 7] }), bp.layers.dense({ units: 2 })],
      [3, 7],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.layerNormalization({ inputShape: [4], epsilon: 1e-5, center: false }),
        bp.layers.layerNormalization({ axis: [1] }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test('TF.js parity both ways (after an LSTM over sequences)', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 3] }),
        bp.layers.layerNormalization({ betaInitializer: bp.initializers.randomUniform() }),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 3] }));
      m.add(tf.layers.layerNormalization({ epsilon: 1e-4, betaInitializer: 'randomNormal' }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [5, 3]);
  });

  test('output rows have mean beta and standard deviation gamma (up to epsilon)', () => {
    const model = bp.sequential({
      dtype: 'float64',
      layers: [bp.layers.layerNormalization({ inputShape: [6], epsilon: 1e-9 })],
    });
    const y = Array.from(model.predict([[1, 2, 3, 4, 5, 100]]).data);
    const mean = y.reduce((a, b) => a + b, 0) / 6;
    const variance = y.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
    expect(mean).toBeCloseTo(0, 10);
    expect(variance).toBeCloseTo(1, 6);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.layerNormalization({ axis: 1 })).not.toThrow();
    expect(() => bp.sequential({ layers: [bp.layers.layerNormalization({ axis: 1, inputShape: [3, 4] })] })).toThrow(
      /'axis' 1 is not the last axis/,
    );
    expect(() => bp.layers.layerNormalization({ axis: [1, 2] })).toThrow(/'axis' must be -1/);
    expect(() => bp.layers.layerNormalization({ epsilon: 0 })).toThrow(/'epsilon' must be a positive number/);
  });
});
