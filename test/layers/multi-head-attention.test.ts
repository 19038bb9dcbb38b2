/**
 * MultiHeadAttention (Keras 3) as a graph layer: float64 finite-difference gradients on every backend (self- and
 * cross-attention, key ≠ value, tq ≠ tk, causal, padding masks on query and value, an attentionMask input,
 * dropout, no bias, outputShape), forward values against a plain float64 reference written here from Keras'
 * formulas, Keras' weight names and shapes, the scores, config and save/load round trips, bad arguments and inputs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import { backendNames } from '../support/backends';
import { layerFromConfig } from '../../src/layers/registry';
import type { SymbolicTensor } from '../../src/autodiff/symbolic';

const L = bp.layers;
/** A dense layer before the attention's inputs: its gradients check the attention's input gradients. */
const D = (units: number) => L.dense({ units, biasInitializer: bias() });
const bias = () => bp.initializers.randomUniform({ minval: -0.3, maxval: 0.3 });

function randTensor(rng: bp.Rng, rows: number, shape: number[], lo = -1, hi = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  return bp.tensor(
    Float64Array.from({ length: rows * n }, () => rng.uniform(lo, hi)),
    [rows, ...shape],
    'float64',
  );
}

/** Token ids [rows, steps] with trailing zeros (padding) of varying length, at least one real step. */
function ids(rows: number, steps: number, vocab: number, seed: number) {
  const rng = new bp.Rng(seed);
  const data = new Float64Array(rows * steps);
  for (let r = 0; r < rows; r++) {
    const len = 1 + (r % steps);
    for (let t = 0; t < len; t++) data[r * steps + t] = 1 + Math.floor(rng.uniform(0, vocab - 1 - 1e-9));
  }
  return bp.tensor(data, [rows, steps], 'float64');
}

/** A 0/1 attention mask [rows, tq, tk] with at least one allowed key per query. */
function attentionMask(rows: number, tq: number, tk: number, seed: number) {
  const rng = new bp.Rng(seed);
  const data = Float64Array.from({ length: rows * tq * tk }, (_, i) =>
    i % tk === 0 || rng.uniform(0, 1) < 0.6 ? 1 : 0,
  );
  return bp.tensor(data, [rows, tq, tk], 'float64');
}

type Case = {
  label: string;
  shapes: number[][];
  build: (ins: SymbolicTensor[]) => SymbolicTensor;
  data?: (rows: number) => bp.Tensor[];
};

const CASES: Case[] = [
  {
    label: 'self-attention apply([h, h]) (one slot read twice)',
    shapes: [[3, 4]],
    build: ([x]) => {
      const h = D(4).apply(x);
      return L.multiHeadAttention({ numHeads: 2, keyDim: 3, biasInitializer: bias() }).apply([h, h]);
    },
  },
  {
    label: 'cross-attention, tq 3 ≠ tk 5, valueDim ≠ keyDim, outputShape',
    shapes: [
      [3, 4],
      [5, 2],
    ],
    build: ([q, v]) =>
      L.multiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: 3, outputShape: 5, biasInitializer: bias() }).apply([
        D(4).apply(q),
        D(2).apply(v),
      ]),
  },
  {
    label: 'key ≠ value (other features), causal, no bias',
    shapes: [
      [4, 3],
      [4, 2],
      [4, 5],
    ],
    build: ([q, v, k]) =>
      L.multiHeadAttention({ numHeads: 3, keyDim: 2, useBias: false, useCausalMask: true }).apply([
        D(3).apply(q),
        D(2).apply(v),
        D(5).apply(k),
      ]),
  },
  {
    label: 'attentionMask input, dropout',
    shapes: [
      [3, 4],
      [4, 4],
      [3, 4],
    ],
    build: ([q, v, m]) =>
      L.multiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.3, biasInitializer: bias() }).apply([q, v, v, m]),
    data: (rows) => {
      const rng = new bp.Rng(11);
      return [randTensor(rng, rows, [3, 4]), randTensor(rng, rows, [4, 4]), attentionMask(rows, 3, 4, 12)];
    },
  },
  {
    label: 'padding masks on query and value (Embedding maskZero), residual',
    shapes: [[4], [5]],
    build: ([a, b]) => {
      const q = L.embedding({ inputDim: 7, outputDim: 4, maskZero: true }).apply(a);
      const v = L.embedding({ inputDim: 7, outputDim: 3, maskZero: true }).apply(b);
      const h = L.multiHeadAttention({ numHeads: 2, keyDim: 2, biasInitializer: bias() }).apply([q, v]);
      return L.add().apply([q, h]);
    },
    data: (rows) => [ids(rows, 4, 7, 3), ids(rows, 5, 7, 4)],
  },
];

