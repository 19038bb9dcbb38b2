/**
 * GlobalAveragePooling2D, GlobalMaxPooling2D and their 1-D forms (template: test/layers/dense.test.ts): gradients,
 * backend agreement, config round trip, TF.js parity both ways.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

const conv = (inputShape: number[]) =>
  bp.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh', inputShape, biasInitializer: 'randomNormal' });

describe('global pooling', () => {
  test('gradients match finite differences', () => {
    expectGradientsMatch(() => [conv([5, 4, 2]), bp.layers.globalAveragePooling2d()], [5, 4, 2]);
    expectGradientsMatch(
      () => [conv([5, 6, 2]), bp.layers.globalMaxPooling2d(), bp.layers.dense({ units: 2 })],
      [5, 6, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.conv1d({ filters: 2, kernelSize: 2, inputShape: [7, 2], biasInitializer: 'randomNormal' }),
        bp.layers.globalMaxPooling1d(),
      ],
      [7, 2],
    );
    expectGradientsMatch(() => [bp.layers.globalAveragePooling1d({ inputShape: [6, 3] })], [6, 3]);
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [conv([9, 8, 4]), bp.layers.globalMaxPooling2d(), bp.layers.dense({ units: 2 })],
      [9, 8, 4],
    );
    expectBackendsAgree(
      () => [conv([9, 8, 4]), bp.layers.globalAveragePooling2d(), bp.layers.dense({ units: 2 })],
      [9, 8, 4],
    );
  });

  test('config round trip through the registry', () => {
    const a = bp.sequential({ layers: [bp.layers.globalAveragePooling2d({ inputShape: [4, 4, 2] })] });
    const b = bp.sequential({ layers: [bp.layers.globalMaxPooling1d({ inputShape: [4, 2] })] });
    expectConfigRoundTrip([...a.layers, ...b.layers]);
    expect(a.layers[0].getConfig()).toEqual({
      name: 'global_average_pooling2d_1',
      trainable: true,
      dataFormat: 'channelsLast',
    });
    expect(() => bp.layers.layerFromConfig('GlobalMaxPooling2D', { keepdims: true })).toThrow(/keepdims/);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [conv([6, 5, 2]), bp.layers.globalMaxPooling2d(), bp.layers.dense({ units: 2 })],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.conv2d({
          filters: 3,
          kernelSize: 2,
          activation: 'tanh',
          inputShape: [6, 5, 2],
          biasInitializer: 'randomNormal',
        }),
      );
      m.add(tf.layers.globalAveragePooling2d({}));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [6, 5, 2]);
    const seq = bp.sequential({ seed: 2, layers: [bp.layers.globalAveragePooling1d({ inputShape: [7, 3] })] });
    await expectTfjsParity(seq, () => {
      const m = tf.sequential();
      m.add(tf.layers.globalMaxPooling1d({ inputShape: [7, 3] }));
      return m;
    }, [7, 3]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.sequential({ layers: [bp.layers.globalAveragePooling2d({ inputShape: [4, 4] })] })).toThrow(
      /GlobalAveragePooling2D takes \[height, width, channels\]/,
    );
    expect(() => bp.layers.globalMaxPooling2d({ dataFormat: 'channelsFirst' as never })).toThrow(
      /'dataFormat' must be 'channelsLast'/,
    );
  });
});
