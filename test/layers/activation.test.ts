/** Activation, and TF.js's LeakyReLU / ELU / ReLU / Softmax layers that load as it (template: dense.test.ts). */
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import {
  expectBackendsAgree,
  expectConfigRoundTrip,
  expectGradientsMatch,
  expectTfjsParity,
  saveFromTfjs,
} from '../support/layer-checks';

const layers = () => [
  bp.layers.dense({ units: 4, inputShape: [2, 3] }),
  bp.layers.activation({ activation: 'elu', alpha: 0.5 }),
  bp.layers.leakyReLU({ alpha: 0.1 }),
  bp.layers.dense({ units: 3 }),
  bp.layers.activation({ activation: 'softmax' }),
];

describe('Activation', () => {
  test('gradients, backends, config', () => {
    expectGradientsMatch(layers, [2, 3]);
    expectBackendsAgree(layers, [2, 3]);
    expectConfigRoundTrip(layers());
  });

  test('softmax normalises the last axis of rank-3 outputs', () => {
    const model = bp.sequential({ layers: [bp.layers.activation({ activation: 'softmax', inputShape: [2, 3] })] });
    const y = model.predict(
      bp.tensor([
        [
          [0, 1, 2],
          [5, 5, 5],
        ],
      ]),
    );
    const d = Array.from(y.data);
    expect(d[0] + d[1] + d[2]).toBeCloseTo(1, 6);
    expect(d.slice(3)).toEqual([1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  });

  // TF.js refuses ELU layers with alpha != 1 ("not supported yet"), so parity uses the default; a non-default
  // alpha is written as Keras does (an ELU layer) and round-trips through backprop's own loader (config test).
  test('TF.js parity both ways, with LeakyReLU, ELU, ReLU and Softmax layers', async () => {
    const ours = [
      bp.layers.dense({ units: 4, inputShape: [2, 3] }),
      bp.layers.activation({ activation: 'elu' }),
      bp.layers.leakyReLU({ alpha: 0.1 }),
      bp.layers.activation({ activation: 'relu' }),
      bp.layers.dense({ units: 3 }),
      bp.layers.activation({ activation: 'softmax' }),
    ];
    await expectTfjsParity(
      bp.sequential({ seed: 1, layers: ours }),
      () => {
        const m = tf.sequential();
        m.add(tf.layers.dense({ units: 4, inputShape: [2, 3] }));
        m.add(tf.layers.elu());
        m.add(tf.layers.leakyReLU({ alpha: 0.1 }));
        m.add(tf.layers.reLU());
        m.add(tf.layers.dense({ units: 3 }));
        m.add(tf.layers.softmax({ axis: -1 }));
        return m;
      },
      [2, 3],
    );
  });

  test("a TF.js Softmax over another axis than the last is refused with the reason (TF.js's default is axis 1)", async () => {
    const m = tf.sequential();
    m.add(tf.layers.softmax({ inputShape: [2, 3] }));
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(`${os.tmpdir()}/bp-softmax-`);
    await saveFromTfjs(m, dir);
    await expect(bp.loadLayersModel(dir)).rejects.toThrow(
      /softmax over axis 1 is not supported, only over the last axis/,
    );
  });
});
