/**
 * Conv2DTranspose (template: test/layers/dense.test.ts): gradients ('valid'/'same', strides 1 to 3, kernels
 * smaller and larger than the stride, batch 1), backend agreement, config round trip, TF.js parity both ways, the
 * kernel layout [kH, kW, filters, inChannels], the output sizes TF.js computes, the adjoint relation with Conv2D,
 * and bad arguments.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { layerFromConfig } from '../../src/layers/registry';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
  randomInput,
} from '../support/layer-checks';
import { backendNames } from '../support/backends';

const bias = () => bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });

describe('Conv2DTranspose', () => {
  test('gradients match finite differences', () => {
    expectGradientsMatch(
      () => [
        bp.layers.conv2dTranspose({
          filters: 3,
          kernelSize: 3,
          strides: 2,
          activation: 'tanh',
          inputShape: [3, 4, 2],
          biasInitializer: bias(),
        }),
        bp.layers.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: [1, 2], padding: 'same' }),
      ],
      [3, 4, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.conv2dTranspose({
          filters: 2,
          kernelSize: 2,
          strides: 3,
          activation: 'sigmoid',
          inputShape: [2, 3, 3],
          biasInitializer: bias(),
        }),
      ],
      [2, 3, 3],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.conv2dTranspose({
          filters: 8,
          kernelSize: 4,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [5, 4, 8],
          biasInitializer: bias(),
        }),
        bp.layers.conv2dTranspose({ filters: 3, kernelSize: 3, activation: 'elu' }),
      ],
      [5, 4, 8],
    );
  });

  test('output sizes as TF.js computes them, kernel [kH, kW, filters, inChannels]', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, inputShape: [5, 6, 3] }),
        bp.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same' }),
        bp.layers.conv2dTranspose({ filters: 1, kernelSize: [1, 5], strides: [2, 1] }),
      ],
    });
    expect(model.layers.map((l) => l.outputShape)).toEqual([
      [11, 13, 4],
      [33, 39, 2],
      [66, 43, 1],
    ]);
    for (const [i, l] of model.layers.entries()) {
      const t = tf.layers.conv2dTranspose(l.getConfig() as never);
      expect(t.computeOutputShape([null, ...(l.inputShape as number[])])).toEqual([null, ...l.outputShape!]);
      expect(model.getWeights()[2 * i].shape).toEqual([
        ...(l.getConfig().kernelSize as number[]),
        ...[l.outputShape![2], l.inputShape![2]],
      ]);
    }
  });

  test('is the adjoint of Conv2D with the same kernel: <convT(x), y> = <x, conv(y)>', () => {
    for (const name of backendNames()) {
      bp.setBackend(name);
      try {
        for (const [strides, padding] of [
          [2, 'same'],
          [3, 'valid'],
          [1, 'valid'],
        ] as const) {
          const t = bp.sequential({
            seed: 3,
            dtype: 'float64',
            layers: [
              bp.layers.conv2dTranspose({
                filters: 3,
                kernelSize: 3,
                strides,
                padding,
                useBias: false,
                inputShape: [4, 5, 2],
              }),
            ],
          });
          const out = t.outputShape as number[];
          const c = bp.sequential({
            dtype: 'float64',
            layers: [
              bp.layers.conv2d({ filters: 2, kernelSize: 3, strides, padding, useBias: false, inputShape: out }),
            ],
          });
          expect(c.outputShape).toEqual([4, 5, 2]);
          c.setWeights(t.getWeights().map((w) => w.data)); // the same memory: [3, 3, 3, 2] read as [kH, kW, in, out]
          const x = randomInput([4, 5, 2], 2, 5);
          const y = randomInput(out, 2, 6);
          const tx = t.predict(x).data,
            cy = c.predict(y).data;
          let lhs = 0,
            rhs = 0;
          for (let i = 0; i < tx.length; i++) lhs += tx[i] * y.data[i];
          for (let i = 0; i < cy.length; i++) rhs += x.data[i] * cy[i];
          expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
        }
      } finally {
        bp.setBackend('auto');
      }
    }
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.conv2dTranspose({
          filters: 3,
          kernelSize: [3, 2],
          strides: 2,
          padding: 'same',
          inputShape: [4, 4, 2],
          kernelRegularizer: 'l2',
        }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.getWeights().map((w) => [w.name, w.shape])).toEqual([
      ['conv2d_transpose_1/kernel', [3, 2, 3, 2]],
      ['conv2d_transpose_1/bias', [3]],
    ]);
    // Keras writes dilation_rate [1, 1] and output_padding null: both read.
    const keras = layerFromConfig('Conv2DTranspose', {
      filters: 2,
      kernelSize: [3, 3],
      dilationRate: [1, 1],
      outputPadding: null,
      groups: 1,
    });
    expect(keras.className).toBe('Conv2DTranspose');
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 5,
      layers: [
        bp.layers.conv2dTranspose({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [4, 3, 3],
        }),
        bp.layers.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 2 }),
        bp.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same', activation: 'tanh' }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.conv2dTranspose({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [4, 3, 3],
          biasInitializer: 'randomNormal',
        }),
      );
      m.add(tf.layers.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 2, biasInitializer: 'randomNormal' }));
      m.add(
        tf.layers.conv2dTranspose({
          filters: 2,
          kernelSize: 2,
          strides: 3,
          padding: 'same',
          activation: 'tanh',
          biasInitializer: 'randomNormal',
        }),
      );
      return m;
    }, [4, 3, 3]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.conv2dTranspose({ filters: 0, kernelSize: 3 })).toThrow(/'filters' must be a positive/);
    expect(() => bp.layers.conv2dTranspose({ filters: 2, kernelSize: 3, padding: 'causal' as 'same' })).toThrow(
      /'padding' must be 'valid' or 'same'/,
    );
    expect(() =>
      bp.layers.conv2dTranspose({ filters: 2, kernelSize: 3, dilationRate: 2 } as bp.layers.Conv2DTransposeArgs),
    ).toThrow(/'dilationRate' must be 1/);
    expect(() =>
      bp.layers.conv2dTranspose({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' as 'channelsLast' }),
    ).toThrow(/'dataFormat' must be 'channelsLast'/);
    expect(() => layerFromConfig('Conv2DTranspose', { filters: 2, kernelSize: 3, outputPadding: [1, 1] })).toThrow(
      /outputPadding: is not supported/,
    );
    expect(() => layerFromConfig('Conv2DTranspose', { filters: 2, kernelSize: 3, dilationRate: [2, 2] })).toThrow(
      /dilationRate: must be 1/,
    );
    expect(() =>
      bp.sequential({ layers: [bp.layers.conv2dTranspose({ filters: 2, kernelSize: 3, inputShape: [8, 8] })] }),
    ).toThrow(/Conv2DTranspose takes images/);
  });
});
