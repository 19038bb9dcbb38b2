/**
 * MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D (template: test/layers/dense.test.ts):
 * gradients (valid/same, strides 1 and 2, odd sizes, batch 1), backend agreement, config round trip, TF.js parity
 * both ways; max pooling's first maximum wins and its gradient goes to it alone.
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
  bp.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh', inputShape, biasInitializer: 'randomNormal' });

describe('pooling', () => {
  test('gradients match finite differences (through a convolution, so the pooled values are distinct)', () => {
    expectGradientsMatch(
      () => [
        conv([8, 7, 2]),
        bp.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        bp.layers.averagePooling2d(),
      ],
      [8, 7, 2],
    );
    expectGradientsMatch(
      () => [
        conv([7, 8, 3]),
        bp.layers.averagePooling2d({ poolSize: [3, 2], strides: 1, padding: 'same' }),
        bp.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      ],
      [7, 8, 3],
    );
    expectGradientsMatch(
      () => [
        bp.layers.conv1d({
          filters: 2,
          kernelSize: 2,
          activation: 'tanh',
          inputShape: [11, 2],
          biasInitializer: 'randomNormal',
        }),
        bp.layers.maxPooling1d({ poolSize: 3, padding: 'same' }),
        bp.layers.averagePooling1d({ poolSize: 2, strides: 1 }),
      ],
      [11, 2],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        conv([12, 11, 3]),
        bp.layers.maxPooling2d({ padding: 'same' }),
        bp.layers.averagePooling2d({ poolSize: 3, strides: 1 }),
      ],
      [12, 11, 3],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({
      layers: [
        bp.layers.maxPooling2d({ poolSize: [3, 2], strides: [1, 2], padding: 'same', inputShape: [8, 8, 2] }),
        bp.layers.averagePooling2d({ poolSize: 2 }),
      ],
    });
    expectConfigRoundTrip(model.layers);
    expect(model.layers[1].getConfig()).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
    const seq = bp.sequential({
      layers: [
        bp.layers.maxPooling1d({ poolSize: 3, inputShape: [10, 2] }),
        bp.layers.averagePooling1d({ strides: 1 }),
      ],
    });
    expectConfigRoundTrip(seq.layers);
    expect(seq.outputShape).toEqual([2, 2]);
  });

  test('TF.js parity both ways (2-D)', async () => {
    const ours = bp.sequential({
      seed: 6,
      layers: [
        conv([11, 10, 2]),
        bp.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        bp.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(
        tf.layers.conv2d({
          filters: 2,
          kernelSize: 2,
          activation: 'tanh',
          inputShape: [11, 10, 2],
          biasInitializer: 'randomNormal',
        }),
      );
      m.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }));
      m.add(tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }));
      return m;
    }, [11, 10, 2]);
  });

  test('TF.js parity both ways (1-D)', async () => {
    const ours = bp.sequential({
      seed: 7,
      layers: [
        bp.layers.maxPooling1d({ poolSize: 2, inputShape: [9, 3] }),
        bp.layers.averagePooling1d({ poolSize: 3, padding: 'same' }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.maxPooling1d({ poolSize: 2, inputShape: [9, 3] }));
      m.add(tf.layers.averagePooling1d({ poolSize: 3, padding: 'same' }));
      return m;
    }, [9, 3]);
  });

  test('max pooling: the first of equal maxima takes the whole gradient; average spreads it over real positions', () => {
    for (const name of ['js', 'native'] as const) {
      if (name === 'native' && !bp.nativeBackend().backend) continue;
      const b = name === 'js' ? bp.jsReference() : bp.nativeBackend().backend!;
      // One 3x3 channel, 2x2 windows at stride 2 with 'same' padding (output 2x2, padding after).
      const x = new Float32Array([1, 5, 5, 2, 0, 5, 7, 7, 3]);
      const y = new Float32Array(4),
        argmax = new Int32Array(4);
      b.maxPool2dForward(x, y, argmax, 1, 3, 3, 1, 2, 2, 2, 2, 0, 0, 2, 2);
      expect(Array.from(y)).toEqual([5, 5, 7, 3]);
      expect(Array.from(argmax)).toEqual([1, 0, 0, 0]);
      const dx = new Float32Array(9);
      b.maxPool2dBackward(new Float32Array([1, 2, 3, 4]), argmax, dx, 1, 3, 3, 1, 2, 2, 2, 2, 0, 0, 2, 2);
      expect(Array.from(dx)).toEqual([0, 1, 2, 0, 0, 0, 3, 0, 4]);
      const avg = new Float32Array(4);
      b.avgPool2dForward(x, avg, 1, 3, 3, 1, 2, 2, 2, 2, 0, 0, 2, 2);
      expect(Array.from(avg)).toEqual([2, 5, 7, 3]); // (1+5+2+0)/4, (5+5)/2, (7+7)/2, 3/1
      b.avgPool2dBackward(new Float32Array([4, 2, 2, 1]), dx, 1, 3, 3, 1, 2, 2, 2, 2, 0, 0, 2, 2);
      expect(Array.from(dx)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    }
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.maxPooling2d({ poolSize: 0 })).toThrow(/'poolSize' must be a positive integer/);
    expect(() => bp.layers.averagePooling2d({ padding: 'causal' as never })).toThrow(
      /'padding' must be 'valid' or 'same'/,
    );
    expect(() => bp.sequential({ layers: [bp.layers.maxPooling2d({ poolSize: 4, inputShape: [3, 3, 1] })] })).toThrow(
      /the pool window \[4,4\] is larger than the input/,
    );
    expect(() => bp.sequential({ layers: [bp.layers.maxPooling1d({ inputShape: [3, 3, 1] })] })).toThrow(
      /MaxPooling1D takes \[steps, channels\]/,
    );
  });
});
