/**
 * fitDataset / evaluateDataset: the same training as fit on the same batches in the same order (bit for
 * bit, from arrays and from a streamed CSV), resume from a checkpoint continuing the same shuffled order,
 * batchesPerEpoch over one pass, validation and evaluation as evaluate computes them, long steps off the
 * main thread on slot memory, and every bad batch refused with an error naming the epoch and batch.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import { closeIdleWorkers } from '../../src/data/dataset/worker-pool';
import { engineOf } from '../../src/model/engine';
import { DatasetProgress } from '../../src/fit/dataset-progress';
import { backendNames } from '../support/backends';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-fitds-'));
afterAll(async () => {
  await closeIdleWorkers();
  fs.rmSync(tmp, { recursive: true, force: true });
  bp.setBackend('auto');
});

function problem(rows: number, seed = 1) {
  const rng = new bp.Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < rows; i++) {
    const r = [rng.normal(), rng.normal(), rng.normal()];
    x.push(r);
    y.push(r[0] + 0.5 * r[1] > 0 ? (r[2] > 0 ? 2 : 1) : 0);
  }
  return { x, y };
}

function csvOf(name: string, x: number[][], y: number[]): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(
    p,
    ['a,b,c,label', ...x.map((r, i) => `${r.map((v) => v.toFixed(6)).join(',')},k${y[i]}`)].join('\n'),
  );
  return p;
}

function model(seed = 3, dropout = 0) {
  const layers: bp.layers.Layer[] = [bp.layers.dense({ units: 16, activation: 'relu', inputShape: [3] })];
  if (dropout) layers.push(bp.layers.dropout({ rate: dropout }));
  layers.push(bp.layers.dense({ units: 3, activation: 'softmax' }));
  const m = bp.sequential({ seed, layers });
  m.compile({
    optimizer: bp.optimizers.adam({ learningRate: 0.01 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return m;
}
const weights = (m: bp.Sequential) => m.getWeights().map((w) => Array.from(w.data));

describe.each(backendNames())('fitDataset (%s)', (backend) => {
  beforeAll(() => bp.setBackend(backend));

  test('on the batches fit makes (no shuffle): the same weights and history, bit for bit', async () => {
    const { x, y } = problem(203);
    const a = model(3, 0.2);
    const ha = await a.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
    const b = model(3, 0.2);
    const rows = bp.data.array(x.map((r, i) => ({ xs: r, ys: y[i] })));
    const hb = await b.fitDataset(rows.batch(16), { epochs: 3, verbose: 0 });
    expect(weights(b)).toEqual(weights(a));
    expect(hb.history).toEqual(ha.history);
    expect(hb.params).toMatchObject({ epochs: 3, steps: 13 });
  });

  test('from a CSV streamed through worker threads: the weights of fit on loadCsv', async () => {
    const { x, y } = problem(300, 2);
    const p = csvOf('train.csv', x, y);
    const d = bp.data.loadCsv(p, { target: 'label' });
    const a = model();
    await a.fit(d.x, d.y!, { epochs: 2, batchSize: 32, shuffle: false, validationData: [d.x, d.y!], verbose: 0 });
    const b = model();
    const ds = bp.data.csvDataset(p, { target: 'label', batchSize: 32, chunkBytes: 1000 });
    const val = bp.data.csvDataset(p, { target: 'label', batchSize: 100 });
    const h = await b.fitDataset(ds, { epochs: 2, validationData: val, verbose: 0 });
    expect(weights(b)).toEqual(weights(a));
    const ev = a.evaluate(d.x, d.y!);
    expect(h.history.val_loss[1]).toBeCloseTo(ev.loss, 10);
    expect(h.history.val_accuracy[1]).toBe(ev.accuracy);
    const e = await b.evaluateDataset(val);
    expect(e.loss).toBeCloseTo(ev.loss, 10);
    expect(e.accuracy).toBe(ev.accuracy);
    const first100 = a.evaluate(
      { data: d.x.data.subarray(0, 300), shape: [100, 3], dtype: 'float32' },
      (d.y as Int32Array).subarray(0, 100),
    );
    expect((await b.evaluateDataset(val, { batches: 1 })).accuracy).toBe(first100.accuracy);
  });

  test('resume from a checkpoint continues the same shuffled order: the weights of an uninterrupted run', async () => {
    const { x, y } = problem(400, 3);
    const p = csvOf('resume.csv', x, y);
    const ds = () => bp.data.csvDataset(p, { target: 'label', batchSize: 24, shuffle: { buffer: 100, seed: 11 } });
    const whole = model(5, 0.1);
    await whole.fitDataset(ds(), { epochs: 4, verbose: 0 });
    const first = model(5, 0.1);
    const ckpt = path.join(tmp, `ckpt-${backend}`);
    await first.fitDataset(ds(), { epochs: 2, verbose: 0, callbacks: [bp.callbacks.modelCheckpoint({ path: ckpt })] });
    const resumed = await bp.loadLayersModel(ckpt);
    expect(resumed.trainingState.epoch).toBe(2);
    await resumed.fitDataset(ds(), { epochs: 4, initialEpoch: 2, verbose: 0 });
    expect(weights(resumed)).toEqual(weights(whole));
    // batchesPerEpoch over an endless stream resumes by position in the stream too.
    const stream = () => bp.data.csvDataset(p, { target: 'label' }).shuffle(50, 2).repeat().batch(10);
    const w2 = model(6);
    await w2.fitDataset(stream(), { epochs: 3, batchesPerEpoch: 25, verbose: 0 });
    const r1 = model(6);
    const ck2 = path.join(tmp, `ckpt2-${backend}`);
    await r1.fitDataset(stream(), {
      epochs: 2,
      batchesPerEpoch: 25,
      verbose: 0,
      callbacks: [bp.callbacks.modelCheckpoint({ path: ck2 })],
    });
    const r2 = await bp.loadLayersModel(ck2);
    await r2.fitDataset(stream(), { epochs: 3, initialEpoch: 2, batchesPerEpoch: 25, verbose: 0 });
    expect(weights(r2)).toEqual(weights(w2));
  });
});

describe('fitDataset', () => {
  test('batchesPerEpoch: one pass across epochs; a finite pass that runs out stops training with a warning', async () => {
    const { x, y } = problem(100);
    const ds = bp.data.array(x.map((r, i) => ({ xs: r, ys: y[i] }))).batch(10);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const h = await model().fitDataset(ds, { epochs: 5, batchesPerEpoch: 4, verbose: 0 });
      expect(h.epoch).toEqual([0, 1, 2]); // 4 + 4 + 2 batches: the third epoch is partial, then the pass ends
      expect(h.params.exhausted).toBe(true);
      expect(String(warn.mock.calls[0][0])).toMatch(/ran out after 3 epoch\(s\) of batchesPerEpoch 4/);
    } finally {
      warn.mockRestore();
    }
    await expect(model().fitDataset(ds.repeat(), { epochs: 1, verbose: 0 })).rejects.toThrow(
      /endless \(repeat\(\)\); give batchesPerEpoch/,
    );
  });

  test('builds an unbuilt model from the first batch; float32 batches train a float64 model; plain iterables', async () => {
    const m = bp.sequential({ seed: 1, dtype: 'float64', layers: [bp.layers.dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    async function* batches() {
      for (let i = 0; i < 5; i++)
        yield {
          xs: { data: Float32Array.of(i, 1, 2, i), shape: [2, 2], dtype: 'float32' as const },
          ys: { data: Float32Array.of(1, 2), shape: [2, 1], dtype: 'float32' as const },
        };
    }
    const h = await m.fitDataset({ [Symbol.asyncIterator]: batches }, { epochs: 2, verbose: 0 });
    expect(m.inputShape).toEqual([2]);
    expect(h.epoch).toEqual([0, 1]);
    expect(Number.isFinite(h.history.loss[1])).toBe(true);
  });

  test('bad batches are refused with the epoch and batch named', async () => {
    const m = model();
    const one = (el: unknown) => m.fitDataset(bp.data.array([el]) as never, { verbose: 0 });
    const t = (data: number[], shape: number[]) => ({ data: Float32Array.from(data), shape, dtype: 'float32' });
    await expect(one({ xs: t([1, 2], [1, 2]), ys: Int32Array.of(0) })).rejects.toThrow(
      "fitDataset(): epoch 1, batch 1: 'xs' has samples of shape [2] but the model's input shape is [3]",
    );
    await expect(one({ xs: t([1, 2, 3], [1, 3]), ys: Int32Array.of(3) })).rejects.toThrow(
      /'ys' value 3 \(row 0\) is not a class label in \[0, 3\)/,
    );
    await expect(one({ xs: t([1, 2, 3], [1, 3]), ys: t([0.5], [1]) })).rejects.toThrow(/'ys' value 0.5/);
    await expect(one({ xs: t([1, NaN, 3], [1, 3]), ys: Int32Array.of(1) })).rejects.toThrow(/'xs' has NaN in row 0/);
    await expect(one({ xs: t([1, 2, 3], [1, 3]) })).rejects.toThrow(/the batch has no 'ys'/);
    await expect(
      one({ xs: { a: t([1, 2, 3], [1, 3]), b: t([1, 2, 3], [1, 3]) }, ys: Int32Array.of(1) }),
    ).rejects.toThrow(/'xs' has 2 entries \(a, b\); this model has one input/);
    await expect(one(5)).rejects.toThrow(/an element must be \{ xs, ys \}/);
    await expect(m.fitDataset(bp.data.array([]), { verbose: 0 })).rejects.toThrow(/yielded no batches in epoch 1/);
    await expect(m.fitDataset(bp.data.array([]), { bogus: 1 } as never)).rejects.toThrow(/unknown option 'bogus'/);
    await expect(m.fitDataset(5 as never)).rejects.toThrow(/expected a dataset/);
    await expect(m.evaluateDataset(bp.data.array([]))).rejects.toThrow(/yielded no batches/);
    // A bad row of a CSV ends training with the row's line and column.
    const p = path.join(tmp, 'badrow.csv');
    fs.writeFileSync(p, 'a,b,c,label\n1,2,3,x\n4,5,six,y\n');
    await expect(
      m.fitDataset(bp.data.csvDataset(p, { target: 'label', batchSize: 1 }), { verbose: 0 }),
    ).rejects.toThrow(`${p}: line 3, column 'c': 'six' is not a number`);
  });

  test('an aborted signal stops after the current batch; a second fit while one runs is refused', async () => {
    const { x, y } = problem(200);
    const ds = bp.data.array(x.map((r, i) => ({ xs: r, ys: y[i] }))).batch(10);
    const m = model();
    const ac = new AbortController();
    let batches = 0;
    const run = m.fitDataset(ds, {
      epochs: 5,
      verbose: 0,
      signal: ac.signal,
      callbacks: { onBatchEnd: () => void (++batches === 3 && ac.abort()) },
    });
    await expect(m.fitDataset(ds, { verbose: 0 })).rejects.toThrow(/fit is running/);
    const h = await run;
    expect(batches).toBe(3);
    expect(h.epoch).toEqual([]);
  });

  test('long steps run off the main thread on the batch slots themselves (native)', async () => {
    if (!bp.nativeBackend().backend) return;
    bp.setBackend('native');
    const rng = new bp.Rng(1);
    const p = path.join(tmp, 'wide.csv');
    const cols = 512;
    const lines = [[...Array.from({ length: cols }, (_, i) => `f${i}`), 'y'].join(',')];
    for (let r = 0; r < 256; r++)
      lines.push([...Array.from({ length: cols }, () => rng.normal().toFixed(3)), String(r % 2)].join(','));
    fs.writeFileSync(p, lines.join('\n'));
    const net = () => {
      const n = bp.sequential({
        seed: 1,
        layers: [
          bp.layers.dense({ units: 1024, activation: 'relu', inputShape: [cols] }),
          bp.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      n.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      return n;
    };
    const m = net();
    const ds = bp.data.csvDataset(p, { target: 'y', task: 'classification', classes: ['0', '1'], batchSize: 128 });
    const offThread = jest.spyOn(engineOf(m), 'trainStepAsync');
    const h = await m.fitDataset(ds, { epochs: 2, verbose: 0 });
    expect(Number.isFinite(h.history.loss[1])).toBe(true);
    expect(offThread).toHaveBeenCalledTimes(4);
    expect(bp.isAsyncSafe(offThread.mock.calls[0][1])).toBe(true); // the slot's own shared memory
    const d = bp.data.loadCsv(p, { target: 'y', classes: ['0', '1'] });
    const a = net();
    await a.fit(d.x, d.y!, { epochs: 2, batchSize: 128, shuffle: false, verbose: 0 });
    const bits = (n: bp.Sequential) =>
      n.getWeights().map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    const [wm, wa] = [bits(m), bits(a)];
    expect(wm.every((w, i) => w.equals(wa[i]))).toBe(true);
  });
});

describe('fitDataset progress', () => {
  test('a live line with the fraction and ETA when the size (or the bytes read) is known, else the batch', () => {
    const lines: string[] = [];
    const out = { isTTY: true, write: (s: string) => void lines.push(s) };
    const known = new DatasetProgress(1, (b) => b / 10, out);
    known.onEpochBegin(0);
    known.onBatchEnd(4, { size: 32, loss: 0.5 });
    expect(lines[0]).toMatch(/^\rEpoch 1 \[=+ +\] {2}50% ETA [\d.]+s \d+ samples\/s loss=0.5000/);
    const unknown = new DatasetProgress(1, () => undefined, out);
    unknown.onEpochBegin(2);
    unknown.onBatchEnd(6, { size: 32, loss: 0.25 });
    expect(lines[1]).toMatch(/^\rEpoch 3 batch 7 \d+ samples\/s loss=0.2500/);
    unknown.onEpochEnd(2, { loss: 0.25 });
    expect(lines[2]).toMatch(/^\rEpoch 3 [\d.]+s loss=0.2500/);
  });
});
