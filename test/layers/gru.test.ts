/**
 * GRU, on the template of dense.test.ts, for both variants: resetAfter false (TF.js) and true (Keras' default,
 * which TF.js cannot load: its file format is tested in test/io/keras-gru.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';
import { paddedSequences } from '../support/sequences';

const bias = () => bp.initializers.randomUniform({ minval: -0.3, maxval: 0.3 });

describe('GRU', () => {
  test.each([false, true])('gradients match finite differences (resetAfter %s, every backend)', (resetAfter) => {
    expectGradientsMatch(
      () => [
        bp.layers.gru({
          units: 3,
          inputShape: [4, 2],
          resetAfter,
          recurrentActivation: 'sigmoid',
          biasInitializer: bias(),
        }),
      ],
      [4, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.gru({
          units: 3,
          inputShape: [5, 2],
          resetAfter,
          returnSequences: true,
          goBackwards: true,
          biasInitializer: bias(),
        }),
        bp.layers.dense({ units: 2 }),
      ],
      [5, 2],
    );
    expectGradientsMatch(() => [bp.layers.gru({ units: 2, inputShape: [1, 3], resetAfter, useBias: false })], [1, 3]);
    expectGradientsMatch(
      () => [bp.layers.gru({ units: 3, inputShape: [3, 4], resetAfter, dropout: 0.3, activation: 'softsign' })],
      [3, 4],
    );
  });

  test.each([false, true])('gradients with masked steps (resetAfter %s)', (resetAfter) => {
    for (const goBackwards of [false, true]) {
      for (const returnSequences of [false, true]) {
        expectGradientsMatch(
          () => [
            bp.layers.masking({ inputShape: [5, 2] }),
            bp.layers.gru({
              units: 3,
              resetAfter,
              returnSequences,
              goBackwards,
              recurrentActivation: 'sigmoid',
              biasInitializer: bias(),
            }),
          ],
          [5, 2],
          [1, 3],
          7,
          (rows, seed) => paddedSequences(5, 2, rows, seed),
        );
      }
    }
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.gru({ units: 5, inputShape: [6, 3], returnSequences: true, biasInitializer: bias() }),
        bp.layers.gru({ units: 4, goBackwards: true, resetAfter: true, biasInitializer: bias() }),
      ],
      [6, 3],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.gru({
          units: 3,
          inputShape: [4, 2],
          resetAfter: true,
          recurrentActivation: 'sigmoid',
          returnSequences: true,
        }),
        bp.layers.gru({ units: 2, activation: 'relu', goBackwards: true, dropout: 0.1, implementation: 2 }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test('TF.js parity both ways (resetAfter false, hardSigmoid gates)', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.gru({ units: 4, inputShape: [5, 3], returnSequences: true, biasInitializer: bias() }),
        bp.layers.gru({ units: 3, goBackwards: true }),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.gru({ units: 4, inputShape: [5, 3], returnSequences: true, biasInitializer: 'randomNormal' }));
      m.add(tf.layers.gru({ units: 3, goBackwards: true, recurrentActivation: 'sigmoid' }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [5, 3]);
  });

  test('resetAfter true has a [2, 3·units] bias (input, then recurrent), as Keras', () => {
    const model = bp.sequential({ layers: [bp.layers.gru({ units: 4, inputShape: [3, 2], resetAfter: true })] });
    expect(model.getWeights().map((w) => [w.name, w.shape])).toEqual([
      ['gru_1/kernel', [2, 12]],
      ['gru_1/recurrent_kernel', [4, 12]],
      ['gru_1/bias', [2, 12]],
    ]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.gru({ units: 2, resetAfter: 1 as unknown as boolean })).toThrow(
      /'resetAfter' must be true or false/,
    );
    expect(() => bp.layers.gru({ units: 2, activation: 'swish' })).toThrow(/'activation' swish is not supported/);
  });
});
