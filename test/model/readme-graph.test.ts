/**
 * The README's "Graph models" examples, run as written (with data made up here): the two-input, two-output model
 * with a residual add trains, logs per-output losses and metrics, and predicts in the order of `outputs`; and
 * transfer learning — a saved CNN loaded as a frozen base, a new head on one of its layers' output, trained
 * (the base's weights unchanged, the head's moved), saved, and loaded by real TF.js predicting the same.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { loadInTfjs } from '../support/layer-checks';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-readme-graph-'));

function uniform(n: number, seed: number): Float32Array {
  const rng = new bp.Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

test('the functional API example: two inputs, two outputs, a residual add', async () => {
  const rows = 64;
  const X = bp.tensor(uniform(rows * 32, 1), [rows, 32]);
  const T = bp.tensor(
    Int32Array.from({ length: rows * 20 }, (_, i) => (i * 7919) % 1000),
    [rows, 20],
  );
  const y1 = Int32Array.from({ length: rows }, (_, i) => i % 3);
  const y2 = bp.tensor(uniform(rows, 2), [rows, 1]);

  const a = bp.input({ shape: [32], name: 'features' });
  const b = bp.input({ shape: [20], dtype: 'int32', name: 'tokens' });
  const h = bp.layers.dense({ units: 64, activation: 'relu' }).apply(a);
  const t = bp.layers.globalAveragePooling1d().apply(bp.layers.embedding({ inputDim: 1000, outputDim: 16 }).apply(b));
  const m = bp.layers.concatenate().apply([h, t]);
  const r = bp.layers.add().apply([m, bp.layers.dense({ units: 80 }).apply(m)]);
  const cls = bp.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(r);
  const reg = bp.layers.dense({ units: 1, name: 'price' }).apply(r);
  const model = bp.model({ inputs: [a, b], outputs: [cls, reg] });
  model.compile({
    optimizer: 'adam',
    loss: { cls: 'sparseCategoricalCrossentropy', price: 'mse' },
    lossWeights: { cls: 1, price: 0.3 },
    metrics: { cls: ['accuracy'] },
  });
  const history = await model.fit(
    { features: X, tokens: T },
    { cls: y1, price: y2 },
    { epochs: 5, validationSplit: 0.1, verbose: 0 },
  );
  for (const key of ['loss', 'cls_loss', 'price_loss', 'cls_accuracy', 'val_loss', 'val_cls_accuracy']) {
    expect(history.history[key]).toHaveLength(5);
  }
  // The total is the weighted sum of the outputs' losses.
  const last = (k: string) => history.history[k][4];
  expect(last('loss')).toBeCloseTo(last('cls_loss') + 0.3 * last('price_loss'), 4);
  expect(last('cls_loss')).toBeLessThan(history.history.cls_loss[0]);
  const [clsOut, priceOut] = model.predict({ features: X, tokens: T }) as bp.Tensor[];
  expect(clsOut.shape).toEqual([rows, 3]);
  expect(priceOut.shape).toEqual([rows, 1]);
});

test('transfer learning: a loaded base frozen, a new head on its layer, trained, saved, loaded in TF.js', async () => {
  const { train } = bp.data.digits();
  const rows = 256;
  const x = bp.tensor(train.x.data.subarray(0, rows * 784), [rows, 28, 28, 1]);
  const digits = train.y.subarray(0, rows);

  // A small digit CNN, saved: the "pretrained" model the README loads.
  const cnn = bp.sequential({
    seed: 1,
    layers: [
      bp.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      bp.layers.maxPooling2d({ poolSize: 2 }),
      bp.layers.flatten(),
      bp.layers.dense({ units: 16, activation: 'relu', name: 'features' }),
      bp.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  cnn.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await cnn.fit(x, digits, { epochs: 1, batchSize: 32, verbose: 0 });
  const dir = tmp();
  await cnn.save(path.join(dir, 'digits-cnn'));

  // The README's example.
  const base = await bp.loadLayersModel(path.join(dir, 'digits-cnn'));
  base.trainable = false;
  const features = base.getLayer('features').output as bp.SymbolicTensor;
  const head = bp.layers.dense({ units: 2, activation: 'softmax', name: 'odd_even' }).apply(features);
  const model = bp.model({ inputs: base.inputs, outputs: head });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const before = base.getWeights().map((w) => Float32Array.from(w.data));
  const headBefore = Float32Array.from(model.getLayer('odd_even').weights()[0].value);
  const yOddEven = digits.map((d) => d % 2);
  await model.fit(x, yOddEven, { epochs: 3, verbose: 0 });
  await model.save(path.join(dir, 'odd-even'));

  base.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(before[i])));
  expect(Array.from(model.getLayer('odd_even').weights()[0].value)).not.toEqual(Array.from(headBefore));

  const theirs = await loadInTfjs(path.join(dir, 'odd-even'));
  const ours = model.predict(x) as bp.Tensor;
  const tfOut = theirs.predict(tf.tensor(Array.from(x.data), [rows, 28, 28, 1])) as tf.Tensor;
  const got = tfOut.dataSync();
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - ours.data[i]));
  expect(got.length).toBe(rows * 2);
  expect(diff).toBeLessThanOrEqual(1e-5);
  fs.rmSync(dir, { recursive: true, force: true });
});
