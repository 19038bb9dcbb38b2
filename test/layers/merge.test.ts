/**
 * Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot): finite-difference gradients
 * in float64 through every layer and broadcasting pattern on both backends, forward values against a plain
 * reference, shape rules and errors, masks, and config round trips through the registry.
 */
import * as bp from '../../src';
import { backendNames } from '../support/backends';
import { layerFromConfig } from '../../src/layers/registry';
import type { SymbolicTensor } from '../../src/autodiff/symbolic';

const L = bp.layers;
type Build = (ins: SymbolicTensor[]) => SymbolicTensor;
const D = (units: number) => L.dense({ units });

function randTensor(rng: bp.Rng, rows: number, shape: number[]) {
  const n = shape.reduce((a, b) => a * b, 1);
  return bp.tensor(
    Float64Array.from({ length: rows * n }, () => rng.uniform(-1, 1)),
    [rows, ...shape],
    'float64',
  );
}

/** A float64 model of `build` on inputs of `shapes`, compiled with MSE, and data for it. */
function setup(build: Build, shapes: number[][], rows = 3) {
  const ins = shapes.map((s, i) => bp.input({ shape: s, name: `in${i}` }));
  const model = bp.model({ inputs: ins, outputs: build(ins), dtype: 'float64', seed: 3 });
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const rng = new bp.Rng(5);
  const xs = shapes.map((s) => randTensor(rng, rows, s));
  const y = randTensor(rng, rows, [...model.outputShapes[0]]);
  return { model, xs, y };
}

const CASES: [string, Build, number[][]][] = [
  ['add of two', ([a, b]) => L.add().apply([D(4).apply(a), D(4).apply(b)]), [[3], [5]]],
  [
    'add, residual (one slot read twice)',
    ([a]) => {
      const h = D(4).apply(a);
      return L.add().apply([h, D(4).apply(h)]);
    },
    [[4]],
  ],
  [
    'add of the same tensor twice',
    ([a]) => {
      const h = D(4).apply(a);
      return L.add().apply([h, h]);
    },
    [[3]],
  ],
  [
    'add, broadcast [2,3] + [3]',
    ([a, b]) => L.add().apply([L.reshape({ targetShape: [2, 3] }).apply(D(6).apply(a)), D(3).apply(b)]),
    [[3], [5]],
  ],
  [
    'add, broadcast [2,3] + [2,1]',
    ([a, b]) =>
      L.add().apply([
        L.reshape({ targetShape: [2, 3] }).apply(D(6).apply(a)),
        L.reshape({ targetShape: [2, 1] }).apply(D(2).apply(b)),
      ]),
    [[3], [5]],
  ],
  ['subtract', ([a, b]) => L.subtract().apply([D(4).apply(a), D(4).apply(b)]), [[3], [5]]],
  [
    'multiply of three',
    ([a, b]) => {
      const h = D(4).apply(a);
      return L.multiply().apply([h, D(4).apply(b), D(4).apply(h)]);
    },
    [[3], [5]],
  ],
  [
    'multiply, broadcast',
    ([a, b]) => L.multiply().apply([L.reshape({ targetShape: [2, 3] }).apply(D(6).apply(a)), D(3).apply(b)]),
    [[3], [5]],
  ],
  ['average', ([a, b]) => L.average().apply([D(4).apply(a), D(4).apply(b)]), [[3], [5]]],
  ['maximum', ([a, b]) => L.maximum().apply([D(4).apply(a), D(4).apply(b)]), [[3], [5]]],
  ['minimum of three', ([a, b]) => L.minimum().apply([D(4).apply(a), D(4).apply(b), D(4).apply(a)]), [[3], [5]]],
  ['concatenate, last axis', ([a, b]) => L.concatenate().apply([D(4).apply(a), D(2).apply(b)]), [[3], [5]]],
  [
    'concatenate, axis 1 of rank 3',
    ([a, b]) => L.concatenate({ axis: 1 }).apply([D(4).apply(a), D(4).apply(b)]),
    [
      [2, 3],
      [3, 5],
    ],
  ],
  [
    'concatenate of three, axis -1 of rank 3',
    ([a, b]) => L.concatenate({ axis: -1 }).apply([D(2).apply(a), D(3).apply(a), D(1).apply(b)]),
    [
      [2, 3],
      [2, 5],
    ],
  ],
  ['dot, axes 1', ([a, b]) => L.dot({ axes: 1 }).apply([D(4).apply(a), D(4).apply(b)]), [[3], [5]]],
  [
    'dot, normalized (cosine)',
    ([a, b]) => L.dot({ axes: 1, normalize: true }).apply([D(4).apply(a), D(4).apply(b)]),
    [[3], [5]],
  ],
  [
    'dot, [t,d]·[u,d] axes 2',
    ([a, b]) => L.dot({ axes: [2, 2] }).apply([D(4).apply(a), D(4).apply(b)]),
    [
      [2, 3],
      [3, 5],
    ],
  ],
  [
    'dot, [t,d]·[t,e] axes 1, normalized',
    ([a, b]) => L.dot({ axes: 1, normalize: true }).apply([D(4).apply(a), D(2).apply(b)]),
    [
      [3, 3],
      [3, 5],
    ],
  ],
  [
    'dot, [t,d]·[d] axes [2,1]',
    ([a, b]) => L.dot({ axes: [2, 1] }).apply([D(4).apply(a), D(4).apply(b)]),
    [[2, 3], [5]],
  ],
  [
    'dot, [d]·[t,d] axes [-1,-1]',
    ([a, b]) => L.dot({ axes: [-1, -1] }).apply([D(4).apply(a), D(4).apply(b)]),
    [[3], [2, 5]],
  ],
];

