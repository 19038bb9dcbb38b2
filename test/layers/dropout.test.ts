/** Dropout on any rank (template: dense.test.ts). */
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
  bp.layers.dense({ units: 5, activation: 'tanh', inputShape: [3, 2] }),
  bp.layers.dropout({ rate: 0.4 }),
  bp.layers.dense({ units: 2 }),
];

describe('Dropout', () => {
  test('gradients (fixed masks), backends, config', () => {
    expectGradientsMatch(layers, [3, 2]);
    expectBackendsAgree(layers, [3, 2]);
    expectConfigRoundTrip(layers());
  });

  test('inverted dropout in training on rank 3; identity at inference', () => {
    const model = bp.sequential({ seed: 2, layers: [bp.layers.dropout({ rate: 0.5, inputShape: [4, 5, 6] })] });
    const x = randomInput([4, 5, 6], 50, 1, 1, 2);
    expect(Array.from(model.predict(x).data)).toEqual(Array.from(x.data));
    const layer = model.layers[0];
    const y = layer.forward(bp.jsReference(), x.data, 50, true, model.rng);
    let zeros = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] === 0) zeros++;
      else expect(y[i]).toBeCloseTo(x.data[i] * 2, 5);
    }
    expect(zeros / y.length).toBeGreaterThan(0.45);
    expect(zeros / y.length).toBeLessThan(0.55);
  });

  test('refuses a seed (dropout draws from the model RNG, which checkpoints save)', () => {
    expect(() => bp.layers.dropout({ rate: 0.1, seed: 3 } as never)).toThrow(/'seed' is not supported/);
  });

  test('TF.js parity both ways', async () => {
    await expectTfjsParity(
      bp.sequential({ seed: 1, layers: layers() }),
      () => {
        const m = tf.sequential();
        m.add(tf.layers.dense({ units: 5, activation: 'tanh', inputShape: [3, 2] }));
        m.add(tf.layers.dropout({ rate: 0.4 }));
        m.add(tf.layers.dense({ units: 2 }));
        return m;
      },
      [3, 2],
    );
  });
});
