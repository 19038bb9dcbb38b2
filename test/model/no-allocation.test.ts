/**
 * "A training step allocates nothing after warm-up", asserted structurally: every typed array (and its
 * ArrayBuffer) that reaches a backend op during a training step is recorded by identity. After the first
 * steps (which allocate layer buffers, gradient buffers and optimizer state once), later steps must only
 * ever pass arrays already seen: a fresh buffer, a per-step copy or even a new subarray view would be a new
 * object and fail the test. Also checked with the off-main-thread step used for long steps.
 */
import * as bp from '../../src';
import { OP_NAMES, ASYNC_OP_NAMES, type Backend } from '../../src/backend/ops';
import { testBackends } from '../support/backends';
import { engineOf } from '../../src/model/engine';
import { unetOurs } from '../support/graph-layers-unet';

function recording(b: Backend) {
  const seen = new Set<object>();
  let fresh = 0,
    calls = 0;
  const w = Object.create(b) as Record<string, unknown>;
  for (const name of [...OP_NAMES, ...ASYNC_OP_NAMES]) {
    const f = (b as unknown as Record<string, unknown>)[name];
    if (typeof f !== 'function') continue;
    w[name] = (...args: unknown[]) => {
      calls++;
      for (const a of args) {
        if (!ArrayBuffer.isView(a)) continue;
        for (const o of [a, a.buffer])
          if (!seen.has(o)) {
            seen.add(o);
            fresh++;
          }
      }
      return (f as (...x: unknown[]) => unknown).apply(b, args);
    };
  }
  return {
    backend: w as unknown as Backend,
    takeFresh: () => {
      const n = fresh;
      fresh = 0;
      return n;
    },
    calls: () => calls,
  };
}

type Variant = [
  label: string,
  optimizer: () => bp.Optimizer | string,
  loss: string,
  lastActivation: 'softmax' | 'sigmoid' | 'linear',
];
const VARIANTS: Variant[] = [
  [
    'Adam, softmax + categorical CE (fused)',
    () => bp.optimizers.adam({ learningRate: 1e-3 }),
    'categoricalCrossentropy',
    'softmax',
  ],
  ['SGD folded into the gemms, MSE', () => bp.optimizers.sgd({ learningRate: 0.05 }), 'meanSquaredError', 'linear'],
  [
    'momentum with clipNorm and an L2 regularizer',
    () => bp.optimizers.sgd({ learningRate: 0.05, momentum: 0.9, clipNorm: 1 }),
    'binaryCrossentropy',
    'sigmoid',
  ],
];

function setup(lastActivation: Variant[3], optimizer: Variant[1], loss: string) {
  const model = bp.sequential({
    seed: 3,
    layers: [
      bp.layers.dense({
        units: 32,
        activation: 'relu',
        inputShape: [20],
        kernelRegularizer: loss === 'binaryCrossentropy' ? 'l2' : undefined,
      }),
      bp.layers.dropout({ rate: 0.1 }),
      bp.layers.dense({ units: 16, activation: 'tanh' }),
      bp.layers.dense({ units: 4, activation: lastActivation }),
    ],
  });
  model.compile({ optimizer: optimizer() as never, loss: loss as never });
  const rng = new bp.Rng(9),
    rows = 24;
  const x = new Float32Array(rows * 20).map(() => rng.uniform(-1, 1));
  const y = new Float32Array(rows * 4).map(() => (rng.uniform(0, 1) < 0.25 ? 1 : 0));
  return { model, x, y, rows };
}

describe.each(testBackends())('no allocation per training step on the %s backend', (_name, backend) => {
  test.each(VARIANTS)(
    '%s: after warm-up every op sees only arrays it has seen before',
    (_label, optimizer, loss, last) => {
      const { model, x, y, rows } = setup(last, optimizer, loss);
      const rec = recording(backend);
      for (let i = 0; i < 3; i++) engineOf(model).trainStep(rec.backend, x, y, rows);
      expect(rec.takeFresh()).toBeGreaterThan(0); // warm-up did allocate (the recorder works)
      const before = rec.calls();
      for (let i = 0; i < 50; i++) engineOf(model).trainStep(rec.backend, x, y, rows);
      expect(rec.calls() - before).toBeGreaterThanOrEqual(50 * 4); // the steps really went through the ops
      expect(rec.takeFresh()).toBe(0);
    },
  );

  test('the off-main-thread step (used for long steps) reuses its buffers too', async () => {
    const { model, x, y, rows } = setup('softmax', () => bp.optimizers.adam(), 'categoricalCrossentropy');
    const rec = recording(backend);
    for (let i = 0; i < 3; i++) await engineOf(model).trainStepAsync(rec.backend, x, y, rows);
    rec.takeFresh();
    for (let i = 0; i < 20; i++) await engineOf(model).trainStepAsync(rec.backend, x, y, rows);
    expect(rec.takeFresh()).toBe(0);
  });
});