describe.each(backendNames())('merge layers on the %s backend', (backend) => {
  beforeAll(() => bp.setBackend(backend));
  afterAll(() => bp.setBackend('auto'));

  test.each(CASES)('%s: float64 gradients match finite differences', (_label, build, shapes) => {
    const { model, xs, y } = setup(build, shapes);
    const r = bp.gradcheck(model, xs, y);
    expect(r.maxError).toBeLessThan(1e-6);
  });
});

/** The merge layer of a one-layer model on raw inputs, and its prediction. */
function mergeOnInputs(layer: bp.layers.Layer, shapes: number[][], rows = 2) {
  const ins = shapes.map((s) => bp.input({ shape: s }));
  const model = bp.model({ inputs: ins, outputs: layer.apply(ins), dtype: 'float64' });
  const rng = new bp.Rng(7);
  const xs = shapes.map((s) => randTensor(rng, rows, s));
  return { xs, y: model.predict(xs) as bp.Tensor, model };
}

describe('merge layer values', () => {
  test('add, subtract, multiply, average, maximum, minimum compute elementwise with broadcasting', () => {
    const ops: [bp.layers.Layer, (v: number[]) => number][] = [
      [L.add(), (v) => v.reduce((a, b) => a + b)],
      [L.multiply(), (v) => v.reduce((a, b) => a * b)],
      [L.average(), (v) => v.reduce((a, b) => a + b) / v.length],
      [L.maximum(), (v) => Math.max(...v)],
      [L.minimum(), (v) => Math.min(...v)],
    ];
    for (const [layer, f] of ops) {
      const { xs, y } = mergeOnInputs(layer, [[2, 3], [3], [2, 1]]);
      for (let r = 0; r < 2; r++)
        for (let i = 0; i < 2; i++)
          for (let j = 0; j < 3; j++) {
            const v = [xs[0].data[r * 6 + i * 3 + j], xs[1].data[r * 3 + j], xs[2].data[r * 2 + i]];
            expect(y.data[r * 6 + i * 3 + j]).toBeCloseTo(f(v), 12);
          }
    }
    const { xs, y } = mergeOnInputs(L.subtract(), [[4], [4]]);
    for (let i = 0; i < 8; i++) expect(y.data[i]).toBeCloseTo(xs[0].data[i] - xs[1].data[i], 12);
  });

  test('concatenate joins along the axis, dot multiplies along the axes', () => {
    const c = mergeOnInputs(L.concatenate({ axis: 1 }), [
      [2, 3],
      [1, 3],
    ]);
    expect(c.y.shape).toEqual([2, 3, 3]);
    expect(Array.from(c.y.data.subarray(0, 9))).toEqual([
      ...Array.from(c.xs[0].data.subarray(0, 6)),
      ...Array.from(c.xs[1].data.subarray(0, 3)),
    ]);
    const d = mergeOnInputs(L.dot({ axes: [2, 2] }), [
      [2, 3],
      [4, 3],
    ]);
    expect(d.y.shape).toEqual([2, 2, 4]);
    const [a, b] = d.xs.map((t) => t.data);
    let s = 0;
    for (let k = 0; k < 3; k++) s += a[1 * 3 + k] * b[2 * 3 + k];
    expect(d.y.data[1 * 4 + 2]).toBeCloseTo(s, 12);
    const cos = mergeOnInputs(L.dot({ axes: 1, normalize: true }), [[5], [5]]);
    const u = cos.xs[0].data.subarray(0, 5),
      v = cos.xs[1].data.subarray(0, 5);
    let dot = 0;
    for (let i = 0; i < 5; i++) dot += u[i] * v[i];
    const norm = (w: ArrayLike<number>) => Math.sqrt(Array.from(w).reduce((acc, x) => acc + x * x, 0));
    expect(cos.y.shape).toEqual([2, 1]);
    expect(cos.y.data[0]).toBeCloseTo(dot / (norm(u) * norm(v)), 12);
  });
});

