/**
 * The native batch norm splits a large call's rows into chunks on the convolution thread pool (native/batch_norm.h):
 * each chunk sums its rows into float64 partial sums, added in chunk order. Results then depend on the thread count
 * only: the same bits run after run, within float64 rounding of the one-thread (JS reference) order.
 */
import * as bp from '../../src';
import { describeNative, native } from './native-backend';

function run(rows: number, cols: number) {
  const rng = new bp.Rng(7);
  const x = Float32Array.from({ length: rows * cols }, (_, i) => rng.uniform(-3, 5) + (i % cols) * 0.25);
  const dy = Float32Array.from({ length: rows * cols }, () => rng.uniform(-1, 1));
  const gamma = Float32Array.from({ length: cols }, () => rng.uniform(0.5, 2));
  const beta = Float32Array.from({ length: cols }, () => rng.uniform(-1, 1));
  const mm = new Float32Array(cols),
    mv = new Float32Array(cols).fill(1);
  const mean = new Float32Array(cols),
    invStd = new Float32Array(cols),
    y = new Float32Array(rows * cols);
  native!.batchNormForward(x, gamma, beta, mm, mv, mean, invStd, y, rows, cols, 1e-3, 0.9, true);
  const dx = new Float32Array(rows * cols),
    dg = new Float32Array(cols),
    db = new Float32Array(cols);
  native!.batchNormBackward(x, gamma, mean, invStd, dy, dx, dg, db, rows, cols);
  return { y, mean, invStd, mm, mv, dx, dg, db };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0,
    diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / (scale || 1);
}

describeNative('native batch norm over the thread pool', () => {
  afterAll(() => bp.setThreads(2));
  test('the same bits run after run at 1, 2 and 3 threads; within rounding of the one-thread sums', () => {
    const [rows, cols] = [64 * 7 * 7 + 3, 32];
    bp.setThreads(1);
    const one = run(rows, cols);
    expect(run(rows, cols)).toEqual(one);
    for (const t of [2, 3]) {
      bp.setThreads(t);
      const r = run(rows, cols);
      expect(run(rows, cols)).toEqual(r);
      for (const key of Object.keys(one) as (keyof typeof one)[]) {
        expect(maxRelDiff(r[key], one[key])).toBeLessThan(1e-5);
      }
    }
  });
});
