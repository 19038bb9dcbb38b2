/**
 * Functional (graph) models: bp.input / layer.apply / bp.model, several inputs and outputs with per-output losses,
 * metrics and weights, shared layers, nested models, frozen layers, the canonical execution order, int32 inputs,
 * and the errors of each.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import { backendNames } from '../support/backends';
import { engineOf } from '../../src/model/engine';
import type { SymbolicTensor } from '../../src/autodiff/symbolic';

const L = bp.layers;

function rand(rng: bp.Rng, rows: number, shape: number[], lo = -1, hi = 1): bp.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return bp.tensor(
    Float32Array.from({ length: rows * n }, () => rng.uniform(lo, hi)),
    [rows, ...shape],
  );
}

/** The two-input, two-output model. */
function twoHeads(seed = 1) {
  const a = bp.input({ shape: [32], name: 'features' });
  const b = bp.input({ shape: [20], dtype: 'int32', name: 'tokens' });
  const h = L.dense({ units: 64, activation: 'relu' }).apply(a);
  const t = L.globalAveragePooling1d().apply(L.embedding({ inputDim: 1000, outputDim: 16 }).apply(b));
  const m = L.concatenate().apply([h, t]);
  const r = L.add().apply([m, L.dense({ units: 80 }).apply(m)]);
  const cls = L.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(r);
  const reg = L.dense({ units: 1, name: 'price' }).apply(r);
  return bp.model({ inputs: [a, b], outputs: [cls, reg], seed });
}

function twoHeadData(rows = 64) {
  const rng = new bp.Rng(2);
  const X = rand(rng, rows, [32]);
  const T = bp.tensor(
    Int32Array.from({ length: rows * 20 }, () => Math.floor(rng.uniform(0, 1000))),
    [rows, 20],
  );
  const y1 = Int32Array.from({ length: rows }, (_, i) => (X.data[i * 32] > 0 ? 1 : X.data[i * 32 + 1] > 0 ? 2 : 0));
  const y2 = bp.tensor(
    Float32Array.from({ length: rows }, (_, i) => X.data[i * 32 + 2]),
    [rows, 1],
  );
  return { X, T, y1, y2 };
}

const compileTwoHeads = (m: bp.LayersModel) =>
  m.compile({
    optimizer: 'adam',
    loss: { cls: 'sparseCategoricalCrossentropy', price: 'mse' },
    lossWeights: { cls: 1, price: 0.3 },
    metrics: { cls: ['accuracy'] },
  });

