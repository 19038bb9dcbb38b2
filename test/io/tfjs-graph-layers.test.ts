/**
 * The issue-21 layers inside a functional model (a two-headed U-Net with a skip concatenation, see
 * test/support/graph-layers-unet.ts), against real TF.js both ways: ours trained a few steps, saved and loaded by
 * tf.loadLayersModel predicts the same within 1e-5 (and bit for bit back in backprop); the same graph built and
 * saved by TF.js loads here and predicts the same. Also trains on both backends to the same weights (float64).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { loadInTfjs, saveFromTfjs } from '../support/layer-checks';
import { backendNames } from '../support/backends';
import { UNET_INPUT, unetOurs, unetTfjs } from '../support/graph-layers-unet';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-graph-layers-'));

function rand(shape: number[], rows: number, seed: number, lo = -1, hi = 1): bp.Tensor {
  const rng = new bp.Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return bp.tensor(
    Float32Array.from({ length: rows * n }, () => rng.uniform(lo, hi)),
    [rows, ...shape],
  );
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const targets = (m: bp.LayersModel, rows: number) => m.outputShapes.map((s, o) => rand([...s], rows, 20 + o, 0, 1));

describe('the issue-21 layers in a functional U-Net', () => {
  beforeAll(() => tf.setBackend('cpu'));

  test('ours in TF.js, and TF.js in ours, predict the same', async () => {
    const x = rand(UNET_INPUT, 5, 11, 0, 2);
    const tfx = tf.tensor(Array.from(x.data), x.shape);
    const ours = unetOurs();
    ours.compile({ optimizer: 'adam', loss: ['binaryCrossentropy', 'categoricalCrossentropy'] });
    // A few training steps (with noise: the noise layers are active), so the weights are not the initial ones.
    for (let i = 0; i < 3; i++) ours.trainOnBatch([x], targets(ours, 5));
    const dir = tmp();
    await ours.save(dir);
    const mine = ours.predict(x) as bp.Tensor[];
    const inTf = await loadInTfjs(dir);
    const got = inTf.predict(tfx) as tf.Tensor[];
    mine.forEach((m, o) => expect(maxDiff(m.data, got[o].dataSync())).toBeLessThanOrEqual(1e-5));
    expect(inTf.layers.map((l) => l.getClassName())).toEqual(ours.layers.map((l) => l.className));
    const again = await bp.loadLayersModel(dir);
    (again.predict(x) as bp.Tensor[]).forEach((t, o) => expect(Array.from(t.data)).toEqual(Array.from(mine[o].data)));

    const theirs = unetTfjs();
    const dir2 = tmp();
    await saveFromTfjs(theirs, dir2);
    const loaded = await bp.loadLayersModel(dir2);
    const want = theirs.predict(tfx) as tf.Tensor[];
    (loaded.predict(x) as bp.Tensor[]).forEach((p, o) =>
      expect(maxDiff(p.data, want[o].dataSync())).toBeLessThanOrEqual(1e-5),
    );
    expect(loaded.layers.map((l) => l.className)).toEqual(theirs.layers.map((l) => l.getClassName()));
  }, 60_000);

  test('training with noise gives the same weights on every backend; gradients match finite differences (float64)', () => {
    const weights: Float64Array[][] = [];
    for (const name of backendNames()) {
      bp.setBackend(name);
      try {
        const m64 = unetOurs('float64');
        m64.compile({ optimizer: 'sgd', loss: ['binaryCrossentropy', 'categoricalCrossentropy'] });
        const x = rand(UNET_INPUT, 4, 3, 0, 2);
        for (let i = 0; i < 3; i++) m64.trainOnBatch([x], targets(m64, 4));
        weights.push(m64.getWeights().map((w) => Float64Array.from(w.data)));
        // Gradients through the whole graph (skip, two heads) match finite differences.
        const { maxError } = bp.gradcheck(m64, [rand(UNET_INPUT, 2, 4, 0, 2)], targets(m64, 2));
        expect(maxError).toBeLessThan(1e-4);
      } finally {
        bp.setBackend('auto');
      }
    }
    for (let b = 1; b < weights.length; b++)
      weights[b].forEach((w, i) => expect(maxDiff(w, weights[0][i])).toBeLessThanOrEqual(1e-10));
  });
});
