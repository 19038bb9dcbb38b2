/** Reshape (template: see dense.test.ts). */
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
  bp.layers.reshape({ targetShape: [3, -1], inputShape: [12] }),
  bp.layers.dense({ units: 2, activation: 'sigmoid' }),
  bp.layers.reshape({ targetShape: [6] }),
];

describe('Reshape', () => {
  test('gradients, backends, config', () => {
    expectGradientsMatch(layers, [12]);
    expectBackendsAgree(layers, [12]);
    expectConfigRoundTrip(layers());
  });

  test('infers -1 and refuses sizes that do not fit', () => {
    const model = bp.sequential({ layers: [bp.layers.reshape({ targetShape: [-1, 2], inputShape: [3, 4] })] });
    expect(model.outputShape).toEqual([6, 2]);
    const x = randomInput([3, 4], 2, 1);
    expect(Array.from(model.predict(x).data)).toEqual(Array.from(x.data));
    expect(() => bp.sequential({ layers: [bp.layers.reshape({ targetShape: [5], inputShape: [3, 4] })] })).toThrow(
      /Reshape 'reshape_1': cannot take inputs of shape \[3, 4\]: 12 values do not fit \[5\]/,
    );
    expect(() => bp.layers.reshape({ targetShape: [-1, -1] })).toThrow(/at most one -1/);
  });

  test('TF.js parity both ways', async () => {
    await expectTfjsParity(
      bp.sequential({ seed: 1, layers: layers() }),
      () => {
        const m = tf.sequential();
        m.add(tf.layers.reshape({ targetShape: [3, 4], inputShape: [12] }));
        m.add(tf.layers.dense({ units: 2, activation: 'sigmoid' }));
        m.add(tf.layers.reshape({ targetShape: [6] }));
        return m;
      },
      [12],
    );
  });
});