describe('functional API', () => {
  test('the two-input, two-output model trains; logs carry per-output losses and metrics', async () => {
    const model = twoHeads();
    compileTwoHeads(model);
    const { X, T, y1, y2 } = twoHeadData();
    const h = await model.fit({ features: X, tokens: T }, { cls: y1, price: y2 }, { epochs: 5, validationSplit: 0.1 });
    expect(Object.keys(h.history).sort()).toEqual(
      [
        'loss',
        'cls_loss',
        'price_loss',
        'cls_accuracy',
        'val_loss',
        'val_cls_loss',
        'val_price_loss',
        'val_cls_accuracy',
      ].sort(),
    );
    const loss = h.history.loss as number[];
    expect(loss[4]).toBeLessThan(loss[0]);
    for (let e = 0; e < 5; e++) {
      const want = (h.history.cls_loss as number[])[e] + 0.3 * (h.history.price_loss as number[])[e];
      expect(loss[e]).toBeCloseTo(want, 5);
    }
    const [cls, price] = model.predict({ features: X, tokens: T }) as bp.Tensor[];
    expect(cls.shape).toEqual([64, 3]);
    expect(price.shape).toEqual([64, 1]);
    const ev = model.evaluate([X, T], [y1, y2]);
    expect(ev.loss).toBeCloseTo(ev.cls_loss + 0.3 * ev.price_loss, 5);
    expect(ev.cls_accuracy).toBeGreaterThan(0);
  });

  test('arrays in order and objects by name give bit-identical training', async () => {
    const { X, T, y1, y2 } = twoHeadData();
    const a = twoHeads(3),
      b = twoHeads(3);
    compileTwoHeads(a);
    compileTwoHeads(b);
    await a.fit({ tokens: T, features: X }, { price: y2, cls: y1 }, { epochs: 2, batchSize: 16 });
    await b.fit([X, T], [y1, y2], { epochs: 2, batchSize: 16 });
    const wa = a.getWeights(),
      wb = b.getWeights();
    expect(wa.map((w) => w.name)).toEqual(wb.map((w) => w.name));
    wa.forEach((w, i) => expect(Buffer.from(w.data.buffer).equals(Buffer.from(wb[i].data.buffer))).toBe(true));
    expect(a.trainOnBatch([X, T], [y1, y2])).toBe(b.trainOnBatch({ features: X, tokens: T }, { cls: y1, price: y2 }));
  });

  test('the execution order comes from the graph, not from the order apply was called in', () => {
    // The same graph built two ways: weights initialise identically and the layers are named alike.
    const build = (headsFirst: boolean) => {
      const x = bp.input({ shape: [6], name: 'x' });
      const trunk = L.dense({ units: 8, activation: 'tanh', name: 'trunk' });
      const headA = L.dense({ units: 2, name: 'a' });
      const headB = L.dense({ units: 3, name: 'b' });
      const h = trunk.apply(x);
      let outA: SymbolicTensor, outB: SymbolicTensor;
      if (headsFirst) {
        outB = headB.apply(h);
        outA = headA.apply(h);
      } else {
        outA = headA.apply(h);
        outB = headB.apply(h);
      }
      return bp.model({ inputs: x, outputs: [outA, outB], seed: 9 });
    };
    const m1 = build(false),
      m2 = build(true);
    expect(m1.layers.map((l) => l.name)).toEqual(m2.layers.map((l) => l.name));
    const w1 = m1.getWeights(),
      w2 = m2.getWeights();
    w1.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(w2[i].data)));
  });

  test('an output without a loss is predicted but not trained, and takes no targets', async () => {
    const x = bp.input({ shape: [4] });
    const h = L.dense({ units: 5, activation: 'relu' }).apply(x);
    const main = L.dense({ units: 1, name: 'main' }).apply(h);
    const aux = L.dense({ units: 2, name: 'aux' }).apply(h);
    const model = bp.model({ inputs: x, outputs: [main, aux] });
    model.compile({ optimizer: 'sgd', loss: { main: 'mse' } });
    const auxBefore = model.getWeights().slice(-2);
    const rng = new bp.Rng(4);
    const X = rand(rng, 16, [4]),
      Y = rand(rng, 16, [1]);
    await model.fit(X, { main: Y }, { epochs: 2 });
    await model.fit(X, [Y], { epochs: 1 });
    const after = model.getWeights().slice(-2);
    after.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(auxBefore[i].data)));
    expect((model.predict(X) as bp.Tensor[])[1].shape).toEqual([16, 2]);
  });

  test('int32 inputs take integer data (typed or plain) and refuse fractions', () => {
    const model = twoHeads();
    const { X, T } = twoHeadData(4);
    const plainTokens = Array.from({ length: 4 }, (_, r) => Array.from(T.data.subarray(r * 20, r * 20 + 20)));
    const a = model.predict([X, T]) as bp.Tensor[];
    const b = model.predict([X, plainTokens]) as bp.Tensor[];
    expect(Array.from(a[0].data)).toEqual(Array.from(b[0].data));
    plainTokens[1][3] = 2.5;
    expect(() => model.predict([X, plainTokens])).toThrow(/input 'tokens'.*int32 but value 23 is 2.5/);
  });

  test('an int32 input survives save and load (its InputLayer is written and read with dtype int32)', async () => {
    const model = twoHeads();
    const { X, T } = twoHeadData(4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-int32-'));
    try {
      await model.save(dir);
      const loaded = await bp.loadLayersModel(dir);
      expect(loaded.inputs.map((t) => t.dtype)).toEqual(['float32', 'int32']);
      const a = model.predict([X, T]) as bp.Tensor[];
      const b = loaded.predict([X, T]) as bp.Tensor[];
      expect(b.map((t) => Array.from(t.data))).toEqual(a.map((t) => Array.from(t.data)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('layer.input / output / getOutputAt, getLayer and summary', () => {
    const x = bp.input({ shape: [3], name: 'x' });
    const d = L.dense({ units: 2, name: 'd' });
    const y1 = d.apply(x);
    const y2 = d.apply(L.dense({ units: 3, name: 'e' }).apply(x));
    expect(d.getOutputAt(0)).toBe(y1);
    expect(d.getOutputAt(1)).toBe(y2);
    expect(() => d.output).toThrow(/applied 2 times.*getOutputAt/);
    const model = bp.model({ inputs: x, outputs: L.add().apply([y1, y2]) });
    expect(model.getLayer('e').output).toBe(y2.node.inputs[0]);
    expect(model.getLayer('x').className).toBe('InputLayer');
    const text = model.summary(() => {});
    expect(text).toMatch(/Connected to/);
    expect(text).toMatch(/add_1 \(Add\)\s+\[null, 2\]\s+0\s+d\[0\]\[0\], d\[1\]\[0\]/);
    expect(() => model.getLayer('nope')).toThrow(/no layer named 'nope'/);
  });
});

describe.each(backendNames())('shared layers, nested models and freezing on the %s backend', (backend) => {
  beforeAll(() => bp.setBackend(backend));
  afterAll(() => bp.setBackend('auto'));

  test('a shared layer has one set of weights and its gradients are summed (gradcheck)', () => {
    const a = bp.input({ shape: [4] }),
      b = bp.input({ shape: [4] });
    const shared = L.dense({ units: 3, activation: 'tanh' });
    const y = L.dense({ units: 1 }).apply(L.concatenate().apply([shared.apply(a), shared.apply(b)]));
    const model = bp.model({ inputs: [a, b], outputs: y, dtype: 'float64' });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    expect(model.getWeights().map((w) => w.name)).toEqual([
      `${shared.name}/kernel`,
      `${shared.name}/bias`,
      expect.stringMatching(/kernel$/),
      expect.stringMatching(/bias$/),
    ]);
    const rng = new bp.Rng(1);
    const xs = [rand(rng, 5, [4]), rand(rng, 5, [4])].map((t) =>
      bp.tensor(Float64Array.from(t.data), t.shape, 'float64'),
    );
    const target = bp.tensor(
      Float64Array.from({ length: 5 }, () => rng.uniform(-1, 1)),
      [5, 1],
      'float64',
    );
    expect(bp.gradcheck(model, xs, target).maxError).toBeLessThan(1e-6);
  });

  test('a nested model (Siamese encoder) trains inside another and keeps its weights', async () => {
    const encIn = bp.input({ shape: [6] });
    const encoder = bp.model({
      inputs: encIn,
      outputs: L.dense({ units: 4, activation: 'relu' }).apply(L.dense({ units: 8, activation: 'tanh' }).apply(encIn)),
      name: 'encoder',
    });
    const a = bp.input({ shape: [6], name: 'left' }),
      b = bp.input({ shape: [6], name: 'right' });
    const sim = L.dot({ axes: 1, normalize: true }).apply([encoder.apply(a), encoder.apply(b)]);
    const outer = bp.model({ inputs: [a, b], outputs: L.dense({ units: 1, activation: 'sigmoid' }).apply(sim) });
    outer.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    expect(outer.layers.map((l) => l.className)).toEqual(['InputLayer', 'InputLayer', 'Model', 'Dot', 'Dense']);
    expect(outer.getWeights()).toHaveLength(6);
    const rng = new bp.Rng(3);
    const L1 = rand(rng, 32, [6]),
      R = rand(rng, 32, [6]);
    const y = bp.tensor(
      Float32Array.from({ length: 32 }, (_, i) => (L1.data[i * 6] * R.data[i * 6] > 0 ? 1 : 0)),
      [32, 1],
    );
    const before = encoder.getWeights().map((w) => w.data.slice());
    await outer.fit([L1, R], y, { epochs: 3, batchSize: 8 });
    encoder.getWeights().forEach((w, i) => expect(Array.from(w.data)).not.toEqual(Array.from(before[i])));
    // The encoder predicts with the trained weights on its own.
    expect((encoder.predict(L1) as bp.Tensor).shape).toEqual([32, 4]);
    // gradients through both calls of the nested model, in float64
    const f64 = (t: bp.Tensor) => bp.tensor(Float64Array.from(t.data), t.shape, 'float64');
    expect(bp.gradcheck(outer, [f64(L1), f64(R)], f64(y), { maxPerParam: 6 }).maxError).toBeLessThan(1e-5);
  });

  test('a frozen base gets no update and costs no backward; unfreezing trains it again', async () => {
    const x = bp.input({ shape: [5] });
    const base1 = L.dense({ units: 8, activation: 'relu', name: 'base1' });
    const base2 = L.dense({ units: 8, activation: 'relu', name: 'base2' });
    const head = L.dense({ units: 2, name: 'head' });
    const model = bp.model({ inputs: x, outputs: head.apply(base2.apply(base1.apply(x))) });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    base1.trainable = false;
    base2.trainable = false;
    const calls = { base: 0 };
    for (const l of [base1, base2]) {
      const orig = l.backward.bind(l);
      l.backward = (...args: Parameters<typeof orig>) => {
        calls.base++;
        return orig(...args);
      };
    }
    const rng = new bp.Rng(2);
    const X = rand(rng, 20, [5]),
      Y = rand(rng, 20, [2]);
    const frozen = model
      .getWeights()
      .slice(0, 4)
      .map((w) => w.data.slice());
    const headBefore = model.getWeights()[4].data.slice();
    await model.fit(X, Y, { epochs: 2, batchSize: 5 });
    model
      .getWeights()
      .slice(0, 4)
      .forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(frozen[i])));
    expect(Array.from(model.getWeights()[4].data)).not.toEqual(Array.from(headBefore));
    expect(calls.base).toBe(0);
    expect(
      model
        .plan()
        .calls.filter((c) => c.backward)
        .map((c) => c.layer.name),
    ).toEqual(['head']);
    base2.trainable = true; // unfreezing rebuilds the plan: base2 trains, base1 still needs no backward
    await model.fit(X, Y, { epochs: 1, batchSize: 5 });
    expect(calls.base).toBe(4);
    expect(Array.from(model.getWeights()[2].data)).not.toEqual(Array.from(frozen[2]));
    expect(Array.from(model.getWeights()[0].data)).toEqual(Array.from(frozen[0]));
  });

  test('freezing a nested model freezes its layers; a frozen BatchNormalization runs in inference mode', async () => {
    const inp = bp.input({ shape: [4] });
    const bn = L.batchNormalization();
    const base = bp.model({ inputs: inp, outputs: bn.apply(L.dense({ units: 6 }).apply(inp)), name: 'base' });
    const x = bp.input({ shape: [4] });
    const model = bp.model({ inputs: x, outputs: L.dense({ units: 1 }).apply(base.apply(x)) });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    base.trainable = false;
    expect(bn.trainable).toBe(false);
    expect(model.params().map((p) => p.name)).toEqual([
      expect.stringMatching(/^dense_\d+\/kernel$/),
      expect.any(String),
    ]);
    const stats = base.getWeights().map((w) => w.data.slice());
    const rng = new bp.Rng(6);
    const X = rand(rng, 12, [4], 2, 5),
      Y = rand(rng, 12, [1]);
    await model.fit(X, Y, { epochs: 2, batchSize: 4 });
    base.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(stats[i])));
    // Inference mode in training: the training loss of a batch equals its evaluation loss.
    const b = engineOf(model).backendFor(12);
    const trainingLoss = engineOf(model).trainingLoss(b, X.data, Y.data, 12);
    expect(trainingLoss).toBeCloseTo(model.evaluate(X, Y).loss, 5);
  });

  test('a frozen BatchNormalization between trainable layers passes the right gradient (gradcheck)', () => {
    const x = bp.input({ shape: [3] });
    const bn = L.batchNormalization({ name: 'bn' });
    const model = bp.model({
      inputs: x,
      outputs: L.dense({ units: 2 }).apply(bn.apply(L.dense({ units: 4 }).apply(x))),
      dtype: 'float64',
    });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const w = model.getWeights();
    w[4].data.set([0.5, -1, 2, 0.3]); // moving mean
    w[5].data.set([2, 0.5, 1, 3]); // moving variance
    model.setWeights(w);
    bn.trainable = false;
    const rng = new bp.Rng(8);
    const X = bp.tensor(
      Float64Array.from({ length: 18 }, () => rng.uniform(-1, 1)),
      [6, 3],
      'float64',
    );
    const Y = bp.tensor(
      Float64Array.from({ length: 12 }, () => rng.uniform(-1, 1)),
      [6, 2],
      'float64',
    );
    expect(bp.gradcheck(model, X, Y).maxError).toBeLessThan(1e-6);
  });

  test('a softmax output read by another layer is not fused with its loss (gradients stay right)', () => {
    const x = bp.input({ shape: [4] });
    const probs = L.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(x);
    const second = L.dense({ units: 2, name: 'second' }).apply(probs);
    const model = bp.model({ inputs: x, outputs: [probs, second], dtype: 'float64' });
    model.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'] });
    const plan = model.plan();
    expect(plan.outputs.map((o) => o.fused)).toEqual([false, false]);
    const rng = new bp.Rng(2);
    const X = bp.tensor(
      Float64Array.from({ length: 20 }, () => rng.uniform(-1, 1)),
      [5, 4],
      'float64',
    );
    const Y1 = bp.tensor(
      Float64Array.from({ length: 15 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      [5, 3],
      'float64',
    );
    const Y2 = bp.tensor(
      Float64Array.from({ length: 10 }, () => rng.uniform(-1, 1)),
      [5, 2],
      'float64',
    );
    expect(bp.gradcheck(model, X, [Y1, Y2]).maxError).toBeLessThan(1e-6);
  });
});

describe('graph construction and data errors', () => {
  test('bad graphs and bad data are errors naming what to fix', () => {
    const x = bp.input({ shape: [3], name: 'x' });
    const other = bp.input({ shape: [3], name: 'other' });
    const y = L.dense({ units: 2 }).apply(L.add().apply([x, other]));
    expect(() => bp.model({ inputs: x, outputs: y })).toThrow(/disconnected.*other.*add it to 'inputs'/);
    const unused = bp.input({ shape: [2], name: 'unused' });
    expect(() => bp.model({ inputs: [x, other, unused], outputs: y })).toThrow(/unused\/0 is not used/);
    const notInput = L.dense({ units: 3 }).apply(x);
    expect(() => bp.model({ inputs: notInput, outputs: y })).toThrow(/does not come from bp.input/);
    expect(() => bp.model({ inputs: [x, x], outputs: y })).toThrow(/same input twice/);
    expect(() => bp.model({ inputs: x } as never)).toThrow(/'inputs' and 'outputs' are required/);
    expect(() => bp.model({ inputs: x, outputs: [1] } as never)).toThrow(/outputs'\[0\] must be a symbolic tensor/);
    expect(() => bp.model({ inputs: x, outputs: y, layers: [] } as never)).toThrow(/unknown option 'layers'/);
    const twin = L.dense({ units: 2, name: 'twin' }).apply(L.dense({ units: 3, name: 'twin' }).apply(x));
    expect(() => bp.model({ inputs: x, outputs: twin })).toThrow(/two layers are named 'twin'/);
    expect(() => bp.input({ shape: [0] })).toThrow(/positive integers/);
    expect(() => bp.input({ shape: [3], dtype: 'bool' as never })).toThrow(/'dtype' must be/);
    expect(() => bp.input({ batchShape: [4, 3] })).toThrow(/\[null, \.\.\.shape\]/);
    expect(() => L.dense({ units: 2 }).apply([[1, 2]] as never)).toThrow(/not a symbolic tensor/);

    const model = bp.model({ inputs: [x, other], outputs: y });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const X = bp.tensor([[1, 2, 3]]);
    expect(() => model.predict(X)).toThrow(/2 inputs \('x', 'other'\): give 'x' as an array of 2/);
    expect(() => model.predict({ x: X })).toThrow(/no entry for the input 'other'/);
    expect(() => model.predict({ x: X, other: X, extra: X })).toThrow(/entry 'extra'/);
    expect(() =>
      model.predict([
        X,
        bp.tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ]),
    ).toThrow(/'other' has 2 rows but 'x' has 1/);
    expect(() => model.predict([X, bp.tensor([[1, 2]])])).toThrow(/input 'other'.*shape \[2\].*\[3\]/);
    expect(() => model.compile({ optimizer: 'sgd', loss: { nope: 'mse' } })).toThrow(/output 'nope'/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [-1] })).toThrow(/lossWeights/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', foo: 1 } as never)).toThrow(/unknown option 'foo'/);
    expect(() => model.add(L.dense({ units: 1 }))).toThrow(/only a Sequential/);
  });
});

describe('Sequential is the same engine', () => {
  test('its layers have outputs to build on: a new head on a Sequential base (transfer learning)', async () => {
    const base = bp.sequential({
      seed: 1,
      layers: [L.dense({ units: 8, activation: 'relu', inputShape: [4], name: 'feat' }), L.dense({ units: 3 })],
    });
    const feat = base.getLayer('feat');
    const model = bp.model({
      inputs: base.inputs,
      outputs: L.dense({ units: 1, activation: 'sigmoid' }).apply(feat.output as SymbolicTensor),
    });
    feat.trainable = false;
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const before = feat.weights().map((p) => p.value.slice());
    const rng = new bp.Rng(1);
    const X = rand(rng, 16, [4]);
    const Y = bp.tensor(
      Float32Array.from({ length: 16 }, (_, i) => (X.data[i * 4] > 0 ? 1 : 0)),
      [16, 1],
    );
    await model.fit(X, Y, { epochs: 2 });
    feat.weights().forEach((p, i) => expect(Array.from(p.value)).toEqual(Array.from(before[i])));
    expect(base.inputs).toHaveLength(1);
    expect(base.outputs[0].shape).toEqual([null, 3]);
  });

  test('a Sequential used as a layer of a functional model', async () => {
    const block = bp.sequential({ layers: [L.dense({ units: 4, activation: 'relu', inputShape: [3] })] });
    const x = bp.input({ shape: [3] });
    const model = bp.model({ inputs: x, outputs: L.dense({ units: 1 }).apply(block.apply(x)) });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const rng = new bp.Rng(2);
    const h = await model.fit(rand(rng, 8, [3]), rand(rng, 8, [1]), { epochs: 2 });
    expect(h.history.loss).toHaveLength(2);
  });
});
