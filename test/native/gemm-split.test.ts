/**
 * Thin products split over backprop's thread pool (native/blas_threads.h): at two or more threads, a product of at
 * least 2²¹ multiply-adds with a side of at most 512 is cut into blocks of rows of C (or of columns, when C is wider
 * than tall), each a single-threaded OpenBLAS call. Every transpose, beta 0 and 1, ragged block ends, row and
 * column splits: the same results as the float64 JS reference within float32 rounding, from the main thread and
 * from async ops running at the same time; OpenBLAS's thread count is restored after (the next unsplit product
 * still uses it). The speed effect is measured by bench/gpt-profile.js, not here.
 */
import * as bp from '../../src';
import { nativeBackend, jsReference } from '../../src/backend/select';
import type { FloatArray } from '../../src/backend/ops';
import { floatArray } from '../../src/backend/memory';
import type { NativeBackend } from '../../src/backend/native';

const native = nativeBackend().backend as NativeBackend | undefined;
const describeNative = native ? describe : describe.skip;

function filled(kind: 'float32' | 'float64', n: number, seed: number): FloatArray {
  const rng = new bp.Rng(seed);
  const a = floatArray(kind, n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

// [m, n, k]: split by rows (m ≥ n), ragged (700 rows: blocks of 352 and 348), by columns (n > m), a wide dW.
const SHAPES: [number, number, number][] = [
  [2048, 128, 128],
  [700, 97, 300],
  [97, 1000, 301],
  [128, 512, 2048],
];

// The largest difference over the depth k: float32 sums of k products of values in [-1, 1] stay well under 1e-6·k
// (a misplaced block or a missed beta is off by whole products).
function worst(c: FloatArray, ref: FloatArray, k: number): number {
  let w = 0;
  for (let i = 0; i < c.length; i++) w = Math.max(w, Math.abs(c[i] - ref[i]) / k);
  return w;
}

describeNative('products split over the thread pool', () => {
  afterAll(() => bp.setThreads(2));
  test('OpenBLAS with pthreads and no affinity (the Debian package): the split is on', () => {
    expect(native!.addon.blasInfo().gemmSplit).toBe(true);
  });
  test('every transpose and beta, row and column splits, at 1, 2 and 3 threads: the float64 reference', () => {
    const js = jsReference();
    for (const [m, n, k] of SHAPES) {
      const a64 = filled('float64', m * k, 1),
        b64 = filled('float64', k * n, 2),
        c64 = filled('float64', m * n, 3);
      const a = Float32Array.from(a64),
        b = Float32Array.from(b64);
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          for (const beta of [0, 1]) {
            const ref = c64.slice();
            js.gemm(ta, tb, m, n, k, 1, a64, b64, beta, ref);
            for (const t of [1, 2, 3]) {
              bp.setThreads(t);
              const c = Float32Array.from(c64);
              native!.gemm(ta, tb, m, n, k, 1, a, b, beta, c);
              expect(worst(c, ref, k)).toBeLessThan(1e-6);
            }
          }
        }
      }
    }
  });
  test('async products on other threads at the same time as split ones on the main thread', async () => {
    bp.setThreads(2);
    const [m, n, k] = SHAPES[0];
    const a = filled('float32', m * k, 4),
      b = filled('float32', k * n, 5);
    const ref = floatArray('float32', m * n);
    bp.setThreads(1);
    native!.gemm(false, false, m, n, k, 1, a, b, 0, ref);
    bp.setThreads(2);
    const outs = Array.from({ length: 4 }, () => floatArray('float32', m * n));
    const pending = outs.slice(0, 3).map((c) => native!.gemmAsync!(false, false, m, n, k, 1, a, b, 0, c));
    for (let i = 0; i < 5; i++) native!.gemm(false, false, m, n, k, 1, a, b, 0, outs[3]);
    await Promise.all(pending);
    for (const c of outs) expect(worst(c, ref, k)).toBeLessThan(1e-7);
    // The thread count is what was set, and a large square product (OpenBLAS's own threading) still works.
    expect(native!.info().threads).toBe(2);
    const s = 600;
    const x = filled('float32', s * s, 6),
      y = floatArray('float32', s * s),
      z = floatArray('float32', s * s);
    native!.gemm(false, false, s, s, s, 1, x, x, 0, y);
    bp.setThreads(1);
    native!.gemm(false, false, s, s, s, 1, x, x, 0, z);
    expect(worst(y, z, s)).toBeLessThan(1e-7);
  });
});
