/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * Functional models in ONNX: one graph input per model input and one output per model output, every merge layer,
 * shared layers (their weights written once), nested models, masks through merges, and a residual CNN whose
 * convolutions run channels-first; checked by ONNX's checker and against predict in ONNX Runtime at batch 1 and 33.
 */
import * as bp from '../../src';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeModel } from '../../src/onnx/proto';
import { expectGraphOnnxMatchesPredict, OnnxChecker, writeParityTable } from './support';

const L = bp.layers;
let checker: OnnxChecker;
beforeAll(() => (checker = new OnnxChecker()));
afterAll(() => {
  checker.close();
  writeParityTable();
});

const D = (units: number, activation = 'linear') => L.dense({ units, activation: activation as never });

describe('functional models export to ONNX', () => {
  test('two inputs, two outputs, a residual and a shared layer', async () => {
    const a = bp.input({ shape: [5], name: 'features' });
    const b = bp.input({ shape: [5], name: 'other' });
    const shared = D(6, 'tanh');
    const ha = shared.apply(a);
    const hb = shared.apply(b);
    const r = L.add().apply([ha, D(6, 'relu').apply(ha)]);
    const m = L.concatenate().apply([r, hb]);
    const model = bp.model({
      inputs: [a, b],
      outputs: [D(3, 'softmax').apply(m), L.dense({ units: 1, name: 'price' }).apply(m)],
    });
    await expectGraphOnnxMatchesPredict(model, checker, { label: 'graph: residual, shared, two outputs' });
    const onnx = decodeModel(await bp.exportOnnx(model, path.join(os.tmpdir(), `bp-shared-${process.pid}.onnx`)));
    const names = onnx.graph.initializer.map((t) => t.name);
    expect(names.filter((n) => n.startsWith(`${shared.name}/`))).toEqual([
      `${shared.name}/kernel`,
      `${shared.name}/bias`,
    ]);
    expect(onnx.graph.input.map((i) => i.name)).toEqual(['features', 'other']);
    expect(onnx.graph.output.map((o) => o.name)).toEqual([model.outputNames[0], 'price']);
  });

  test.each([
    [
      'add, broadcast',
      (xs: bp.SymbolicTensor[]) =>
        L.add().apply([L.reshape({ targetShape: [2, 3] }).apply(D(6).apply(xs[0])), D(3).apply(xs[1])]),
    ],
    ['subtract', (xs: bp.SymbolicTensor[]) => L.subtract().apply([D(4).apply(xs[0]), D(4).apply(xs[1])])],
    [
      'multiply of three',
      (xs: bp.SymbolicTensor[]) => L.multiply().apply([D(4).apply(xs[0]), D(4).apply(xs[1]), D(4).apply(xs[0])]),
    ],
    ['average', (xs: bp.SymbolicTensor[]) => L.average().apply([D(4).apply(xs[0]), D(4).apply(xs[1])])],
    ['maximum', (xs: bp.SymbolicTensor[]) => L.maximum().apply([D(4).apply(xs[0]), D(4).apply(xs[1])])],
    ['minimum', (xs: bp.SymbolicTensor[]) => L.minimum().apply([D(4).apply(xs[0]), D(4).apply(xs[1])])],
    [
      'concatenate axis 1',
      (xs: bp.SymbolicTensor[]) =>
        L.concatenate({ axis: 1 }).apply([
          L.reshape({ targetShape: [2, 2] }).apply(D(4).apply(xs[0])),
          L.reshape({ targetShape: [1, 2] }).apply(D(2).apply(xs[1])),
        ]),
    ],
    [
      'dot, normalized',
      (xs: bp.SymbolicTensor[]) => L.dot({ axes: 1, normalize: true }).apply([D(4).apply(xs[0]), D(4).apply(xs[1])]),
    ],
    [
      'dot, [t,d]·[u,d]',
      (xs: bp.SymbolicTensor[]) =>
        L.dot({ axes: [2, 2] }).apply([
          L.reshape({ targetShape: [2, 3] }).apply(D(6).apply(xs[0])),
          L.reshape({ targetShape: [3, 3] }).apply(D(9).apply(xs[1])),
        ]),
    ],
    [
      'dot, [t,d]·[t,e] axes 1',
      (xs: bp.SymbolicTensor[]) =>
        L.dot({ axes: 1 }).apply([
          L.reshape({ targetShape: [3, 2] }).apply(D(6).apply(xs[0])),
          L.reshape({ targetShape: [3, 3] }).apply(D(9).apply(xs[1])),
        ]),
    ],
    [
      'dot, [t,d]·[d]',
      (xs: bp.SymbolicTensor[]) =>
        L.dot({ axes: [2, 1] }).apply([L.reshape({ targetShape: [2, 3] }).apply(D(6).apply(xs[0])), D(3).apply(xs[1])]),
    ],
  ])('merge: %s', async (label, build) => {
    const ins = [bp.input({ shape: [5] }), bp.input({ shape: [4] })];
    const model = bp.model({ inputs: ins, outputs: build(ins) });
    await expectGraphOnnxMatchesPredict(model, checker, { label: `merge: ${label}` });
  });

  test('a nested model applied twice', async () => {
    const i = bp.input({ shape: [4] });
    const enc = bp.model({ inputs: i, outputs: D(3, 'relu').apply(D(5, 'tanh').apply(i)) });
    const a = bp.input({ shape: [4] });
    const b = bp.input({ shape: [4] });
    const model = bp.model({
      inputs: [a, b],
      outputs: D(1, 'sigmoid').apply(L.subtract().apply([enc.apply(a), enc.apply(b)])),
    });
    await expectGraphOnnxMatchesPredict(model, checker, { label: 'graph: nested model' });
  });

  test('masks through a merge: padded steps count for nothing', async () => {
    const tokens = bp.input({ shape: [6] });
    const emb = L.embedding({ inputDim: 9, outputDim: 4, maskZero: true }).apply(tokens);
    const model = bp.model({
      inputs: tokens,
      outputs: L.globalAveragePooling1d().apply(L.add().apply([emb, L.dense({ units: 4 }).apply(emb)])),
    });
    const makeInputs = (rows: number, seed: number) => {
      const rng = new bp.Rng(seed);
      const ids = Float32Array.from({ length: rows * 6 }, (_, k) =>
        k % 6 > 3 ? 0 : 1 + Math.floor(rng.uniform(0, 8)),
      );
      return [bp.tensor(ids, [rows, 6])];
    };
    await expectGraphOnnxMatchesPredict(model, checker, { label: 'graph: masked merge', makeInputs });
  });

  test('a residual CNN (convolutions channels-first, adds between them)', async () => {
    const x = bp.input({ shape: [8, 8, 1] });
    let h = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    const y = L.batchNormalization().apply(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(h));
    h = L.activation({ activation: 'relu' }).apply(L.add().apply([h, y]));
    const model = bp.model({
      inputs: x,
      outputs: L.dense({ units: 3, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(h)),
    });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const rng = new bp.Rng(1);
    model.trainOnBatch(
      bp.tensor(
        Float32Array.from({ length: 4 * 64 }, () => rng.uniform(-1, 1)),
        [4, 8, 8, 1],
      ),
      bp.tensor(new Float32Array(12).fill(0.3), [4, 3]),
    );
    await expectGraphOnnxMatchesPredict(model, checker, { label: 'graph: residual CNN' });
  });
});
