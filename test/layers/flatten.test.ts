/** Flatten (template: see dense.test.ts). */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
  randomInput,
} from '../support/layer-checks';

const layers = () => [
  bp.layers.dense({ units: 3, activation: 'tanh', inputShape: [4, 2, 5] }),
  bp.layers.flatten(),
  bp.layers.dense({ units: 2 }),
];

describe('Flatten', () => {
  test('gradients, backends, config', () => {
    expectGradientsMatch(layers, [4, 2, 5]);
    expectBackendsAgree(layers, [4, 2, 5]);
    expectConfigRoundTrip(layers());
  });

  test('output shape and values: the flat batch is unchanged', () => {
    const model = bp.sequential({ layers: [bp.layers.flatten({ inputShape: [2, 3] })] });
    const x = randomInput([2, 3], 2, 1);
    const y = model.predict(x);
    expect(y.shape).toEqual([2, 6]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
    expect(model.summary(() => {})).toContain('[null, 6]');
  });

  test('TF.js parity both ways', async () => {
    await expectTfjsParity(
      bp.sequential({ seed: 1, layers: layers() }),
      () => {
        const m = tf.sequential();
        m.add(tf.layers.dense({ units: 3, activation: 'tanh', inputShape: [4, 2, 5] }));
        m.add(tf.layers.flatten());
        m.add(tf.layers.dense({ units: 2 }));
        return m;
      },
      [4, 2, 5],
    );
  });
});
