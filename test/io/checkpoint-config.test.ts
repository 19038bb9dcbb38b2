/**
 * Saved models and checkpoints keep everything they were given: for every loss × option, metric alias,
 * optimizer option, schedule, stateful callback and dropout's RNG, training N epochs, saving with the
 * optimizer state, loading in a fresh process, evaluating (identical numbers) and training N more epochs gives
 * bit-identical weights to 2N uninterrupted epochs — on the JS backend and on native with one BLAS thread.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import { backendNames } from '../support/backends';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const C = require('./checkpoint-cases.js');

const DIST = path.resolve(__dirname, '../../dist/index.js');

interface Case {
  id: string;
}

describe.each(backendNames())('checkpoints keep every setting (%s backend, 1 BLAS thread)', (name) => {
  beforeAll(() => {
    bp.setBackend(name);
    bp.setThreads(1);
  });
  afterAll(() => bp.setBackend('auto'));

  test('N epochs + save + load in a fresh process + N epochs = 2N epochs, bit for bit, for every case', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-ckpt-'));
    const cases: Case[] = C.cases();
    const expected: Record<string, { evaluation: Record<string, number>; weights: number[][]; metrics: string[] }> = {};
    for (const [i, kase] of cases.entries()) {
      const m = C.build(bp, kase);
      await C.train(bp, m, kase, C.N);
      await m.save(path.join(dir, String(i)), { includeOptimizer: true });
      const evaluation = C.evaluate(bp, m, kase);
      const straight = C.build(bp, kase);
      await C.train(bp, straight, kase, 2 * C.N);
      expected[kase.id] = {
        evaluation,
        weights: straight.getWeights().map((w: bp.WeightArray) => Array.from(w.data)),
        metrics: m.metricNames,
      };
    }
    const out = execFileSync(process.execPath, [path.join(__dirname, 'checkpoint-resume-child.js'), DIST, name, dir], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const resumed = JSON.parse(out);
    for (const kase of cases) {
      const got = resumed[kase.id];
      const want = expected[kase.id];
      expect({ id: kase.id, evaluation: got.evaluation, metrics: got.metrics }).toEqual({
        id: kase.id,
        evaluation: want.evaluation,
        metrics: want.metrics,
      });
      expect({ id: kase.id, weights: got.weights }).toEqual({ id: kase.id, weights: want.weights });
    }
  }, 300000);
});

describe('a custom loss cannot be saved', () => {
  test('the model loads for inference and says on resume that the loss must be given again', async () => {
    const mse4 = (t: bp.ops.Tensor, p: bp.ops.Tensor) => bp.ops.mean(bp.ops.pow(bp.ops.sub(p, t), 4), -1);
    const make = () => {
      const m = bp.sequential({ seed: 3, layers: [bp.layers.dense({ units: 1, inputShape: [2] })] });
      m.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.05 }), loss: mse4 });
      return m;
    };
    const x = [
      [0, 1],
      [1, 0],
      [1, 1],
    ];
    const y = [[1], [2], [3]];
    const m = make();
    await m.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-custom-'));
    await m.save(dir, { includeOptimizer: true });
    const loaded = await bp.loadLayersModel(dir);
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    await expect(loaded.fit(x, y, { epochs: 3, initialEpoch: 2, verbose: 0 })).rejects.toThrow(
      /saved after training with the custom loss 'mse4', which cannot be saved; give it again: bp.loadLayersModel\(dir, \{ loss: mse4 \}\)/,
    );
    const resumed = await bp.loadLayersModel(dir, { loss: mse4 });
    await resumed.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 3, verbose: 0 });
    const straight = make();
    await straight.fit(x, y, { epochs: 4, batchSize: 3, verbose: 0 });
    expect(resumed.getWeights().map((w) => Array.from(w.data))).toEqual(
      straight.getWeights().map((w) => Array.from(w.data)),
    );
  });
});
