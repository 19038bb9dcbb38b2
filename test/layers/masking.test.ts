/** Masking, on the template of dense.test.ts; its mask reaches recurrent layers and the loss. */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
} from '../support/layer-checks';
import { paddedSequences } from '../support/sequences';

const padded = (steps: number, features: number) => (rows: number, seed: number) =>
  paddedSequences(steps, features, rows, seed);

describe('Masking', () => {
  test('gradients match finite differences (every backend)', () => {
    expectGradientsMatch(
      () => [bp.layers.masking({ inputShape: [4, 3] }), bp.layers.dense({ units: 2, activation: 'tanh' })],
      [4, 3],
      [1, 3],
      7,
      padded(4, 3),
    );
  });

  test('the backends agree', () => {
    expectBackendsAgree(
      () => [bp.layers.masking({ inputShape: [5, 2] }), bp.layers.lstm({ units: 3, returnSequences: true })],
      [5, 2],
      11,
      padded(5, 2),
    );
  });

  test('config round trip through the registry', () => {
    expectConfigRoundTrip([bp.layers.masking({ maskValue: -1, inputShape: [3, 2] })]);
  });

  test('TF.js parity both ways (masked LSTM)', async () => {
    const ours = bp.sequential({
      seed: 2,
      layers: [bp.layers.masking({ inputShape: [5, 2] }), bp.layers.lstm({ units: 3 }), bp.layers.dense({ units: 2 })],
    });
    await expectTfjsParity(
      ours,
      () => {
        const m = tf.sequential();
        m.add(tf.layers.masking({ maskValue: 0, inputShape: [5, 2] }));
        m.add(tf.layers.lstm({ units: 3 }));
        m.add(tf.layers.dense({ units: 2 }));
        return m;
      },
      [5, 2],
      3,
      padded(5, 2),
    );
  });

  test('zeroes padded steps; a step is padding only when all its features equal maskValue', () => {
    const model = bp.sequential({ layers: [bp.layers.masking({ maskValue: 7, inputShape: [3, 2] })] });
    expect(
      Array.from(
        model.predict(
          bp.tensor([
            [
              [7, 7],
              [7, 1],
              [2, 3],
            ],
          ]),
        ).data,
      ),
    ).toEqual([0, 0, 7, 1, 2, 3]);
  });
});
