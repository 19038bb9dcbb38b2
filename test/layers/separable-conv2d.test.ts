/**
 * SeparableConv2D (template: test/layers/dense.test.ts): gradients of all three weights (valid/same, strides,
 * depth multiplier 1 and 2, dilation, softmax fused with the loss and not), backend agreement, config round trip,
 * TF.js parity both ways, weight names and order (depthwise_kernel, pointwise_kernel, bias), the off-main-thread
 * step agreeing with the synchronous one, and bad arguments.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { layerFromConfig } from '../../src/layers/registry';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';
import { nativeBackend } from '../../src/backend/select';
import { engineOf } from '../../src/model/engine';

const bias = () => bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });

describe('SeparableConv2D', () => {
  test('gradients match finite differences', () => {
    expectGradientsMatch(
      () => [
        bp.layers.separableConv2d({
          filters: 3,
          kernelSize: 3,
          depthMultiplier: 2,
          activation: 'tanh',
          inputShape: [6, 5, 2],
          biasInitializer: bias(),
        }),
        bp.layers.separableConv2d({ filters: 2, kernelSize: [2, 3], strides: 2, padding: 'same' }),
      ],
      [6, 5, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.separableConv2d({
          filters: 4,
          kernelSize: 2,
          dilationRate: 2,
          padding: 'same',
          inputShape: [5, 5, 3],
          biasInitializer: bias(),
        }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 3, activation: 'softmax' }),
      ],
      [5, 5, 3],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.separableConv2d({
          filters: 16,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          inputShape: [7, 6, 8],
          biasInitializer: bias(),
        }),
        bp.layers.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 3, strides: 2, activation: 'elu' }),
      ],
      [7, 6, 8],
    );
  });

  test('weights depthwise_kernel, pointwise_kernel, bias (TF.js order and shapes); config round trip', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.separableConv2d({
          filters: 5,
          kernelSize: [3, 2],
          depthMultiplier: 2,
          padding: 'same',
          inputShape: [8, 8, 3],
          depthwiseRegularizer: 'l2',
          pointwiseInitializer: 'heNormal',
        }),
        bp.layers.separableConv2d({ filters: 2, kernelSize: 1, useBias: false }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.getWeights().map((w) => [w.name, w.shape])).toEqual([
      ['separable_conv2d_1/depthwise_kernel', [3, 2, 3, 2]],
      ['separable_conv2d_1/pointwise_kernel', [1, 1, 6, 5]],
      ['separable_conv2d_1/bias', [5]],
      ['separable_conv2d_2/depthwise_kernel', [1, 1, 5, 1]],
      ['separable_conv2d_2/pointwise_kernel', [1, 1, 5, 2]],
    ]);
    const t = tf.layers.separableConv2d({ filters: 5, kernelSize: [3, 2], depthMultiplier: 2, padding: 'same' });
    t.build([null, 8, 8, 3]);
    expect(t.getWeights().map((w) => w.shape)).toEqual([[3, 2, 3, 2], [1, 1, 6, 5], [5]]);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 5,
      layers: [
        bp.layers.separableConv2d({
          filters: 4,
          kernelSize: 3,
          depthMultiplier: 2,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [9, 8, 3],
        }),
        bp.layers.separableConv2d({ filters: 3, kernelSize: 2, dilationRate: 2 }),
      ],
    });
    // TF.js 4 leaves depth_multiplier out of the files it writes (and cannot reload them when it is not 1), so the
    // model TF.js saves uses 1; ours, which writes it, has 2.
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.separableConv2d({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [9, 8, 3],
          biasInitializer: 'randomNormal',
        }),
      );
      m.add(tf.layers.separableConv2d({ filters: 3, kernelSize: 2, dilationRate: 2, biasInitializer: 'randomNormal' }));
      return m;
    }, [9, 8, 3]);
  });

  test('an off-main-thread training step (native) uses the async ops and gives the same weights', async () => {
    const native = nativeBackend().backend;
    if (!native) return; // the JS backend has no off-thread ops (CI requires the addon: BACKPROP_REQUIRE_NATIVE)
    const make = () => {
      const m = bp.sequential({
        seed: 9,
        layers: [
          bp.layers.separableConv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [10, 10, 8] }),
          bp.layers.flatten(),
          bp.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      return m;
    };
    const x = bp.floatArray('float32', 6 * 800),
      y = bp.floatArray('float32', 6 * 3);
    x.forEach((_, i) => (x[i] = ((i * 7) % 11) / 11 - 0.5));
    for (let r = 0; r < 6; r++) y[r * 3 + (r % 3)] = 1;
    let asyncCalls = 0;
    const counted = Object.create(native) as typeof native;
    for (const op of ['conv2dForwardAsync', 'conv2dBackwardAsync'] as const) {
      counted[op] = (async (...args: never[]) => {
        asyncCalls++;
        await (native[op] as (...a: never[]) => Promise<void>)(...args);
      }) as never;
    }
    const a = make(),
      b = make();
    for (let i = 0; i < 2; i++) {
      engineOf(a).trainStep(native, x, y, 6);
      await engineOf(b).trainStepAsync(counted, x, y, 6);
    }
    expect(asyncCalls).toBe(2 * 4); // per step: depthwise and pointwise, forward and backward
    const wa = a.getWeights(),
      wb = b.getWeights();
    wa.forEach((w, i) => expect(Array.from(wb[i].data)).toEqual(Array.from(w.data)));
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.separableConv2d({ filters: 2, kernelSize: 3, depthMultiplier: 0 })).toThrow(
      /'depthMultiplier' must be a positive integer/,
    );
    expect(() => bp.layers.separableConv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })).toThrow(
      /strides > 1 cannot be combined with dilationRate > 1/,
    );
    expect(() =>
      bp.layers.separableConv2d({
        filters: 2,
        kernelSize: 3,
        kernelInitializer: 'zeros',
      } as bp.layers.SeparableConv2DArgs),
    ).toThrow(/'depthwiseInitializer' and 'pointwiseInitializer'/);
    expect(() => layerFromConfig('SeparableConv2D', { filters: 2, kernelSize: 3, pointwiseConstraint: {} })).toThrow(
      /pointwiseConstraint: is not supported/,
    );
    expect(() =>
      bp.sequential({ layers: [bp.layers.separableConv2d({ filters: 2, kernelSize: 5, inputShape: [3, 3, 2] })] }),
    ).toThrow(/larger than the input/);
  });
});
