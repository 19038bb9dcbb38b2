/**
 * Cache-blocked gemm in plain JS. Two kernels cover the four transpose cases:
 * - "axpy" form (B not transposed): C rows accumulate alpha·A(i,p)·B[p,:], four C rows at a time so each
 *   B element is loaded once for four multiply-adds; k is blocked so the B panel stays in cache.
 * - "dot" form (B transposed): C(i,j) is a dot product of A's row i with B's row j, in 4×4 blocks of them
 *   (B's column stride k, depth stride 1); B not transposed with m, n ≥ 4 uses the same 4×4 blocks (column
 *   stride 1, depth stride n).
 * Float32 arrays accumulate through float64 arithmetic (JS numbers) and round on store.
 */
import type { FloatArray } from '../ops';

const KB = 128; // rows of B per panel: 128 × n floats stays within L2 for the layer widths we meet

export function scaleC(c: FloatArray, len: number, beta: number): void {
  if (beta === 0) c.fill(0, 0, len);
  else if (beta !== 1) for (let i = 0; i < len; i++) c[i] *= beta;
}

/** C += alpha·op(A)·B with A(i,p) = a[i*sai + p*sap], B row-major k×n. */
function axpyKernel(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  sai: number,
  sap: number,
  b: FloatArray,
  c: FloatArray,
): void {
  for (let p0 = 0; p0 < k; p0 += KB) {
    const pe = p0 + KB < k ? p0 + KB : k;
    let i = 0;
    for (; i + 3 < m; i += 4) {
      const c0 = i * n,
        c1 = c0 + n,
        c2 = c1 + n,
        c3 = c2 + n;
      for (let p = p0; p < pe; p++) {
        const ap = p * sap;
        const a0 = alpha * a[i * sai + ap],
          a1 = alpha * a[(i + 1) * sai + ap];
        const a2 = alpha * a[(i + 2) * sai + ap],
          a3 = alpha * a[(i + 3) * sai + ap];
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

/**
 * C += alpha·op(A)·Bᵀ with B stored n×k (row j of B is column j of op(B)): the 4×4 blocks, then leftover
 * columns and rows one dot product at a time. Each C(i,j) sums over p in order, as a single dot product would.
 */
function dotKernel(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  sai: number,
  sap: number,
  b: FloatArray,
  c: FloatArray,
): void {
  const m4 = m - (m % 4),
    n4 = n - (n % 4);
  blocks4x4(m4, n4, n, k, alpha, a, sai, sap, b, 1, k, c);
  // Leftover columns (every row), then leftover rows (the blocked columns).
  if (n4 < n) dots(0, m, n4, n, n, k, alpha, a, sai, sap, b, c);
  if (m4 < m) dots(m4, m, 0, n4, n, k, alpha, a, sai, sap, b, c);
}

/**
 * The m4×n4 corner of C (m4, n4 multiples of 4; C is m×n row-major) += alpha·op(A)·op(B) with
 * op(B)(p,j) = b[p·sbp + j·sbj], as 4×4 register blocks: per step of p, 4 loads of A and 4 of B feed 16
 * multiply-adds held in locals, and C is touched once per block. Both transposes of B share it: they see the
 * same caller arrays, so V8's feedback stays as narrow as one kernel per case had it. stridedGemm and gemm64
 * keep copies because conv's mix of float64 scratch and float32 operands, and Winograd's float64-only
 * operands, would widen that feedback (shared with conv, dense forward/backward ran 10-20% slower).
 */
function blocks4x4(
  m4: number,
  n4: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  sai: number,
  sap: number,
  b: FloatArray,
  sbp: number,
  sbj: number,
  c: FloatArray,
): void {
  const sbj2 = 2 * sbj,
    sbj3 = 3 * sbj;
  for (let i = 0; i < m4; i += 4) {
    const r0 = i * sai,
      r1 = r0 + sai,
      r2 = r1 + sai,
      r3 = r2 + sai;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0, ap = 0, bp = j * sbj; p < k; p++, ap += sap, bp += sbp) {
        const a0 = a[r0 + ap],
          a1 = a[r1 + ap],
          a2 = a[r2 + ap],
          a3 = a[r3 + ap];
        const b0 = b[bp],
          b1 = b[bp + sbj],
          b2 = b[bp + sbj2],
          b3 = b[bp + sbj3];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
      }
      let o = i * n + j;
      c[o] += alpha * c00;
      c[o + 1] += alpha * c01;
      c[o + 2] += alpha * c02;
      c[o + 3] += alpha * c03;
      o += n;
      c[o] += alpha * c10;
      c[o + 1] += alpha * c11;
      c[o + 2] += alpha * c12;
      c[o + 3] += alpha * c13;
      o += n;
      c[o] += alpha * c20;
      c[o + 1] += alpha * c21;
      c[o + 2] += alpha * c22;
      c[o + 3] += alpha * c23;
      o += n;
      c[o] += alpha * c30;
      c[o + 1] += alpha * c31;
      c[o + 2] += alpha * c32;
      c[o + 3] += alpha * c33;
    }
  }
}

/** C(i,j) += alpha·Σ_p op(A)(i,p)·B[j,p] for i in [i0, i1), j in [j0, j1), B stored n×k. */
function dots(
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  sai: number,
  sap: number,
  b: FloatArray,
  c: FloatArray,
): void {
  for (let i = i0; i < i1; i++) {
    const ai = i * sai,
      ci = i * n;
    for (let j = j0; j < j1; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p * sap] * b[bj + p];
      c[ci + j] += alpha * s;
    }
  }
}

/**
 * C += alpha·op(A)·B for B row-major k×n: the m4×n4 corner by the shared 4×4 register blocks (C touched once
 * per block; the axpy form touches C k times), leftover rows and columns by the axpy form (each step of p
 * added to C as it comes, so they round as they always have).
 */
function blockKernel(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  sai: number,
  sap: number,
  b: FloatArray,
  c: FloatArray,
): void {
  const m4 = m - (m % 4),
    n4 = n - (n % 4);
  blocks4x4(m4, n4, n, k, alpha, a, sai, sap, b, n, 1, c);
  // Leftover columns (all rows), then leftover rows (the first n4 columns).
  if (n4 < n) axpyEdge(0, m, n4, n, n, k, alpha, a, sai, sap, b, c);
  if (m4 < m) axpyEdge(m4, m, 0, n4, n, k, alpha, a, sai, sap, b, c);
}

function axpyEdge(
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  sai: number,
  sap: number,
  b: FloatArray,
  c: FloatArray,
): void {
  for (let i = i0; i < i1; i++) {
    for (let p = 0; p < k; p++) {
      const av = alpha * a[i * sai + p * sap];
      const bo = p * n,
        co = i * n;
      for (let j = j0; j < j1; j++) c[co + j] += av * b[bo + j];
    }
  }
}

/** Unchecked gemm (callers validate). See Backend.gemm for the contract. */
export function gemmUnchecked(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  b: FloatArray,
  beta: number,
  c: FloatArray,
): void {
  scaleC(c, m * n, beta);
  if (alpha === 0 || k === 0 || m === 0 || n === 0) return;
  const sai = transA ? 1 : k,
    sap = transA ? m : 1;
  if (transB) dotKernel(m, n, k, alpha, a, sai, sap, b, c);
  else if (m >= 4 && n >= 4) blockKernel(m, n, k, alpha, a, sai, sap, b, c);
  else axpyKernel(m, n, k, alpha, a, sai, sap, b, c);
}
