/**
 * ZeroPadding2D (template: test/layers/dense.test.ts): gradients, backend agreement, config round trip (all three
 * padding forms), TF.js parity both ways; the border is zero after any number of steps.
 */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';

describe('ZeroPadding2D', () => {
  test('gradients match finite differences', () => {
    expectGradientsMatch(
      () => [
        bp.layers.zeroPadding2d({
          padding: [
            [1, 2],
            [0, 3],
          ],
          inputShape: [3, 4, 2],
        }),
        bp.layers.conv2d({
          filters: 2,
          kernelSize: 3,
          strides: 2,
          activation: 'tanh',
          biasInitializer: 'randomNormal',
        }),
      ],
      [3, 4, 2],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [bp.layers.zeroPadding2d({ inputShape: [5, 4, 3] }), bp.layers.conv2d({ filters: 2, kernelSize: 3 })],
      [5, 4, 3],
    );
  });

  test('config round trip through the registry (number, [rows, cols], [[top, bottom], [left, right]])', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.zeroPadding2d({ padding: 2, inputShape: [3, 3, 1] }),
        bp.layers.zeroPadding2d({ padding: [1, 0] }),
        bp.layers.zeroPadding2d({
          padding: [
            [0, 1],
            [2, 3],
          ],
        }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.layers.map((l) => l.getConfig().padding)).toEqual([
      [
        [2, 2],
        [2, 2],
      ],
      [
        [1, 1],
        [0, 0],
      ],
      [
        [0, 1],
        [2, 3],
      ],
    ]);
    expect(model.outputShape).toEqual([3 + 4 + 2 + 1, 3 + 4 + 5, 1]);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.zeroPadding2d({
          padding: [
            [1, 0],
            [2, 1],
          ],
          inputShape: [4, 3, 2],
        }),
        bp.layers.conv2d({ filters: 2, kernelSize: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.zeroPadding2d({
          padding: [
            [1, 0],
            [2, 1],
          ],
          inputShape: [4, 3, 2],
        }),
      );
      m.add(tf.layers.conv2d({ filters: 2, kernelSize: 2, biasInitializer: 'randomNormal' }));
      return m;
    }, [4, 3, 2]);
  });

  test('forward pads with zeros around each image, backward returns the interior', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.zeroPadding2d({
          padding: [
            [1, 0],
            [0, 1],
          ],
          inputShape: [2, 2, 1],
        }),
      ],
    });
    const x = bp.tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2, 1]);
    for (let i = 0; i < 2; i++) {
      expect(Array.from(model.predict(x).data)).toEqual([0, 0, 0, 1, 2, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 7, 8, 0]);
    }
    const layer = model.layers[0];
    const dy = Float32Array.from({ length: 18 }, (_, i) => i);
    const dx = layer.backward(bp.jsReference(), dy, 2, true, false, null)!;
    expect(Array.from(dx)).toEqual([3, 4, 6, 7, 12, 13, 15, 16]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.zeroPadding2d({ padding: -1 })).toThrow(/'padding' must be a non-negative integer/);
    expect(() => bp.layers.zeroPadding2d({ padding: [1, 2, 3] as never })).toThrow(/'padding' must be/);
    expect(() => bp.sequential({ layers: [bp.layers.zeroPadding2d({ inputShape: [4] })] })).toThrow(
      /ZeroPadding2D takes images/,
    );
  });
});
