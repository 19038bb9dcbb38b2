/**
 * Cropping2D (template: test/layers/dense.test.ts): values, gradients (through a convolution before it), backend
 * agreement, config round trip (all three cropping forms), TF.js parity both ways, bad arguments.
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

describe('Cropping2D', () => {
  test('keeps the interior', () => {
    const m = bp.sequential({
      layers: [
        bp.layers.cropping2d({
          cropping: [
            [1, 0],
            [0, 2],
          ],
          inputShape: [3, 4, 1],
        }),
      ],
    });
    const x = bp.tensor(
      Array.from({ length: 12 }, (_, i) => i),
      [1, 3, 4, 1],
    );
    expect(Array.from(m.predict(x).data)).toEqual([4, 5, 8, 9]);
  });

  test('gradients match finite differences', () => {
    expectGradientsMatch(
      () => [
        bp.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [6, 5, 2], biasInitializer: 'randomNormal' }),
        bp.layers.cropping2d({
          cropping: [
            [1, 2],
            [0, 1],
          ],
        }),
        bp.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }),
      ],
      [6, 5, 2],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [6, 6, 3] }),
        bp.layers.cropping2d({ cropping: 1 }),
        bp.layers.conv2d({ filters: 2, kernelSize: 2 }),
      ],
      [6, 6, 3],
    );
  });

  test('config round trip through the registry (number, [rows, cols], [[top, bottom], [left, right]])', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.cropping2d({ cropping: 1, inputShape: [9, 9, 1] }),
        bp.layers.cropping2d({ cropping: [2, 0] }),
        bp.layers.cropping2d({
          cropping: [
            [0, 1],
            [2, 3],
          ],
        }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.outputShape).toEqual([2, 2, 1]);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [7, 6, 2] }),
        bp.layers.cropping2d({
          cropping: [
            [1, 2],
            [2, 0],
          ],
        }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [7, 6, 2], biasInitializer: 'randomNormal' }));
      m.add(
        tf.layers.cropping2D({
          cropping: [
            [1, 2],
            [2, 0],
          ],
        }),
      );
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [7, 6, 2]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.cropping2d({ cropping: -1 })).toThrow(/'cropping' must be a non-negative integer/);
    expect(() => layerFromConfig('Cropping2D', { cropping: [1, 2, 3] })).toThrow(/cropping: .*'cropping' must be/);
    expect(() => bp.sequential({ layers: [bp.layers.cropping2d({ cropping: 2, inputShape: [4, 6, 1] })] })).toThrow(
      /leaves no pixels/,
    );
    expect(() => bp.sequential({ layers: [bp.layers.cropping2d({ inputShape: [4, 6] })] })).toThrow(
      /Cropping2D takes images/,
    );
  });
});
