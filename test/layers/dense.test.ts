/**
 * Dense — and the template every layer's test copies: gradients (float64, both backends, batch 1 and 3),
 * backend agreement, config round trip, TF.js parity both ways; then what is particular to the layer.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
  randomInput,
} from '../support/layer-checks';

const bias = () => bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });

describe('Dense', () => {
  test('gradients match finite differences (rank 1 and rank 3 inputs, every backend)', () => {
    expectGradientsMatch(
      () => [bp.layers.dense({ units: 4, activation: 'tanh', inputShape: [5], biasInitializer: bias() })],
      [5],
    );
    // TF.js applies Dense to the last axis: [4, 3, 5] → [4, 3, 2].
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 2, activation: 'sigmoid', inputShape: [4, 3, 5], biasInitializer: bias() }),
        bp.layers.dense({ units: 3, useBias: false, kernelRegularizer: bp.regularizers.l2({ l2: 0.01 }) }),
      ],
      [4, 3, 5],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [bp.layers.dense({ units: 6, activation: 'relu', inputShape: [3, 7], biasInitializer: bias() })],
      [3, 7],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.dense({
          units: 3,
          activation: 'selu',
          inputShape: [2, 4],
          useBias: false,
          kernelInitializer: bp.initializers.varianceScaling({ scale: 2, mode: 'fan_out', distribution: 'uniform' }),
          kernelRegularizer: bp.regularizers.l1l2({ l1: 0.01, l2: 0.02 }),
        }),
        bp.layers.dense({ units: 2, activation: 'leakyRelu', trainable: false }),
      ],
    });
    expectConfigRoundTrip(model.layers);
  });

  test('TF.js parity both ways (rank-3 input)', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [bp.layers.dense({ units: 4, activation: 'relu', inputShape: [3, 5] }), bp.layers.dense({ units: 2 })],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 4, activation: 'relu', inputShape: [3, 5] }));
      m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
      return m;
    }, [3, 5]);
  });

  test('rank-3 dense trains end to end: fit, predict shape [rows, 3, 2], save, load', async () => {
    const model = bp.sequential({
      seed: 4,
      layers: [bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [3, 4] }), bp.layers.dense({ units: 2 })],
    });
    model.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    const x = randomInput([3, 4], 64, 1);
    // Target: per position, the sum and difference of the first two features.
    const y = new Float32Array(64 * 3 * 2);
    for (let r = 0; r < 64 * 3; r++) {
      y[r * 2] = x.data[r * 4] + x.data[r * 4 + 1];
      y[r * 2 + 1] = x.data[r * 4] - x.data[r * 4 + 1];
    }
    const yt = bp.tensor(y, [64, 3, 2]);
    const before = model.evaluate(x, yt).loss;
    await model.fit(x, yt, { epochs: 60, batchSize: 16, verbose: 0 });
    const after = model.evaluate(x, yt).loss;
    expect(after).toBeLessThan(before / 10);
    expect(model.predict(x).shape).toEqual([64, 3, 2]);
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(`${os.tmpdir()}/bp-dense3-`);
    await model.save(dir);
    const again = await bp.loadLayersModel(dir);
    expect(Array.from(again.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.dense({ units: 0 })).toThrow(/'units' must be an integer in \[1, 268435456\], got 0/);
    expect(() => bp.layers.dense({ units: 2, inputShape: [0] })).toThrow(/'inputShape' must contain positive integers/);
    expect(() => bp.layers.dense({ units: 2, activation: 'nope' })).toThrow(/unknown activation 'nope'/);
  });
});