describe.each(backendNames())('MultiHeadAttention on the %s backend', (backend) => {
  beforeAll(() => bp.setBackend(backend));
  afterAll(() => bp.setBackend('auto'));

  test.each(CASES.map((c) => [c.label, c] as const))('%s: float64 gradients match finite differences', (_l, c) => {
    const ins = c.shapes.map((s) => bp.input({ shape: s }));
    const model = bp.model({ inputs: ins, outputs: c.build(ins), dtype: 'float64', seed: 3 });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const rows = 3;
    const rng = new bp.Rng(5);
    const xs = c.data ? c.data(rows) : c.shapes.map((s) => randTensor(rng, rows, s));
    const y = randTensor(rng, rows, [...model.outputShapes[0]]);
    const r = bp.gradcheck(model, xs, y);
    expect(r.maxError).toBeLessThan(1e-5);
    // Every weight was checked.
    expect(Object.keys(r.checked).filter((n) => n.includes('multi_head_attention')).length).toBeGreaterThan(0);
  });
});

/** Keras' MultiHeadAttention in plain float64 loops (one sample): masks combined as Keras 3 combines them. */
function reference(
  w: Record<string, Float64Array | Float32Array>,
  q: ArrayLike<number>,
  v: ArrayLike<number>,
  k: ArrayLike<number>,
  d: { H: number; kd: number; vd: number; tq: number; tk: number; dq: number; dv: number; dk: number; out: number },
  allowed: (i: number, j: number) => boolean,
  queryReal: (i: number) => boolean,
): Float64Array {
  const proj = (
    x: ArrayLike<number>,
    t: number,
    inDim: number,
    kernel: ArrayLike<number>,
    b: ArrayLike<number>,
    n: number,
  ) => {
    const y = new Float64Array(t * n);
    for (let s = 0; s < t; s++)
      for (let o = 0; o < n; o++) {
        let acc = b[o];
        for (let c = 0; c < inDim; c++) acc += x[s * inDim + c] * kernel[c * n + o];
        y[s * n + o] = acc;
      }
    return y;
  };
  const { H, kd, vd, tq, tk, out } = d;
  const Q = proj(q, tq, d.dq, w['query/kernel'], w['query/bias'], H * kd);
  const K = proj(k, tk, d.dk, w['key/kernel'], w['key/bias'], H * kd);
  const V = proj(v, tk, d.dv, w['value/kernel'], w['value/bias'], H * vd);
  const O = new Float64Array(tq * H * vd);
  for (let h = 0; h < H; h++)
    for (let i = 0; i < tq; i++) {
      if (!queryReal(i)) continue;
      const s = new Float64Array(tk);
      let max = -Infinity;
      for (let j = 0; j < tk; j++) {
        if (!allowed(i, j)) continue;
        let dot = 0;
        for (let c = 0; c < kd; c++) dot += Q[i * H * kd + h * kd + c] * K[j * H * kd + h * kd + c];
        s[j] = dot / Math.sqrt(kd);
        max = Math.max(max, s[j]);
      }
      let sum = 0;
      for (let j = 0; j < tk; j++) sum += allowed(i, j) ? Math.exp(s[j] - max) : 0;
      for (let j = 0; j < tk; j++) {
        if (!allowed(i, j)) continue;
        const p = Math.exp(s[j] - max) / sum;
        for (let c = 0; c < vd; c++) O[i * H * vd + h * vd + c] += p * V[j * H * vd + h * vd + c];
      }
    }
  return proj(O, tq, H * vd, w['attention_output/kernel'], w['attention_output/bias'], out);
}

