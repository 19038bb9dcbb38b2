/** Permute (template: see dense.test.ts). */
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
  bp.layers.permute({ dims: [3, 1, 2], inputShape: [2, 3, 4] }),
  bp.layers.dense({ units: 2, activation: 'tanh' }),
];

describe('Permute', () => {
  test('gradients, backends, config', () => {
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 3, inputShape: [2, 3, 4] }),
        ...layers()
          .slice(0, 1)
          .map(() => bp.layers.permute({ dims: [2, 3, 1] })),
      ],
      [2, 3, 4],
    );
    expectBackendsAgree(layers, [2, 3, 4]);
    expectConfigRoundTrip(layers());
  });

  test('moves axes: [2, 3] → [3, 2] is a transpose of each sample', () => {
    const model = bp.sequential({ layers: [bp.layers.permute({ dims: [2, 1], inputShape: [2, 3] })] });
    const y = model.predict(
      bp.tensor([
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ]),
    );
    expect(y.shape).toEqual([1, 3, 2]);
    expect(Array.from(y.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => bp.layers.permute({ dims: [1, 1] })).toThrow(/permutation of 1..rank/);
  });

  test('TF.js parity both ways', async () => {
    await expectTfjsParity(
      bp.sequential({ seed: 1, layers: layers() }),
      () => {
        const m = tf.sequential();
        m.add(tf.layers.permute({ dims: [3, 1, 2], inputShape: [2, 3, 4] }));
        m.add(tf.layers.dense({ units: 2, activation: 'tanh' }));
        return m;
      },
      [2, 3, 4],
    );
  });

  test('random input round trip: permute then inverse permute is the identity', () => {
    const model = bp.sequential({
      layers: [bp.layers.permute({ dims: [3, 1, 2], inputShape: [2, 3, 4] }), bp.layers.permute({ dims: [2, 3, 1] })],
    });
    const x = randomInput([2, 3, 4], 3, 5);
    expect(Array.from(model.predict(x).data)).toEqual(Array.from(x.data));
  });
});