/** A graph with what a chain lacks: a residual add (a slot read twice), a shared layer, two outputs and losses. */
function graphSetup() {
  const a = bp.input({ shape: [12], name: 'a' });
  const b = bp.input({ shape: [12], name: 'b' });
  const shared = bp.layers.dense({ units: 16, activation: 'relu' });
  const ha = shared.apply(a);
  const hb = shared.apply(b);
  const res = bp.layers.add().apply([ha, bp.layers.dense({ units: 16, activation: 'tanh' }).apply(ha)]);
  const m = bp.layers.concatenate().apply([res, hb]);
  const cls = bp.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(m);
  const reg = bp.layers.dense({ units: 1, name: 'reg' }).apply(bp.layers.multiply().apply([res, hb]));
  const model = bp.model({ inputs: [a, b], outputs: [cls, reg], seed: 4 });
  model.compile({ optimizer: 'adam', loss: ['sparseCategoricalCrossentropy', 'mse'], lossWeights: [1, 0.5] });
  const rng = new bp.Rng(3),
    rows = 16;
  const xs = [0, 1].map(() => new Float32Array(rows * 12).map(() => rng.uniform(-1, 1)));
  const ys = [Int32Array.from({ length: rows }, (_, i) => i % 3), new Float32Array(rows).map(() => rng.uniform(-1, 1))];
  return { model, xs, ys, rows };
}

describe.each(testBackends())('no allocation per step of a graph model on the %s backend', (_name, backend) => {
  test('residual, shared layer, two outputs: after warm-up every op sees only arrays it has seen', () => {
    const { model, xs, ys, rows } = graphSetup();
    const rec = recording(backend);
    for (let i = 0; i < 3; i++) engineOf(model).trainStep(rec.backend, xs, ys, rows);
    expect(rec.takeFresh()).toBeGreaterThan(0);
    const before = rec.calls();
    for (let i = 0; i < 30; i++) engineOf(model).trainStep(rec.backend, xs, ys, rows);
    expect(rec.calls() - before).toBeGreaterThanOrEqual(30 * 5);
    expect(rec.takeFresh()).toBe(0);
  });

  test('the same graph with the off-main-thread step', async () => {
    const { model, xs, ys, rows } = graphSetup();
    const rec = recording(backend);
    for (let i = 0; i < 3; i++) await engineOf(model).trainStepAsync(rec.backend, xs, ys, rows);
    rec.takeFresh();
    for (let i = 0; i < 20; i++) await engineOf(model).trainStepAsync(rec.backend, xs, ys, rows);
    expect(rec.takeFresh()).toBe(0);
  });
});

/** The issue-21 layers in a graph (test/support/graph-layers-unet.ts): convolution ops and the layers' own loops. */
function unetSetup() {
  const model = unetOurs();
  model.compile({ optimizer: 'adam', loss: ['binaryCrossentropy', 'categoricalCrossentropy'] });
  const rng = new bp.Rng(5),
    rows = 4;
  const xs = [new Float32Array(rows * 8 * 8 * 3).map(() => rng.uniform(0, 2))];
  const ys = [
    new Float32Array(rows * 8 * 8).map(() => (rng.uniform(0, 1) > 0.5 ? 1 : 0)),
    Float32Array.from({ length: rows * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
  ];
  return { model, xs, ys, rows };
}

describe.each(testBackends())('no allocation per step of the graph-model layers on the %s backend', (_n, backend) => {
  test('a U-Net of them: after warm-up every op sees only arrays it has seen', () => {
    const { model, xs, ys, rows } = unetSetup();
    const rec = recording(backend);
    for (let i = 0; i < 3; i++) engineOf(model).trainStep(rec.backend, xs, ys, rows);
    expect(rec.takeFresh()).toBeGreaterThan(0);
    const before = rec.calls();
    for (let i = 0; i < 5; i++) engineOf(model).trainStep(rec.backend, xs, ys, rows);
    expect(rec.calls() - before).toBeGreaterThanOrEqual(5 * 8);
    expect(rec.takeFresh()).toBe(0);
  });

  test('the same with the off-main-thread step', async () => {
    const { model, xs, ys, rows } = unetSetup();
    const rec = recording(backend);
    for (let i = 0; i < 3; i++) await engineOf(model).trainStepAsync(rec.backend, xs, ys, rows);
    rec.takeFresh();
    for (let i = 0; i < 5; i++) await engineOf(model).trainStepAsync(rec.backend, xs, ys, rows);
    expect(rec.takeFresh()).toBe(0);
  });
});