describe('merge layer shapes and errors', () => {
  const inp = (s: number[]) => bp.input({ shape: s });
  test('output shapes follow Keras', () => {
    expect(L.add().apply([inp([4, 3]), inp([3])]).shape).toEqual([null, 4, 3]);
    expect(L.add().apply([inp([4, 1]), inp([1, 5])]).shape).toEqual([null, 4, 5]);
    expect(L.concatenate().apply([inp([4, 3]), inp([4, 2])]).shape).toEqual([null, 4, 5]);
    expect(L.concatenate({ axis: 1 }).apply([inp([4, 3]), inp([2, 3])]).shape).toEqual([null, 6, 3]);
    expect(L.dot({ axes: 1 }).apply([inp([4]), inp([4])]).shape).toEqual([null, 1]);
    expect(L.dot({ axes: [2, 2] }).apply([inp([5, 4]), inp([6, 4])]).shape).toEqual([null, 5, 6]);
    expect(L.dot({ axes: [1, 1] }).apply([inp([5, 4]), inp([5, 2])]).shape).toEqual([null, 4, 2]);
  });

  test('bad merges are errors naming the layer and the shapes', () => {
    expect(() => L.add().apply([inp([4]), inp([5])])).toThrow(/Add.*\[4\], \[5\] cannot be merged/);
    expect(() => L.add().apply(inp([4]))).toThrow(/at least 2 inputs, got 1/);
    expect(() => L.add().apply([inp([4])])).toThrow(/at least 2 inputs, got 1/);
    expect(() => L.subtract().apply([inp([4]), inp([4]), inp([4])])).toThrow(/exactly 2 inputs, got 3/);
    expect(() => L.concatenate().apply([inp([4, 3]), inp([2, 2])])).toThrow(/differ outside the joined axis/);
    expect(() => L.concatenate().apply([inp([4, 3]), inp([3])])).toThrow(/same rank/);
    expect(() => L.concatenate({ axis: 0 })).toThrow(/batch axis/);
    expect(() => L.concatenate({ axis: 4 }).apply([inp([3]), inp([3])])).toThrow(/axis 4 is outside/);
    expect(() => L.dot({ axes: 1 }).apply([inp([4]), inp([5])])).toThrow(/differ along axes/);
    expect(() => L.dot({ axes: 1 }).apply([inp([2, 2, 2]), inp([2, 2, 2])])).toThrow(/supports ranks 2 and 3/);
    expect(() => L.dot({} as never)).toThrow(/'axes' is required/);
    expect(() => L.dot({ axes: 0 })).toThrow(/batch axis/);
    expect(() => L.add({ inputShape: [3] })).toThrow(/takes its input shapes from the tensors/);
    expect(() => L.dense({ units: 2 }).apply([inp([3]), inp([3])])).toThrow(/takes one input, got 2/);
    expect(() => L.add().apply([inp([3]), [1, 2] as never])).toThrow(/input 1 is an array, not a symbolic tensor/);
  });

  test('config round trips through the registry', () => {
    const layers: bp.layers.Layer[] = [
      L.add({ name: 'a1' }),
      L.subtract(),
      L.multiply(),
      L.average(),
      L.maximum(),
      L.minimum({ trainable: false }),
      L.concatenate({ axis: 2 }),
      L.dot({ axes: [2, 1], normalize: true }),
    ];
    for (const l of layers) {
      const again = layerFromConfig(l.className, l.getConfig());
      expect(again.className).toBe(l.className);
      expect(again.getConfig()).toEqual(l.getConfig());
    }
  });
});

describe('masks through merges (Keras rules)', () => {
  test('add keeps the mask of a masked input: padded steps count for nothing downstream', () => {
    const tokens = bp.input({ shape: [4], name: 'tok' });
    const feats = bp.input({ shape: [4], name: 'f' });
    const emb = L.embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(tokens);
    const other = L.dense({ units: 3 }).apply(L.reshape({ targetShape: [4, 1] }).apply(feats));
    const pooled = L.globalAveragePooling1d().apply(L.add().apply([emb, other]));
    const model = bp.model({ inputs: [tokens, feats], outputs: pooled });
    const t = bp.tensor([
      [1, 2, 0, 0],
      [3, 0, 0, 0],
    ]);
    const at = (f: number[][]) => Array.from((model.predict([t, bp.tensor(f)]) as bp.Tensor).data);
    const base = at([
      [1, 1, 9, 9],
      [2, 9, 9, 9],
    ]);
    // Changing the other input at padded steps changes nothing; at a real step it does.
    expect(
      at([
        [1, 1, -5, 7],
        [2, 3, 3, 3],
      ]),
    ).toEqual(base);
    expect(
      at([
        [1, 4, 9, 9],
        [2, 9, 9, 9],
      ]),
    ).not.toEqual(base);
  });

  test('a merge of masked inputs into a layer that cannot take masks is an error naming it', () => {
    const tokens = bp.input({ shape: [4] });
    const emb = L.embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(tokens);
    const sum = L.add().apply([emb, emb]);
    expect(() => bp.model({ inputs: tokens, outputs: L.flatten().apply(sum) })).toThrow(/Flatten.*masked input/);
  });
});
