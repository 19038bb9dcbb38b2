/** TimeDistributed (of Dense, and of a Dense stack's pieces), on the template of dense.test.ts. */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

const bias = () => bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });

describe('TimeDistributed', () => {
  test('gradients match finite differences (every backend)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.lstm({ units: 3, returnSequences: true, inputShape: [4, 2] }),
        bp.layers.timeDistributed({
          layer: bp.layers.dense({ units: 2, activation: 'tanh', biasInitializer: bias() }),
        }),
        bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 3, activation: 'softmax' }) }),
      ],
      [4, 2],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 4, activation: 'relu' }), inputShape: [3, 5] }),
      ],
      [3, 5],
    );
  });

  test('config round trip through the registry (the layer config nested)', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.timeDistributed({
          layer: bp.layers.dense({ units: 3, activation: 'hardSigmoid' }),
          inputShape: [4, 2],
        }),
        bp.layers.timeDistributed({ layer: bp.layers.dropout({ rate: 0.2 }) }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test('weights are named after the wrapper, as TF.js names them', () => {
    const model = bp.sequential({
      layers: [bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 2 }), inputShape: [3, 2] })],
    });
    expect(model.getWeights().map((w) => w.name)).toEqual(['time_distributed_1/kernel', 'time_distributed_1/bias']);
  });

  test('TF.js parity both ways (sequence labelling: LSTM → TimeDistributed(Dense softmax))', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 3] }),
        bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 3, activation: 'hardSigmoid' }) }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 3] }));
      m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: 'softmax' }) }));
      return m;
    }, [5, 3]);
  });

  test('a softmax per step trains with sparse labels per step (loss fused through the wrapper)', async () => {
    const model = bp.sequential({
      seed: 5,
      layers: [
        bp.layers.gru({ units: 8, returnSequences: true, inputShape: [4, 1], recurrentActivation: 'sigmoid' }),
        bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 2, activation: 'softmax' }) }),
      ],
    });
    model.compile({
      optimizer: bp.optimizers.adam({ learningRate: 0.05 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    // Label of each step: whether the running sum so far is above 1.
    const rng = new bp.Rng(1);
    const x = new Float32Array(64 * 4).map(() => rng.uniform(0, 0.7));
    const y: number[] = [];
    for (let r = 0; r < 64; r++) {
      let s = 0;
      for (let t = 0; t < 4; t++) y.push((s += x[r * 4 + t]) > 1 ? 1 : 0);
    }
    const h = await model.fit(bp.tensor(x, [64, 4, 1]), y, { epochs: 60, batchSize: 16, verbose: 0 });
    expect(h.history.accuracy[h.history.accuracy.length - 1]).toBeGreaterThan(0.9);
  });
});
