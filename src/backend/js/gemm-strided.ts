/**
 * gemm on sub-matrices: each operand starts at an offset into its array and has its own leading dimension,
 * as BLAS's lda/ldb/ldc. The recurrent kernels multiply one time step's block, or one gate's columns, in
 * place this way, with no view allocated per step. Row-major; A(i, p) = a[aOff + i·lda + p] (transA:
 * a[aOff + p·lda + i]), B(p, j) = b[bOff + p·ldb + j] (transB: b[bOff + j·ldb + p]).
 */
import type { FloatArray } from '../ops';

/** c = alpha·op(A)·op(B) + beta·c over an m×n block of c (beta = 0: c is not read). */
export function gemmAt(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
  beta: number,
  c: FloatArray,
  cOff: number,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * ldc;
    if (beta === 0) c.fill(0, ci, ci + n);
    else if (beta !== 1) for (let j = 0; j < n; j++) c[ci + j] *= beta;
  }
  if (k === 0 || alpha === 0) return;
  const sai = transA ? 1 : lda,
    sap = transA ? lda : 1;
  if (transB) {
    // Dot products: row j of B is column j of op(B).
    for (let i = 0; i < m; i++) {
      const ai = aOff + i * sai,
        ci = cOff + i * ldc;
      for (let j = 0; j < n; j++) {
        const bj = bOff + j * ldb;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p * sap] * b[bj + p];
        c[ci + j] += alpha * s;
      }
    }
    return;
  }
  // Row updates, four rows of C at a time so each B element loaded serves four multiply-adds.
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const c0 = cOff + i * ldc,
      c1 = c0 + ldc,
      c2 = c1 + ldc,
      c3 = c2 + ldc;
    const a0 = aOff + i * sai;
    for (let p = 0; p < k; p++) {
      const ap = a0 + p * sap;
      const v0 = alpha * a[ap],
        v1 = alpha * a[ap + sai],
        v2 = alpha * a[ap + 2 * sai],
        v3 = alpha * a[ap + 3 * sai];
      const bp = bOff + p * ldb;
      for (let j = 0; j < n; j++) {
        const bv = b[bp + j];
        c[c0 + j] += v0 * bv;
        c[c1 + j] += v1 * bv;
        c[c2 + j] += v2 * bv;
        c[c3 + j] += v3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const ci = cOff + i * ldc,
      ai = aOff + i * sai;
    for (let p = 0; p < k; p++) {
      const v = alpha * a[ai + p * sap];
      const bp = bOff + p * ldb;
      for (let j = 0; j < n; j++) c[ci + j] += v * b[bp + j];
    }
  }
}

/** xT[s, b, :] = x[b, t, :] with t the step processed s-th (t = steps-1-s going backwards). */
export function toTimeMajor(
  x: FloatArray,
  xT: FloatArray,
  batch: number,
  steps: number,
  size: number,
  back: boolean,
): void {
  for (let s = 0; s < steps; s++) {
    const t = back ? steps - 1 - s : s;
    for (let b = 0; b < batch; b++) {
      const from = (b * steps + t) * size,
        to = (s * batch + b) * size;
      for (let j = 0; j < size; j++) xT[to + j] = x[from + j];
    }
  }
}

/** The inverse of toTimeMajor: x[b, t, :] = xT[s, b, :]. */
export function fromTimeMajor(
  xT: FloatArray,
  x: FloatArray,
  batch: number,
  steps: number,
  size: number,
  back: boolean,
): void {
  for (let s = 0; s < steps; s++) {
    const t = back ? steps - 1 - s : s;
    for (let b = 0; b < batch; b++) {
      const to = (b * steps + t) * size,
        from = (s * batch + b) * size;
      for (let j = 0; j < size; j++) x[to + j] = xT[from + j];
    }
  }
}

/** out[j] = Σ_rows m[r, j] for an m×n matrix (out overwritten); `stride` is m's row length (≥ n). */
export function columnSums(
  mat: FloatArray,
  off: number,
  rows: number,
  n: number,
  stride: number,
  out: FloatArray,
  outOff = 0,
): void {
  out.fill(0, outOff, outOff + n);
  for (let r = 0; r < rows; r++) {
    const o = off + r * stride;
    for (let j = 0; j < n; j++) out[outOff + j] += mat[o + j];
  }
}
