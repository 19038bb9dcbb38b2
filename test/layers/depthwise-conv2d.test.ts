/**
 * DepthwiseConv2D (template: test/layers/dense.test.ts): a grouped convolution with one group per input channel.
 * Gradients (valid/same, strides 1 and 2, multiplier 1 and 2, dilation, batch 1), backend agreement, config round
 * trip, TF.js parity both ways, and the weight layout [kH, kW, inChannels, depthMultiplier].
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

const bias = () => bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });

describe('DepthwiseConv2D', () => {
  test('gradients match finite differences', () => {
    expectGradientsMatch(
      () => [
        bp.layers.depthwiseConv2d({
          kernelSize: 3,
          depthMultiplier: 2,
          activation: 'tanh',
          inputShape: [7, 6, 2],
          biasInitializer: bias(),
        }),
        bp.layers.depthwiseConv2d({ kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'sigmoid' }),
      ],
      [7, 6, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.depthwiseConv2d({
          kernelSize: 2,
          dilationRate: 2,
          padding: 'same',
          inputShape: [5, 5, 3],
          biasInitializer: bias(),
        }),
      ],
      [5, 5, 3],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.depthwiseConv2d({
          kernelSize: 3,
          depthMultiplier: 3,
          activation: 'relu',
          inputShape: [9, 8, 4],
          biasInitializer: bias(),
        }),
      ],
      [9, 8, 4],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.depthwiseConv2d({
          kernelSize: [3, 2],
          depthMultiplier: 2,
          padding: 'same',
          inputShape: [8, 8, 2],
          depthwiseRegularizer: 'l2',
        }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.getWeights().map((w) => [w.name, w.shape])).toEqual([
      ['depthwise_conv2d_1/depthwise_kernel', [3, 2, 2, 2]],
      ['depthwise_conv2d_1/bias', [4]],
    ]);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 5,
      layers: [
        bp.layers.depthwiseConv2d({
          kernelSize: 3,
          depthMultiplier: 2,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [9, 8, 3],
        }),
        bp.layers.depthwiseConv2d({ kernelSize: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.depthwiseConv2d({
          kernelSize: 3,
          depthMultiplier: 2,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [9, 8, 3],
          biasInitializer: 'randomNormal',
        }),
      );
      m.add(tf.layers.depthwiseConv2d({ kernelSize: 2, biasInitializer: 'randomNormal' }));
      return m;
    }, [9, 8, 3]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 0 })).toThrow(
      /'depthMultiplier' must be a positive integer/,
    );
    expect(() => bp.sequential({ layers: [bp.layers.depthwiseConv2d({ kernelSize: 3, inputShape: [8, 8] })] })).toThrow(
      /DepthwiseConv2D takes images/,
    );
  });
});
