/**
 * Cache-blocked gemm in plain JS. Two kernels cover the four transpose cases:
 * - "axpy" form (B not transposed): C rows accumulate alpha·A(i,p)·B[p,:], four C rows at a time so each
 *   B element is loaded once for four multiply-adds; k is blocked so the B panel stays in cache.
 * - "dot" form (B transposed): C(i,j) is a dot product of A's row i with B's row j, four columns at a time.
 * Float32 arrays accumulate through float64 arithmetic (JS numbers) and round on store.
 */
import type { FloatArray } from '../ops';

const KB = 128; // rows of B per panel: 128 × n floats stays within L2 for the layer widths we meet

export function scaleC(c: FloatArray, len: number, beta: number): void {
  if (beta === 0) c.fill(0, 0, len);
  else if (beta !== 1) for (let i = 0; i < len; i++) c[i] *= beta;
}

/** C += alpha·op(A)·B with A(i,p) = a[i*sai + p*sap], B row-major k×n. */
function axpyKernel(m: number, n: number, k: number, alpha: number,
  a: FloatArray, sai: number, sap: number, b: FloatArray, c: FloatArray): void {
  for (let p0 = 0; p0 < k; p0 += KB) {
    const pe = p0 + KB < k ? p0 + KB : k;
    let i = 0;
    for (; i + 3 < m; i += 4) {
      const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
      for (let p = p0; p < pe; p++) {
        const ap = p * sap;
        const a0 = alpha * a[i * sai + ap], a1 = alpha * a[(i + 1) * sai + ap];
        const a2 = alpha * a[(i + 2) * sai + ap], a3 = alpha * a[(i + 3) * sai + ap];
        if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue; // relu outputs are often 0
        const bo = p * n;
        for (let j = 0; j < n; j++) {
          const bv = b[bo + j];
          c[c0 + j] += a0 * bv;
          c[c1 + j] += a1 * bv;
          c[c2 + j] += a2 * bv;
          c[c3 + j] += a3 * bv;
        }
      }
    }
    for (; i < m; i++) {
      const c0 = i * n;
      for (let p = p0; p < pe; p++) {
        const a0 = alpha * a[i * sai + p * sap];
        if (a0 === 0) continue;
        const bo = p * n;
        for (let j = 0; j < n; j++) c[c0 + j] += a0 * b[bo + j];
      }
    }
  }
}

/** C += alpha·op(A)·Bᵀ with B stored n×k (row j of B is column j of op(B)). */
function dotKernel(m: number, n: number, k: number, alpha: number,
  a: FloatArray, sai: number, sap: number, b: FloatArray, c: FloatArray): void {
  for (let i = 0; i < m; i++) {
    const ai = i * sai, ci = i * n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const av = a[ai + p * sap];
        s0 += av * b[b0 + p];
        s1 += av * b[b1 + p];
        s2 += av * b[b2 + p];
        s3 += av * b[b3 + p];
      }
      c[ci + j] += alpha * s0;
      c[ci + j + 1] += alpha * s1;
      c[ci + j + 2] += alpha * s2;
      c[ci + j + 3] += alpha * s3;
    }
    for (; j < n; j++) {
      const b0 = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p * sap] * b[b0 + p];
      c[ci + j] += alpha * s;
    }
  }
}

/** Unchecked gemm (callers validate). See Backend.gemm for the contract. */
export function gemmUnchecked(transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray): void {
  scaleC(c, m * n, beta);
  if (alpha === 0 || k === 0 || m === 0 || n === 0) return;
  const sai = transA ? 1 : k, sap = transA ? m : 1;
  if (transB) dotKernel(m, n, k, alpha, a, sai, sap, b, c);
  else axpyKernel(m, n, k, alpha, a, sai, sap, b, c);
}
