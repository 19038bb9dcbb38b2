/**
 * ReLU (template: test/layers/dense.test.ts) with Keras' maxValue (ReLU6), negativeSlope and threshold: values,
 * gradients, backend agreement, config round trip, TF.js parity both ways (maxValue: what TF.js has), how a file
 * writes a leaky ReLU (TF.js's LeakyReLU), masks passing through, and bad arguments.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { layerFromConfig, layerToFile } from '../../src/layers/registry';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

const x = [-3, -1, -0.25, 0, 0.25, 0.5, 1, 2, 5, 7];

function apply(args: bp.layers.ReLUArgs): number[] {
  const m = bp.sequential({ layers: [bp.layers.reLU({ ...args, inputShape: [x.length] })] });
  return Array.from(m.predict(bp.tensor(x, [1, x.length])).data);
}

describe('ReLU', () => {
  test("values as Keras' relu(x, negative_slope, max_value, threshold) computes them", () => {
    const f32 = (v: number) => Math.fround(v);
    expect(apply({})).toEqual(x.map((v) => Math.max(v, 0)));
    expect(apply({ maxValue: 6 })).toEqual(x.map((v) => Math.min(Math.max(v, 0), 6)));
    expect(apply({ negativeSlope: 0.1 })).toEqual(x.map((v) => f32(v > 0 ? v : 0.1 * v)));
    expect(apply({ threshold: 0.5, maxValue: 2 })).toEqual(x.map((v) => (v > 0.5 ? Math.min(v, 2) : 0)));
    expect(apply({ threshold: 0.5, negativeSlope: 0.2, maxValue: 6 })).toEqual(
      x.map((v) => f32(v > 0.5 ? Math.min(v, 6) : 0.2 * (v - 0.5))),
    );
  });

  test('gradients match finite differences', () => {
    for (const args of [
      { maxValue: 0.4 },
      { negativeSlope: 0.3, threshold: 0.1 },
      { maxValue: 1, negativeSlope: 0.2 },
    ]) {
      expectGradientsMatch(
        () => [
          bp.layers.dense({ units: 6, inputShape: [4], biasInitializer: 'randomNormal' }),
          bp.layers.reLU(args),
          bp.layers.dense({ units: 2 }),
        ],
        [4],
      );
    }
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [bp.layers.dense({ units: 8, inputShape: [5] }), bp.layers.reLU({ maxValue: 0.3, negativeSlope: 0.1 })],
      [5],
    );
  });

  test('config round trip; a leaky ReLU is written as TF.js LeakyReLU, the Keras-only options as ReLU', () => {
    const layers = [
      bp.layers.reLU({ maxValue: 6, inputShape: [3] }),
      bp.layers.reLU({ negativeSlope: 0.2, threshold: 0.5 }),
      bp.layers.reLU(),
    ];
    bp.sequential({ layers });
    expectConfigRoundTrip(layers);
    expect(layers[0].getConfig()).toEqual({ name: 're_lu_1', trainable: true, maxValue: 6 });
    expect(layerToFile(bp.layers.reLU({ name: 'leaky', negativeSlope: 0.2 }))).toEqual([
      { className: 'LeakyReLU', config: { name: 'leaky', trainable: true, alpha: 0.2 } },
    ]);
    expect(layerToFile(layers[1])[0].className).toBe('ReLU');
    // Keras writes all three keys.
    const keras = layerFromConfig('ReLU', { maxValue: null, negativeSlope: 0, threshold: 0 });
    expect(keras.getConfig()).toEqual({ trainable: true, maxValue: null });
  });

  test('TF.js parity both ways (ReLU6)', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.dense({ units: 6, inputShape: [4], biasInitializer: 'randomNormal' }),
        bp.layers.reLU({ maxValue: 0.5 }),
        bp.layers.dense({ units: 3 }),
        bp.layers.reLU(),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 6, inputShape: [4], biasInitializer: 'randomNormal' }));
      m.add(tf.layers.reLU({ maxValue: 0.5 }));
      m.add(tf.layers.dense({ units: 3, biasInitializer: 'randomNormal' }));
      m.add(tf.layers.reLU());
      return m;
    }, [4]);
  });

  test('a sequence mask passes through', () => {
    const m = bp.sequential({
      layers: [
        bp.layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputLength: 4 }),
        bp.layers.reLU({ maxValue: 6 }),
        bp.layers.lstm({ units: 2 }),
      ],
    });
    expect(m.outputShape).toEqual([2]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.reLU({ maxValue: -1 })).toThrow(/'maxValue' must be a finite number >= 0/);
    expect(() => bp.layers.reLU({ negativeSlope: -0.1 })).toThrow(/'negativeSlope' must be a finite number >= 0/);
    expect(() => bp.layers.reLU({ threshold: NaN })).toThrow(/'threshold' must be a finite number >= 0/);
    expect(() => layerFromConfig('ReLU', { threshold: -0.5 })).toThrow(/threshold: must be >= 0/);
    expect(() => layerFromConfig('ReLU', { maxValue: 'six' })).toThrow(/maxValue: expected a finite number/);
  });
});
