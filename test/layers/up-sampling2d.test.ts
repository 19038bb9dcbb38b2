/**
 * UpSampling2D (template: test/layers/dense.test.ts), 'nearest' and 'bilinear' as TF.js computes them: values
 * equal to TF.js's resize ops, gradients (through a convolution before it), backend agreement, config round trip,
 * TF.js parity both ways, bad arguments.
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

describe('UpSampling2D', () => {
  test.each([
    ['nearest', [2, 2]],
    ['nearest', [3, 2]],
    ['bilinear', [2, 2]],
    ['bilinear', [3, 5]],
  ] as const)('%s %j: the values of TF.js resize ops, bit for bit in float32', async (interpolation, size) => {
    await tf.setBackend('cpu');
    const x = randomInput([4, 5, 3], 2, 1);
    const m = bp.sequential({
      layers: [bp.layers.upSampling2d({ size: [...size], interpolation, inputShape: [4, 5, 3] })],
    });
    const tx = tf.tensor4d(Array.from(x.data), x.shape as [number, number, number, number]);
    const out: [number, number] = [4 * size[0], 5 * size[1]];
    const want =
      interpolation === 'nearest' ? tf.image.resizeNearestNeighbor(tx, out) : tf.image.resizeBilinear(tx, out);
    expect(Array.from(m.predict(x).data)).toEqual(Array.from(want.dataSync()));
  });

  test('gradients match finite differences', () => {
    for (const interpolation of ['nearest', 'bilinear'] as const) {
      expectGradientsMatch(
        () => [
          bp.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [4, 3, 2], biasInitializer: 'randomNormal' }),
          bp.layers.upSampling2d({ size: [3, 2], interpolation }),
          bp.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2 }),
        ],
        [4, 3, 2],
      );
    }
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 4, 2] }),
        bp.layers.upSampling2d({ interpolation: 'bilinear' }),
        bp.layers.conv2d({ filters: 2, kernelSize: 3 }),
      ],
      [5, 4, 2],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.upSampling2d({ inputShape: [3, 3, 2] }),
        bp.layers.upSampling2d({ size: [1, 3], interpolation: 'bilinear' }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.outputShape).toEqual([6, 18, 2]);
    expect(model.layers[0].getConfig()).toEqual({
      name: 'up_sampling2d_1',
      trainable: true,
      size: [2, 2],
      dataFormat: 'channelsLast',
      interpolation: 'nearest',
    });
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 4, 2] }),
        bp.layers.upSampling2d({ size: [2, 3] }),
        bp.layers.upSampling2d({ size: 2, interpolation: 'bilinear' }),
        bp.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 4, 2], biasInitializer: 'randomNormal' }));
      m.add(tf.layers.upSampling2d({ size: [2, 3] }));
      m.add(tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }));
      m.add(tf.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, biasInitializer: 'randomNormal' }));
      return m;
    }, [5, 4, 2]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.upSampling2d({ size: 0 })).toThrow(/'size' must be a positive integer/);
    expect(() => bp.layers.upSampling2d({ interpolation: 'bicubic' as 'bilinear' })).toThrow(
      /'interpolation' must be 'nearest' or 'bilinear'/,
    );
    expect(() => bp.layers.upSampling2d({ dataFormat: 'channelsFirst' as 'channelsLast' })).toThrow(/'dataFormat'/);
    expect(() => layerFromConfig('UpSampling2D', { interpolation: 'area' })).toThrow(/interpolation: expected one of/);
    expect(() => bp.sequential({ layers: [bp.layers.upSampling2d({ inputShape: [4, 4] })] })).toThrow(
      /UpSampling2D takes images/,
    );
  });
});
