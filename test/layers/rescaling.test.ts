/**
 * Rescaling (template: test/layers/dense.test.ts): values, gradients (through a Dense before it), backend agreement,
 * config round trip, TF.js parity both ways (TF.js 4.22 has the layer), bad arguments.
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

describe('Rescaling', () => {
  test('x·scale + offset', () => {
    const m = bp.sequential({ layers: [bp.layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [3] })] });
    expect(Array.from(m.predict(bp.tensor([0, 127.5, 255], [1, 3])).data)).toEqual([-1, 0, 1]);
  });

  test('gradients match finite differences', () => {
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 4, inputShape: [3], biasInitializer: 'randomNormal' }),
        bp.layers.rescaling({ scale: -2.5, offset: 0.5 }),
        bp.layers.dense({ units: 2, activation: 'tanh' }),
      ],
      [3],
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [bp.layers.rescaling({ scale: 0.5, offset: 1, inputShape: [4] }), bp.layers.dense({ units: 3 })],
      [4],
    );
  });

  test('config round trip through the registry', () => {
    const model = bp.sequential({ layers: [bp.layers.rescaling({ scale: 1 / 255, inputShape: [2, 2, 3] })] });
    expectConfigRoundTrip(model.layers);
    expect(model.layers[0].getConfig()).toEqual({ name: 'rescaling_1', trainable: true, scale: 1 / 255, offset: 0 });
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [4, 4, 2] }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [4, 4, 2] }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [4, 4, 2]);
  });

  test('bad arguments name the option', () => {
    expect(() => bp.layers.rescaling({} as bp.layers.RescalingArgs)).toThrow(/'scale' must be a finite number/);
    expect(() => bp.layers.rescaling({ scale: 1, offset: Infinity })).toThrow(/'offset' must be a finite number/);
    expect(() => layerFromConfig('Rescaling', { scale: [1, 2, 3] })).toThrow(/scale: expected a finite number/);
  });
});