describe('MultiHeadAttention values', () => {
  test('equal the Keras formulas with padding masks, an attentionMask and causality (every backend)', () => {
    const [tq, tk, dq, dv, dk] = [4, 5, 3, 2, 4];
    const q = bp.input({ shape: [tq, dq] });
    const vIds = bp.input({ shape: [tk] });
    const k = bp.input({ shape: [tk, dk] });
    const m = bp.input({ shape: [tq, tk] });
    const v = L.embedding({ inputDim: 6, outputDim: dv, maskZero: true }).apply(vIds);
    const mha = L.multiHeadAttention({
      name: 'mha',
      numHeads: 2,
      keyDim: 3,
      valueDim: 2,
      outputShape: 3,
      useCausalMask: true,
      biasInitializer: bias(),
      returnAttentionScores: true,
    });
    const model = bp.model({ inputs: [q, vIds, k, m], outputs: mha.apply([q, v, k, m]), dtype: 'float64', seed: 9 });
    const rows = 3;
    const rng = new bp.Rng(2);
    const xs = [
      randTensor(rng, rows, [tq, dq]),
      ids(rows, tk, 6, 8),
      randTensor(rng, rows, [tk, dk]),
      attentionMask(rows, tq, tk, 4),
    ];
    const w: Record<string, Float64Array | Float32Array> = {};
    for (const p of model.getWeights()) w[p.name.replace(/^mha\//, '')] = p.data as Float64Array;
    const table = model.getWeights().find((p) => p.name.endsWith('embeddings'))!.data;
    for (const name of backendNames()) {
      bp.setBackend(name);
      const y = (model.predict(xs) as bp.Tensor).data;
      for (let r = 0; r < rows; r++) {
        const idsRow = xs[1].data.subarray(r * tk, (r + 1) * tk);
        const vRow = new Float64Array(tk * dv);
        idsRow.forEach((id, j) => vRow.set(table.subarray(id * dv, (id + 1) * dv), j * dv));
        const mask = xs[3].data.subarray(r * tq * tk, (r + 1) * tq * tk);
        const want = reference(
          w,
          xs[0].data.subarray(r * tq * dq, (r + 1) * tq * dq),
          vRow,
          xs[2].data.subarray(r * tk * dk, (r + 1) * tk * dk),
          { H: 2, kd: 3, vd: 2, tq, tk, dq, dv, dk, out: 3 },
          (i, j) => idsRow[j] !== 0 && mask[i * tk + j] !== 0 && j <= i,
          () => true,
        );
        for (let i = 0; i < want.length; i++) expect(y[r * want.length + i]).toBeCloseTo(want[i], 12);
      }
      // The scores are probabilities over the allowed keys: rows sum to 1 where any key is allowed.
      const scores = mha.lastAttentionScores();
      expect(scores.length).toBe(rows * 2 * tq * tk);
      for (let i = 0; i < tq; i++) {
        let sum = 0;
        for (let j = 0; j < tk; j++) sum += scores[i * tk + j];
        expect(sum).toBeCloseTo(1, 12);
      }
    }
    bp.setBackend('auto');
  });

  test('a padded query gets no attention (0 before the output projection) and its mask passes on', () => {
    const a = bp.input({ shape: [3] });
    const x = L.embedding({ inputDim: 5, outputDim: 4, maskZero: true }).apply(a);
    const mha = L.multiHeadAttention({ name: 'mha', numHeads: 2, keyDim: 2, biasInitializer: bias() });
    const model = bp.model({ inputs: a, outputs: mha.apply([x, x]), dtype: 'float64', seed: 1 });
    const y = (model.predict(bp.tensor([[2, 3, 0]], [1, 3])) as bp.Tensor).data;
    const outBias = model.getWeights().find((p) => p.name === 'mha/attention_output/bias')!.data;
    for (let c = 0; c < 4; c++) expect(y[2 * 4 + c]).toBeCloseTo(outBias[c], 12);
    // The output carries the query's mask: a masked loss ignores the padded step.
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const target = new Float64Array(12);
    const base = model.evaluate(bp.tensor([[2, 3, 0]], [1, 3]), bp.tensor(target, [1, 3, 4]));
    target.fill(100, 8, 12);
    const masked = model.evaluate(bp.tensor([[2, 3, 0]], [1, 3]), bp.tensor(target, [1, 3, 4]));
    expect(masked).toEqual(base);
  });
});

describe('MultiHeadAttention weights, config, files', () => {
  const build = () => {
    const q = bp.input({ shape: [4, 6], name: 'q' });
    const v = bp.input({ shape: [5, 3], name: 'v' });
    const mha = L.multiHeadAttention({ name: 'mha', numHeads: 2, keyDim: 4, valueDim: 5, outputShape: [7] });
    return bp.model({ inputs: [q, v], outputs: mha.apply([q, v]), seed: 4 });
  };

  test("Keras' weight names, shapes and order", () => {
    expect(
      build()
        .getWeights()
        .map((w) => `${w.name} ${w.shape.join('x')}`),
    ).toEqual([
      'mha/query/kernel 6x2x4',
      'mha/query/bias 2x4',
      'mha/key/kernel 3x2x4',
      'mha/key/bias 2x4',
      'mha/value/kernel 3x2x5',
      'mha/value/bias 2x5',
      'mha/attention_output/kernel 2x5x7',
      'mha/attention_output/bias 7',
    ]);
  });

  test('config round trip through the registry', () => {
    const layer = L.multiHeadAttention({
      numHeads: 3,
      keyDim: 4,
      valueDim: 2,
      dropout: 0.1,
      useBias: false,
      outputShape: 8,
      kernelInitializer: 'heNormal',
      kernelRegularizer: bp.regularizers.l2({ l2: 0.01 }),
      useCausalMask: true,
      returnAttentionScores: true,
    });
    const config = layer.getConfig();
    const again = layerFromConfig('MultiHeadAttention', config);
    expect(again.getConfig()).toEqual(config);
    expect(config).toMatchObject({ numHeads: 3, keyDim: 4, valueDim: 2, outputShape: 8, useCausalMask: true });
  });

  test('save and load: same predictions and weights; saving warns that TF.js cannot load it', async () => {
    const model = build();
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const rng = new bp.Rng(3);
    const xs = [randTensor(rng, 2, [4, 6]), randTensor(rng, 2, [5, 3])];
    model.trainOnBatch(xs, randTensor(rng, 2, [4, 7]));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-mha-'));
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      await model.save(dir);
    } finally {
      warn.mockRestore();
    }
    const again = await bp.loadLayersModel(dir);
    expect(Array.from((again.predict(xs) as bp.Tensor).data)).toEqual(
      Array.from((model.predict(xs) as bp.Tensor).data),
    );
    expect(again.getWeights().map((w) => w.name)).toEqual(model.getWeights().map((w) => w.name));
  });
});

describe('MultiHeadAttention bad arguments and inputs', () => {
  test('options', () => {
    expect(() => L.multiHeadAttention({ numHeads: 0, keyDim: 2 })).toThrow(/'numHeads' must be an integer in \[1/);
    expect(() => L.multiHeadAttention({ numHeads: 2, keyDim: 1.5 })).toThrow(/'keyDim' must be an integer/);
    expect(() => L.multiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: -1 })).toThrow(/'valueDim'/);
    expect(() => L.multiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 1 })).toThrow(/'dropout' must be a number/);
    expect(() => L.multiHeadAttention({ numHeads: 2, keyDim: 2, outputShape: [2, 3] })).toThrow(/'outputShape'/);
    expect(() => L.multiHeadAttention({ numHeads: 2, keyDim: 2, useCausalMask: 1 as never })).toThrow(
      /'useCausalMask' must be true or false/,
    );
    expect(() => L.multiHeadAttention(undefined as never)).toThrow(/'numHeads'/);
  });

  test('inputs', () => {
    const mha = () => L.multiHeadAttention({ numHeads: 2, keyDim: 2 });
    const a = bp.input({ shape: [3, 4] });
    expect(() => mha().apply(a)).toThrow(/takes 2 to 4 inputs, got 1/);
    expect(() => mha().apply([a, a, a, a, a])).toThrow(/takes 2 to 4 inputs, got 5/);
    expect(() => mha().apply([a, bp.input({ shape: [4] })])).toThrow(/the value must be a \[steps, features\]/);
    expect(() => mha().apply([a, a, bp.input({ shape: [5, 4] })])).toThrow(/the same number of steps/);
    expect(() => mha().apply([a, a, a, bp.input({ shape: [3, 2] })])).toThrow(/attentionMask must be \[query steps/);
    const causal = L.multiHeadAttention({ numHeads: 1, keyDim: 2, useCausalMask: true });
    expect(() => causal.apply([a, bp.input({ shape: [2, 4] })])).toThrow(/useCausalMask needs no more query steps/);
  });

  test('hostile configs are refused with the key named', () => {
    const read = (config: Record<string, unknown>) =>
      layerFromConfig('MultiHeadAttention', { numHeads: 2, keyDim: 2, ...config });
    expect(() => read({ numHeads: 1e12 })).toThrow(/numHeads/);
    expect(() => read({ attentionAxes: [2] })).toThrow(/attentionAxes/);
    expect(() => read({ kernelConstraint: { className: 'MaxNorm' } })).toThrow(/kernelConstraint/);
    expect(() => read({ outputShape: 'x' })).toThrow(/outputShape/);
    expect(read({ attentionAxes: [1], valueDim: null }).getConfig()).toMatchObject({ valueDim: 2 });
  });
});
