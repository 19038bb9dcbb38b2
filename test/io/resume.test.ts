/**
 * Resume: training 2N epochs equals training N, saving with optimizer state, loading in a fresh
 * process and training N more — bit for bit on the JS backend. Also modelCheckpoint.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';

const DIST = path.resolve(__dirname, '../../dist/index.js');

// The same script runs here (through ts-jest's sources) and in the fresh process (through dist/).
const SCRIPT = `
module.exports = function (bp) {
  const rng = new bp.Rng(11);
  const x = Array.from({ length: 64 }, () => [0, 1, 2, 3].map(() => rng.normal(0, 1)));
  const y = x.map((r) => (r[0] + r[1] * r[2] > 0 ? 1 : 0));
  const build = () => {
    const m = bp.sequential({ seed: 21, layers: [
      bp.layers.dense({ units: 12, activation: 'relu', inputShape: [4] }),
      bp.layers.dropout({ rate: 0.25 }),
      bp.layers.dense({ units: 2, activation: 'softmax' }),
    ] });
    m.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  const weights = (m) => m.getWeights().map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('hex'));
  return { x, y, build, weights };
};`;

const hasDist = fs.existsSync(DIST);
(hasDist ? test : test.skip)(
  '2N epochs in one run = N, save, load in a fresh process, N more (JS backend, bit for bit)',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-resume-'));
    const scriptPath = path.join(dir, 'setup.js');
    fs.writeFileSync(scriptPath, SCRIPT);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const setup = require(scriptPath)(bp);
    bp.setBackend('js');
    try {
      const N = 3;
      const straight = setup.build();
      await straight.fit(setup.x, setup.y, { epochs: 2 * N, batchSize: 10, verbose: 0 });

      const first = setup.build();
      await first.fit(setup.x, setup.y, { epochs: N, batchSize: 10, verbose: 0 });
      await first.save(path.join(dir, 'ckpt'), { includeOptimizer: true });

      const child = `
      process.env.BACKPROP_BACKEND = 'js';
      const bp = require(${JSON.stringify(DIST)});
      const setup = require(${JSON.stringify(scriptPath)})(bp);
      (async () => {
        const m = await bp.loadLayersModel(${JSON.stringify(path.join(dir, 'ckpt'))});
        await m.fit(setup.x, setup.y, { epochs: ${2 * N}, initialEpoch: m.trainingState.epoch, batchSize: 10, verbose: 0 });
        process.stdout.write(JSON.stringify({ epoch: m.trainingState.epoch, weights: setup.weights(m) }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
      const out = JSON.parse(execFileSync(process.execPath, ['-e', child], { encoding: 'utf8' }));
      expect(out.epoch).toBe(2 * N);
      expect(out.weights).toEqual(setup.weights(straight));
    } finally {
      bp.setBackend('auto');
    }
  },
);

test('modelCheckpoint saves every N epochs, or on the best monitored value, and the checkpoint loads', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-ckpt-'));
  const m = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 1, inputShape: [2] })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const every = bp.callbacks.modelCheckpoint({ path: path.join(dir, 'every'), everyEpochs: 2 });
  const values = [3, 2, 2.5, 1, 4];
  const best = bp.callbacks.modelCheckpoint({ path: path.join(dir, 'best'), saveBestOnly: true, monitor: 'v' });
  await m.fit(
    [
      [1, 2],
      [3, 4],
    ],
    [[1], [2]],
    {
      epochs: 5,
      verbose: 0,
      callbacks: [
        {
          onEpochEnd: (e: number, l?: Record<string, number>) => {
            l!.v = values[e];
          },
        },
        every,
        best,
      ],
    },
  );
  expect(every.saved).toEqual([1, 3]);
  expect(best.saved).toEqual([0, 1, 3]);
  const loaded = await bp.loadLayersModel(path.join(dir, 'every'));
  expect(loaded.trainingState.epoch).toBe(4);
  expect(loaded.optimizer?.className).toBe('SGD');
});

// A graph with what a chain lacks: two inputs, a shared layer, a residual add, dropout and batch normalization,
// two outputs with their own losses, metrics and loss weights.
const GRAPH_SCRIPT = `
module.exports = function (bp) {
  const rng = new bp.Rng(5);
  const a = Array.from({ length: 48 }, () => [0, 1, 2, 3].map(() => rng.normal(0, 1)));
  const b = Array.from({ length: 48 }, () => [0, 1, 2, 3].map(() => rng.normal(0, 1)));
  const cls = a.map((r, i) => (r[0] + b[i][1] > 0 ? 1 : 0));
  const reg = a.map((r, i) => [r[2] * b[i][3]]);
  const build = () => {
    const L = bp.layers;
    const x1 = bp.input({ shape: [4], name: 'a' });
    const x2 = bp.input({ shape: [4], name: 'b' });
    const shared = L.dense({ units: 8, activation: 'tanh', name: 'shared' });
    const h = L.concatenate().apply([shared.apply(x1), shared.apply(x2)]);
    const r = L.add().apply([h, L.dropout({ rate: 0.2 }).apply(L.dense({ units: 16, activation: 'relu' }).apply(h))]);
    const n = L.batchNormalization().apply(r);
    const m = bp.model({ inputs: [x1, x2], seed: 4, outputs: [
      L.dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(n),
      L.dense({ units: 1, name: 'reg' }).apply(n),
    ] });
    m.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.01 }),
      loss: { cls: 'sparseCategoricalCrossentropy', reg: 'mse' }, lossWeights: { cls: 1, reg: 0.5 },
      metrics: { cls: ['accuracy'], reg: ['mae'] } });
    return m;
  };
  const weights = (m) => m.getWeights().map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('hex'));
  return { x: [a, b], y: { cls, reg }, build, weights };
};`;

(hasDist ? test : test.skip)(
  'a graph model resumes bit for bit too (fresh process, JS backend): shared layer, dropout, BN, two losses',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-resume-graph-'));
    const scriptPath = path.join(dir, 'setup.js');
    fs.writeFileSync(scriptPath, GRAPH_SCRIPT);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const setup = require(scriptPath)(bp);
    bp.setBackend('js');
    try {
      const straight = setup.build();
      const h = await straight.fit(setup.x, setup.y, { epochs: 4, batchSize: 10, verbose: 0 });
      expect(Object.keys(h.history)).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_mae']);
      const first = setup.build();
      await first.fit(setup.x, setup.y, { epochs: 2, batchSize: 10, verbose: 0 });
      await first.save(path.join(dir, 'ckpt'), { includeOptimizer: true });
      const child = `
      process.env.BACKPROP_BACKEND = 'js';
      const bp = require(${JSON.stringify(DIST)});
      const setup = require(${JSON.stringify(scriptPath)})(bp);
      (async () => {
        const m = await bp.loadLayersModel(${JSON.stringify(path.join(dir, 'ckpt'))});
        await m.fit(setup.x, setup.y, { epochs: 4, initialEpoch: m.trainingState.epoch, batchSize: 10, verbose: 0 });
        process.stdout.write(JSON.stringify({ epoch: m.trainingState.epoch, weights: setup.weights(m),
          weightsOf: m.lossWeights, metrics: m.outputMetrics }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
      const out = JSON.parse(execFileSync(process.execPath, ['-e', child], { encoding: 'utf8' }));
      expect(out.epoch).toBe(4);
      expect(out.weightsOf).toEqual([1, 0.5]);
      expect(out.metrics).toEqual([['accuracy'], ['mae']]);
      expect(out.weights).toEqual(setup.weights(straight));
    } finally {
      bp.setBackend('auto');
    }
  },
);
