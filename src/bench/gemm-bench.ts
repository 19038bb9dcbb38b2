/**
 * Gemm throughput through a backend, next to the raw OpenBLAS rate for the same shape: how much the
 * Node-API call and argument checks cost relative to BLAS itself.
 */
import type { Backend } from '../backend/ops';
import { rawBlasGflops } from './raw-blas';
import { timeSync } from './timing';

export interface GemmRow {
  m: number;
  n: number;
  k: number;
  gflops: Record<string, number>;
  rawBlas: number | null;
}

export function gemmGflops(
  b: Backend,
  m: number,
  n: number,
  k: number,
  dtype: 'float32' | 'float64' = 'float32',
): number {
  const C = dtype === 'float64' ? Float64Array : Float32Array;
  const a = new C(m * k).map((_, i) => (i % 7) * 0.1),
    bb = new C(k * n).map((_, i) => (i % 5) * 0.1),
    c = new C(m * n);
  const seconds = b.name === 'js' && m * n * k > 2e8 ? 0.3 : 0.08;
  const t = timeSync(() => b.gemm(false, false, m, n, k, 1, a, bb, 0, c), { sampleSeconds: seconds, repeats: 5 });
  return (2 * m * n * k) / t.median / 1e9;
}

export function gemmTable(
  backends: [string, Backend][],
  shapes: [number, number, number][],
  threads?: number,
): GemmRow[] {
  return shapes.map(([m, n, k]) => ({
    m,
    n,
    k,
    gflops: Object.fromEntries(backends.map(([name, b]) => [name, gemmGflops(b, m, n, k)])),
    rawBlas: rawBlasGflops(m, n, k, 'float32', threads),
  }));
}
