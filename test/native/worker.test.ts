/**
 * The addon is context-aware: it loads and computes correctly inside worker threads, several at once,
 * and alongside the main thread's instance.
 */
import { Worker } from 'node:worker_threads';
import { describeNative, native } from './native-backend';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.path);
const m = 37, k = 53, n = 29;
const a = new Float64Array(m * k).map((_, i) => Math.sin(i + workerData.seed));
const b = new Float64Array(k * n).map((_, i) => Math.cos(i * 0.5 + workerData.seed));
const c = new Float64Array(m * n);
for (let r = 0; r < 50; r++) addon.gemm(false, false, m, n, k, 1, a, b, 0, c);
let maxErr = 0;
for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
  let s = 0;
  for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
  maxErr = Math.max(maxErr, Math.abs(s - c[i * n + j]));
}
let threw = '';
try { addon.gemm(false, false, m, n, k, 1, a, b, 0, new Float64Array(3)); } catch (e) { threw = e.constructor.name; }
parentPort.postMessage({ maxErr, threw, loss: addon.meanSquaredError(c, c, null, m, n) });
`;

function runWorker(seed: number): Promise<{ maxErr: number; threw: string; loss: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: native!.path, seed } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

describeNative('native addon in worker threads', () => {
  test('loads and computes gemm correctly in a worker', async () => {
    const r = await runWorker(1);
    expect(r.maxErr).toBeLessThan(1e-10);
    expect(r.threw).toBe('RangeError');
    expect(r.loss).toBe(0);
  });

  test('four workers at once, and the main thread keeps working', async () => {
    const pending = [2, 3, 4, 5].map(runWorker);
    const c = new Float64Array(4);
    native!.gemm(false, false, 2, 2, 2, 1, Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 0, 0, 1), 0, c);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
    for (const r of await Promise.all(pending)) expect(r.maxErr).toBeLessThan(1e-10);
  });
});
