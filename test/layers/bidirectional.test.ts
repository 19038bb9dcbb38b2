/**
 * Bidirectional, on the template of dense.test.ts: every merge mode, each recurrent layer, sequences and
 * last state, masks; the config nests the wrapped layer's and the weights are named as TF.js names them.
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
import { MERGE_MODES } from '../../src/layers/bidirectional';

const bias = () => bp.initializers.randomUniform({ minval: -0.3, maxval: 0.3 });

describe('Bidirectional', () => {
  test.each(MERGE_MODES.map((m) => [m]))(
    'gradients match finite differences (mergeMode %s, every backend)',
    (mergeMode) => {
      expectGradientsMatch(
        () => [
          bp.layers.bidirectional({
            layer: bp.layers.lstm({
              units: 2,
              returnSequences: true,
              recurrentActivation: 'sigmoid',
              biasInitializer: bias(),
            }),
            mergeMode,
            inputShape: [4, 3],
          }),
          bp.layers.bidirectional({ layer: bp.layers.gru({ units: 2, biasInitializer: bias() }), mergeMode }),
        ],
        [4, 3],
      );
    },
  );

  test('gradients with masked steps (SimpleRNN and GRU resetAfter inside)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.masking({ inputShape: [5, 2] }),
        bp.layers.bidirectional({ layer: bp.layers.simpleRNN({ units: 2, returnSequences: true }) }),
        bp.layers.bidirectional({ layer: bp.layers.gru({ units: 2, resetAfter: true }), mergeMode: 'ave' }),
      ],
      [5, 2],
      [1, 3],
      7,
      (rows, seed) => paddedSequences(5, 2, rows, seed),
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.bidirectional({ layer: bp.layers.lstm({ units: 3, returnSequences: true }), inputShape: [5, 2] }),
      ],
      [5, 2],
    );
  });

  test('config round trip through the registry (the layer config nested)', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.bidirectional({
          layer: bp.layers.gru({ units: 3, resetAfter: true, returnSequences: true }),
          mergeMode: 'mul',
          inputShape: [4, 2],
        }),
        bp.layers.bidirectional({ layer: bp.layers.simpleRNN({ units: 2, name: 'inner' }), mergeMode: 'sum' }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.layers[1].getConfig().layer).toMatchObject({
      className: 'SimpleRNN',
      config: { name: 'inner', units: 2 },
    });
  });

  test('weights are named as TF.js names them: <name>/forward_<layer>/..., then backward', () => {
    const model = bp.sequential({
      layers: [bp.layers.bidirectional({ layer: bp.layers.lstm({ units: 2 }), inputShape: [3, 2] })],
    });
    expect(model.getWeights().map((w) => w.name)).toEqual([
      'bidirectional_1/forward_lstm/kernel',
      'bidirectional_1/forward_lstm/recurrent_kernel',
      'bidirectional_1/forward_lstm/bias',
      'bidirectional_1/backward_lstm/kernel',
      'bidirectional_1/backward_lstm/recurrent_kernel',
      'bidirectional_1/backward_lstm/bias',
    ]);
  });

  test('TF.js parity both ways (concat and ave; LSTM and GRU inside)', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.bidirectional({
          layer: bp.layers.lstm({ units: 3, returnSequences: true, biasInitializer: bias() }),
          inputShape: [5, 3],
        }),
        bp.layers.bidirectional({ layer: bp.layers.gru({ units: 2 }), mergeMode: 'ave' }),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 3, returnSequences: true, biasInitializer: 'randomNormal' }) as tf.RNN,
          inputShape: [5, 3],
        }),
      );
      m.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2 }) as tf.RNN, mergeMode: 'ave' }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [5, 3]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.bidirectional({ layer: bp.layers.dense({ units: 2 }) as never })).toThrow(
      /'layer' must be a recurrent layer/,
    );
    expect(() => bp.layers.bidirectional({ layer: bp.layers.lstm({ units: 2 }), mergeMode: 'max' as never })).toThrow(
      /'mergeMode' must be one of concat, sum, mul, ave/,
    );
  });
});
