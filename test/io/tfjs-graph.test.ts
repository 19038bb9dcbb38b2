/**
 * Functional models in the TF.js Layers format, both ways, against real TF.js: our graph saved and loaded by
 * tf.loadLayersModel predicts the same (max abs diff <= 1e-5), and the same graph built and saved by TF.js loads
 * here and predicts the same. Residual MLP, two inputs and two outputs, a shared layer, nested models (functional
 * and Sequential), every merge layer TF.js has, and a layer written as two (Dense with leakyRelu).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { loadInTfjs, saveFromTfjs } from '../support/layer-checks';

const L = bp.layers;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-graph-'));

type Ours = () => bp.LayersModel;
type Theirs = () => tf.LayersModel;
/** [label, our model, the same in TF.js, input shapes] */
type Case = [string, Ours, Theirs, number[][]];

function rand(shape: number[], rows: number, seed: number): bp.Tensor {
  const rng = new bp.Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return bp.tensor(
    Float32Array.from({ length: rows * n }, () => rng.uniform(-1, 1)),
    [rows, ...shape],
  );
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

const CASES: Case[] = [
  [
    'residual MLP',
    () => {
      const x = bp.input({ shape: [6] });
      const h = L.dense({ units: 8, activation: 'relu' }).apply(x);
      const r = L.add().apply([h, L.dense({ units: 8, activation: 'tanh' }).apply(h)]);
      return bp.model({ inputs: x, outputs: L.dense({ units: 3, activation: 'softmax' }).apply(r) });
    },
    () => {
      const x = tf.input({ shape: [6] });
      const h = tf.layers.dense({ units: 8, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
      const r = tf.layers
        .add()
        .apply([h, tf.layers.dense({ units: 8, activation: 'tanh' }).apply(h) as tf.SymbolicTensor]);
      return tf.model({
        inputs: x,
        outputs: tf.layers.dense({ units: 3, activation: 'softmax' }).apply(r) as tf.SymbolicTensor,
      });
    },
    [[6]],
  ],
  [
    'two inputs, two outputs',
    () => {
      const a = bp.input({ shape: [5], name: 'a' });
      const b = bp.input({ shape: [3], name: 'b' });
      const m = L.concatenate().apply([L.dense({ units: 4 }).apply(a), b]);
      return bp.model({
        inputs: [a, b],
        outputs: [
          L.dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(m),
          L.dense({ units: 1, name: 'reg' }).apply(m),
        ],
      });
    },
    () => {
      const a = tf.input({ shape: [5], name: 'a' });
      const b = tf.input({ shape: [3], name: 'b' });
      const m = tf.layers
        .concatenate()
        .apply([tf.layers.dense({ units: 4 }).apply(a) as tf.SymbolicTensor, b]) as tf.SymbolicTensor;
      return tf.model({
        inputs: [a, b],
        outputs: [
          tf.layers.dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(m) as tf.SymbolicTensor,
          tf.layers.dense({ units: 1, name: 'reg' }).apply(m) as tf.SymbolicTensor,
        ],
      });
    },
    [[5], [3]],
  ],
  [
    'a shared layer',
    () => {
      const a = bp.input({ shape: [4] });
      const b = bp.input({ shape: [4] });
      const s = L.dense({ units: 3, activation: 'tanh' });
      return bp.model({ inputs: [a, b], outputs: L.maximum().apply([s.apply(a), s.apply(b)]) });
    },
    () => {
      const a = tf.input({ shape: [4] });
      const b = tf.input({ shape: [4] });
      const s = tf.layers.dense({ units: 3, activation: 'tanh' });
      return tf.model({
        inputs: [a, b],
        outputs: tf.layers
          .maximum()
          .apply([s.apply(a) as tf.SymbolicTensor, s.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor,
      });
    },
    [[4], [4]],
  ],
  [
    'a nested functional model applied twice (Siamese)',
    () => {
      const i = bp.input({ shape: [4] });
      const enc = bp.model({ inputs: i, outputs: L.dense({ units: 3, activation: 'relu' }).apply(i), name: 'enc' });
      const a = bp.input({ shape: [4] });
      const b = bp.input({ shape: [4] });
      return bp.model({
        inputs: [a, b],
        outputs: L.dot({ axes: 1, normalize: true }).apply([enc.apply(a), enc.apply(b)]),
      });
    },
    () => {
      const i = tf.input({ shape: [4] });
      const enc = tf.model({
        inputs: i,
        outputs: tf.layers.dense({ units: 3, activation: 'relu' }).apply(i) as tf.SymbolicTensor,
        name: 'enc',
      });
      const a = tf.input({ shape: [4] });
      const b = tf.input({ shape: [4] });
      return tf.model({
        inputs: [a, b],
        outputs: tf.layers
          .dot({ axes: 1, normalize: true })
          .apply([enc.apply(a) as tf.SymbolicTensor, enc.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor,
      });
    },
    [[4], [4]],
  ],
  [
    'a nested Sequential with a new head',
    () => {
      const base = bp.sequential({
        name: 'base',
        layers: [L.dense({ units: 5, activation: 'relu', inputShape: [3] }), L.dense({ units: 4 })],
      });
      const x = bp.input({ shape: [3] });
      return bp.model({ inputs: x, outputs: L.dense({ units: 2, activation: 'sigmoid' }).apply(base.apply(x)) });
    },
    () => {
      const base = tf.sequential({
        name: 'base',
        layers: [tf.layers.dense({ units: 5, activation: 'relu', inputShape: [3] }), tf.layers.dense({ units: 4 })],
      });
      const x = tf.input({ shape: [3] });
      return tf.model({
        inputs: x,
        outputs: tf.layers.dense({ units: 2, activation: 'sigmoid' }).apply(base.apply(x)) as tf.SymbolicTensor,
      });
    },
    [[3]],
  ],
  ...(['add', 'multiply', 'average', 'maximum', 'minimum'] as const).map((op): Case => [
    `merge ${op} of three`,
    () => {
      const x = bp.input({ shape: [4] });
      const ins = [0, 1, 2].map(() => L.dense({ units: 3 }).apply(x));
      return bp.model({ inputs: x, outputs: L[op]().apply(ins) });
    },
    () => {
      const x = tf.input({ shape: [4] });
      const ins = [0, 1, 2].map(() => tf.layers.dense({ units: 3 }).apply(x) as tf.SymbolicTensor);
      return tf.model({ inputs: x, outputs: tf.layers[op]().apply(ins) as tf.SymbolicTensor });
    },
    [[4]],
  ]),
  [
    'concatenate along axis 1 and dot of rank 3',
    () => {
      const a = bp.input({ shape: [2, 3] });
      const b = bp.input({ shape: [4, 3] });
      const c = L.concatenate({ axis: 1 }).apply([a, b]);
      return bp.model({ inputs: [a, b], outputs: L.dot({ axes: [2, 2] }).apply([c, L.dense({ units: 3 }).apply(b)]) });
    },
    () => {
      const a = tf.input({ shape: [2, 3] });
      const b = tf.input({ shape: [4, 3] });
      const c = tf.layers.concatenate({ axis: 1 }).apply([a, b]) as tf.SymbolicTensor;
      return tf.model({
        inputs: [a, b],
        outputs: tf.layers
          .dot({ axes: [2, 2] })
          .apply([c, tf.layers.dense({ units: 3 }).apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor,
      });
    },
    [
      [2, 3],
      [4, 3],
    ],
  ],
];

describe('functional models in the TF.js format, both ways', () => {
  beforeAll(() => tf.setBackend('cpu'));

  test.each(CASES)('%s: ours in TF.js, and TF.js in ours, predict the same', async (_label, ours, theirs, shapes) => {
    const xs = shapes.map((s, i) => rand(s, 5, 10 + i));
    const tfx = xs.map((x) => tf.tensor(Array.from(x.data), x.shape));
    const ourModel = ours();
    // Train a step first, so the weights are not the initial ones.
    ourModel.compile({ optimizer: 'adam', loss: 'mse' });
    ourModel.trainOnBatch(
      xs,
      ourModel.outputShapes.map((s, o) => rand([...s], 5, 20 + o)),
    );
    const dir = tmp();
    await ourModel.save(dir);
    const mine = asList(ourModel.predict(xs) as bp.Tensor | bp.Tensor[]);
    const inTf = await loadInTfjs(dir);
    const got = asList(inTf.predict(tfx.length === 1 ? tfx[0] : tfx) as tf.Tensor | tf.Tensor[]);
    mine.forEach((m, o) => expect(maxDiff(m.data, got[o].dataSync())).toBeLessThanOrEqual(1e-5));
    // Back in backprop from our own file: bit-identical predictions.
    const again = await bp.loadLayersModel(dir);
    asList(again.predict(xs) as bp.Tensor | bp.Tensor[]).forEach((t, o) =>
      expect(Array.from(t.data)).toEqual(Array.from(mine[o].data)),
    );

    const tfModel = theirs();
    const dir2 = tmp();
    await saveFromTfjs(tfModel, dir2);
    const loaded = await bp.loadLayersModel(dir2);
    const want = asList(tfModel.predict(tfx.length === 1 ? tfx[0] : tfx) as tf.Tensor | tf.Tensor[]);
    const ourPred = asList(loaded.predict(xs) as bp.Tensor | bp.Tensor[]);
    want.forEach((w, o) => expect(maxDiff(ourPred[o].data, w.dataSync())).toBeLessThanOrEqual(1e-5));
    expect(loaded.layers.map((l) => l.className)).toEqual(tfModel.layers.map((l) => l.getClassName()));
  });

  test('a Dense with leakyRelu is written as Dense + LeakyReLU and wired through in TF.js', async () => {
    const x = bp.input({ shape: [3] });
    const d = L.dense({ units: 4, activation: 'leakyRelu' });
    const h = d.apply(x);
    const model = bp.model({ inputs: x, outputs: L.add().apply([h, L.dense({ units: 4 }).apply(h)]) });
    const dir = tmp();
    await model.save(dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const names = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
    expect(names).toEqual(['InputLayer', 'Dense', 'LeakyReLU', 'Dense', 'Add']);
    const inTf = await loadInTfjs(dir);
    const xv = rand([3], 4, 1);
    const got = (inTf.predict(tf.tensor(Array.from(xv.data), xv.shape)) as tf.Tensor).dataSync();
    expect(maxDiff((model.predict(xv) as bp.Tensor).data, got)).toBeLessThanOrEqual(1e-5);
  });

  test('saving a Subtract says once that TF.js cannot load it; backprop loads it', async () => {
    const a = bp.input({ shape: [2] });
    const b = bp.input({ shape: [2] });
    const model = bp.model({ inputs: [a, b], outputs: L.subtract().apply([a, b]) });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const dir = tmp();
    await model.save(dir);
    await model.save(tmp());
    const calls = warn.mock.calls.filter((c) => /Subtract layers, which TF.js does not have/.test(String(c[0])));
    warn.mockRestore();
    expect(calls).toHaveLength(1);
    const loaded = await bp.loadLayersModel(dir);
    const y = loaded.predict([bp.tensor([[5, 1]]), bp.tensor([[2, 3]])]) as bp.Tensor;
    expect(Array.from(y.data)).toEqual([3, -2]);
  });

  test('any .json path loads (not only model.json)', async () => {
    const x = bp.input({ shape: [2] });
    const model = bp.model({ inputs: x, outputs: L.dense({ units: 1 }).apply(x) });
    const dir = tmp();
    await model.save(dir);
    fs.renameSync(path.join(dir, 'model.json'), path.join(dir, 'my-model.json'));
    const loaded = await bp.loadLayersModel(path.join(dir, 'my-model.json'));
    expect(loaded.getWeights()).toHaveLength(2);
  });
});
