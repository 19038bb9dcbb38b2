/**
 * Concurrent training in worker threads stays correct: four workers train the same seeded models at once
 * (one BLAS thread) and end with exactly the weights the same trainings give one after another.
 */
import { Worker } from 'node:worker_threads';

import * as path from 'node:path';
import { backendNames } from '../support/backends';

const DIST = path.resolve(__dirname, '../../dist/index.js');

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bp = require(workerData.dist);
bp.setThreads(1);
bp.setBackend(workerData.backend);
(async () => {
  const rng = new bp.Rng(workerData.seed);
  const x = bp.tensor2d(Float32Array.from({ length: 512 * 64 }, () => rng.uniform(-1, 1)), [512, 64]);
  const y = Int32Array.from({ length: 512 }, () => rng.int(10));
  const model = bp.sequential({ seed: workerData.seed, layers: [
    bp.layers.dense({ units: 256, activation: 'relu', inputShape: [64] }),
    bp.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(x, y, { epochs: 3, batchSize: 64, verbose: 0 });
  parentPort.postMessage(model.getWeights().map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('base64')));
})();
`;

function train(seed: number, backend: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SOURCE, { eval: true, workerData: { dist: DIST, seed, backend } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

describe.each(backendNames())('concurrent training in workers (%s)', (backend) => {
  test('4 concurrent workers give the same weights as 4 sequential runs', async () => {
    const seeds = [1, 2, 3, 4];
    const sequential: string[][] = [];
    for (const s of seeds) sequential.push(await train(s, backend));
    const concurrent = await Promise.all(seeds.map((s) => train(s, backend)));
    expect(concurrent).toEqual(sequential);
    expect(new Set(concurrent.map((w) => w[0])).size).toBe(4);
  }, 120000);
});
