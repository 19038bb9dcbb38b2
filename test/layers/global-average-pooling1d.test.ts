/** GlobalAveragePooling1D, on the template of dense.test.ts; with a mask it averages real steps only. */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';
import { paddedSequences, tokenIds } from '../support/sequences';

describe('GlobalAveragePooling1D', () => {
  test('gradients match finite differences, with and without a mask (every backend)', () => {
    expectGradientsMatch(
      () => [
        bp.layers.dense({ units: 3, inputShape: [4, 2] }),
        bp.layers.globalAveragePooling1d(),
        bp.layers.dense({ units: 2 }),
      ],
      [4, 2],
    );
    expectGradientsMatch(
      () => [
        bp.layers.embedding({ inputDim: 8, outputDim: 3, inputLength: 5, maskZero: true }),
        bp.layers.globalAveragePooling1d(),
        bp.layers.dense({ units: 2 }),
      ],
      [5],
      [1, 3],
      7,
      (rows, seed) => tokenIds(5, 8, rows, seed),
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [
        bp.layers.masking({ inputShape: [5, 3] }),
        bp.layers.globalAveragePooling1d(),
        bp.layers.dense({ units: 2 }),
      ],
      [5, 3],
      11,
      (rows, seed) => paddedSequences(5, 3, rows, seed),
    );
  });

  test('config round trip through the registry', () => {
    expectConfigRoundTrip([bp.layers.globalAveragePooling1d({ name: 'pool' })]);
  });

  test('TF.js parity both ways', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.dense({ units: 4, inputShape: [5, 3] }),
        bp.layers.globalAveragePooling1d(),
        bp.layers.dense({ units: 2 }),
      ],
    });
    await expectTfjsParity(ours, () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 4, inputShape: [5, 3] }));
      m.add(tf.layers.globalAveragePooling1d({}));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    }, [5, 3]);
  });

  test('averages the real steps only under a mask (padding changes nothing)', () => {
    const model = bp.sequential({
      layers: [bp.layers.masking({ maskValue: -1, inputShape: [4, 2] }), bp.layers.globalAveragePooling1d()],
    });
    const out = model.predict(
      bp.tensor([
        [
          [1, 2],
          [3, 4],
          [-1, -1],
          [-1, -1],
        ],
      ]),
    ).data;
    expect(Array.from(out)).toEqual([2, 3]);
    expect(
      Array.from(
        model.predict(
          bp.tensor([
            [
              [-1, -1],
              [-1, -1],
              [-1, -1],
              [-1, -1],
            ],
          ]),
        ).data,
      ),
    ).toEqual([0, 0]);
  });
});
