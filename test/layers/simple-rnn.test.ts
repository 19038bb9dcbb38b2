/** SimpleRNN, on the template of dense.test.ts. */
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

describe('SimpleRNN', () => {
  test('gradients match finite differences (every backend)', () => {
    expectGradientsMatch(
      () => [bp.layers.simpleRNN({ units: 3, inputShape: [4, 2], biasInitializer: bias() })],
      [4, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.simpleRNN({
          units: 3,
          inputShape: [5, 2],
          returnSequences: true,
          goBackwards: true,
          activation: 'sigmoid',
        }),
        bp.layers.dense({ units: 2 }),
      ],
      [5, 2],
    );
    expectGradientsMatch(() => [bp.layers.simpleRNN({ units: 2, inputShape: [1, 3], useBias: false })], [1, 3]);
    expectGradientsMatch(
      () => [bp.layers.simpleRNN({ units: 3, inputShape: [3, 4], dropout: 0.3, activation: 'elu' })],
      [3, 4],
    );
  });

  test('gradients with masked steps', () => {
    for (const goBackwards of [false, true]) {
      for (const returnSequences of [false, true]) {
        expectGradientsMatch(
          () => [
            bp.layers.masking({ inputShape: [5, 2] }),
            bp.layers.simpleRNN({ units: 3, returnSequences, goBackwards }),
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
        bp.layers.simpleRNN({ units: 5, inputShape: [6, 3], returnSequences: true, biasInitializer: bias() }),
        bp.layers.simpleRNN({ units: 4, goBackwards: true, activation: 'relu' }),
      ],
      [6, 3],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.simpleRNN({ units: 3, inputShape: [4, 2], activation: 'selu', returnSequences: true, unroll: true }),
        bp.layers.simpleRNN({ units: 2, useBias: false, biasRegularizer: bp.regularizers.l2() }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.simpleRNN({ units: 4, inputShape: [5, 3], returnSequences: true, biasInitializer: bias() }),
        bp.layers.simpleRNN({ units: 3, goBackwards: true, activation: 'relu' }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.simpleRNN({ units: 4, inputShape: [5, 3], returnSequences: true, biasInitializer: 'randomNormal' }),
      );
      m.add(tf.layers.simpleRNN({ units: 3, goBackwards: true, activation: 'relu' }));
      return m;
    }, [5, 3]);
  });
});
