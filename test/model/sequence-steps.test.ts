/**
 * Training steps of sequence models: no allocation after warm-up (every recurrent op, the masked loss, the
 * embedding's ids and sparse SGD), the off-main-thread step computes exactly what the synchronous one does,
 * and a fit with long LSTM steps keeps the event loop turning.
 */
import * as bp from '../../src';
import { ASYNC_OP_NAMES, OP_NAMES, type Backend } from '../../src/backend/ops';
import { ASYNC_STEP_MACS, engineOf } from '../../src/model/engine';
import { backendNames, testBackends } from '../support/backends';
import { tokenIds } from '../support/sequences';

function recording(b: Backend) {
  const seen = new Set<object>();
  let fresh = 0;
  const w = Object.create(b) as Record<string, unknown>;
  for (const name of [...OP_NAMES, ...ASYNC_OP_NAMES]) {
    const f = (b as unknown as Record<string, unknown>)[name];
    if (typeof f !== 'function') continue;
    w[name] = (...args: unknown[]) => {
      for (const a of args) {
        if (!ArrayBuffer.isView(a)) continue;
        for (const o of [a, a.buffer]) {
          if (seen.has(o)) continue;
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
  };
}

/** Embedding(maskZero) → LSTM → Bidirectional(GRU resetAfter) → TimeDistributed(Dense softmax): every sequence op. */
function tagger(optimizer: bp.Optimizer) {
  const model = bp.sequential({
    seed: 3,
    layers: [
      bp.layers.embedding({ inputDim: 20, outputDim: 6, inputLength: 8, maskZero: true }),
      bp.layers.lstm({ units: 8, returnSequences: true, dropout: 0.1 }),
      bp.layers.bidirectional({ layer: bp.layers.gru({ units: 5, returnSequences: true, resetAfter: true }) }),
      bp.layers.layerNormalization(),
      bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 4, activation: 'softmax' }) }),
    ],
  });
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
  const rows = 12;
  const x = tokenIds(8, 20, rows, 5).data;
  const rng = new bp.Rng(2);
  const y = Int32Array.from({ length: rows * 8 }, () => rng.int(4));
  return { model, x, y, rows };
}

describe.each(testBackends())('sequence models on the %s backend', (_name, backend) => {
  test.each([
    ['Adam', () => bp.optimizers.adam()],
    ['plain SGD (sparse embedding rows)', () => bp.optimizers.sgd({ learningRate: 0.1 })],
  ])('%s: after warm-up every op sees only arrays it has seen before', (_label, opt) => {
    const { model, x, y, rows } = tagger(opt());
    const rec = recording(backend);
    for (let i = 0; i < 3; i++) engineOf(model).trainStep(rec.backend, x, y, rows);
    expect(rec.takeFresh()).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) engineOf(model).trainStep(rec.backend, x, y, rows);
    expect(rec.takeFresh()).toBe(0);
  });

  test('the off-main-thread step reuses its buffers and computes exactly what the synchronous one does', async () => {
    const a = tagger(bp.optimizers.adam()),
      b = tagger(bp.optimizers.adam());
    const rec = recording(backend);
    for (let i = 0; i < 3; i++) await engineOf(a.model).trainStepAsync(rec.backend, a.x, a.y, a.rows);
    rec.takeFresh();
    for (let i = 0; i < 5; i++) await engineOf(a.model).trainStepAsync(rec.backend, a.x, a.y, a.rows);
    expect(rec.takeFresh()).toBe(0);
    for (let i = 0; i < 8; i++) engineOf(b.model).trainStep(backend, b.x, b.y, b.rows);
    a.model
      .getWeights()
      .forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(b.model.getWeights()[i].data)));
  });
});

const maybe = backendNames().includes('native') ? test : test.skip;

maybe(
  'a fit with long LSTM steps keeps a 2 ms timer firing throughout (native, off the main thread)',
  async () => {
    bp.setBackend('native');
    try {
      const model = bp.sequential({
        seed: 1,
        layers: [
          bp.layers.lstm({ units: 256, inputShape: [100, 64] }),
          bp.layers.dense({ units: 10, activation: 'softmax' }),
        ],
      });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const rows = 256,
        batchSize = 128;
      expect(engineOf(model).macsPerSample() * batchSize).toBeGreaterThan(10 * ASYNC_STEP_MACS);
      const rng = new bp.Rng(2);
      const x = bp.tensor(
        new Float32Array(rows * 100 * 64).map(() => rng.uniform(0, 1)),
        [rows, 100, 64],
      );
      const y = Int32Array.from({ length: rows }, () => rng.int(10));
      let ticks = 0;
      const timer = setInterval(() => ticks++, 2);
      const batchTicks: number[] = [];
      let atStart = 0;
      await model.fit(x, y, {
        epochs: 1,
        batchSize,
        verbose: 0,
        callbacks: [
          { onBatchBegin: () => void (atStart = ticks), onBatchEnd: () => void batchTicks.push(ticks - atStart) },
        ],
      });
      clearInterval(timer);
      expect(batchTicks).toHaveLength(rows / batchSize);
      for (const t of batchTicks) expect(t).toBeGreaterThanOrEqual(5);
    } finally {
      bp.setBackend('auto');
    }
  },
  120000,
);
