/**
 * Conv1D (template: test/layers/dense.test.ts): gradients for 'valid', 'same' and 'causal' padding, strides 1
 * and 2, dilation, batch 1; backend agreement; config round trip; TF.js parity both ways (TF.js 4 has no causal
 * padding, so parity covers 'valid' and 'same'); causal outputs see no future step.
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

describe('Conv1D', () => {
  test('gradients match finite differences: valid, same, causal; strides 1 and 2; dilation', () => {
    expectGradientsMatch(
      () => [
        bp.layers.conv1d({
          filters: 3,
          kernelSize: 3,
          activation: 'tanh',
          inputShape: [9, 2],
          biasInitializer: bias(),
        }),
        bp.layers.conv1d({ filters: 2, kernelSize: 2, strides: 2, padding: 'same', activation: 'sigmoid' }),
      ],
      [9, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.conv1d({
          filters: 2,
          kernelSize: 3,
          dilationRate: 2,
          padding: 'causal',
          inputShape: [8, 3],
          biasInitializer: bias(),
        }),
        bp.layers.conv1d({ filters: 2, kernelSize: 2, padding: 'causal', activation: 'elu' }),
      ],
      [8, 3],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.conv1d({
          filters: 4,
          kernelSize: 5,
          activation: 'relu',
          inputShape: [20, 3],
          biasInitializer: bias(),
        }),
        bp.layers.conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
      ],
      [20, 3],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.conv1d({ filters: 3, kernelSize: 4, padding: 'causal', dilationRate: 2, inputShape: [16, 2] }),
        bp.layers.conv1d({ filters: 2, kernelSize: [3], strides: [2], useBias: false, kernelRegularizer: 'l2' }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.layers[1].getConfig()).toMatchObject({ kernelSize: [3], strides: [2], dilationRate: [1] });
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.conv1d({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [15, 3],
        }),
        bp.layers.conv1d({ filters: 2, kernelSize: 2, dilationRate: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.conv1d({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [15, 3],
          biasInitializer: 'randomNormal',
        }),
      );
      m.add(tf.layers.conv1d({ filters: 2, kernelSize: 2, dilationRate: 2, biasInitializer: 'randomNormal' }));
      return m;
    }, [15, 3]);
  });

  test("'causal' padding: output step t depends only on input steps t, t-d, t-2d", () => {
    const model = bp.sequential({
      seed: 1,
      layers: [
        bp.layers.conv1d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'causal', inputShape: [10, 1] }),
      ],
    });
    expect(model.outputShape).toEqual([10, 2]);
    const x = randomInput([10, 1], 1, 2);
    const before = model.predict(x).data;
    const changed = Float32Array.from(x.data);
    changed[6] += 1; // step 6
    const after = model.predict(bp.tensor(changed, [1, 10, 1])).data;
    for (let t = 0; t < 10; t++) {
      const same = before[2 * t] === after[2 * t] && before[2 * t + 1] === after[2 * t + 1];
      // Taps at t, t-2, t-4 (dilation 2): step 6 reaches outputs 6, 8 (and 10, past the end) only.
      expect({ t, same }).toEqual({ t, same: !(t === 6 || t === 8) });
    }
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.conv1d({ filters: 2, kernelSize: [3, 3] })).toThrow(
      /'kernelSize' must be a positive integer/,
    );
    expect(() => bp.layers.conv1d({ filters: 1.5, kernelSize: 3 })).toThrow(/'filters' must be a positive integer/);
    expect(() =>
      bp.sequential({ layers: [bp.layers.conv1d({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1] })] }),
    ).toThrow(/Conv1D takes sequences \[steps, channels\]/);
  });
});
