/**
 * C += A·B over strided views of Float64Array scratch, for the Winograd kernels' 16 per-position products:
 * A(i,p) = a[ao + i·sai + p·sap], B(p,j) = b[bo + p·sbp + j], C(i,j) = c[co + i·ldc + j]. Only Float64Array
 * reaches it, so V8 compiles one monomorphic loop with no float32 conversions (stridedGemm also sees the
 * float32 kernels and outputs). 4×4 register blocks: 8 loads feed 16 multiply-adds held in locals, and C is
 * touched once per block; leftover rows and columns one element at a time.
 */
// Kept apart from stridedGemm's 4×4 kernel on purpose: it must see Float64Array only to stay monomorphic.
export function gemm64(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  ao: number,
  sai: number,
  sap: number,
  b: Float64Array,
  bo: number,
  sbp: number,
  c: Float64Array,
  co: number,
  ldc: number,
): void {
  const m4 = m - (m % 4),
    n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const r0 = ao + i * sai,
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
      for (let p = 0, ap = 0, bp = bo + j; p < k; p++, ap += sap, bp += sbp) {
        const a0 = a[r0 + ap],
          a1 = a[r1 + ap],
          a2 = a[r2 + ap],
          a3 = a[r3 + ap];
        const b0 = b[bp],
          b1 = b[bp + 1],
          b2 = b[bp + 2],
          b3 = b[bp + 3];
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
      let o = co + i * ldc + j;
      c[o] += c00;
      c[o + 1] += c01;
      c[o + 2] += c02;
      c[o + 3] += c03;
      o += ldc;
      c[o] += c10;
      c[o + 1] += c11;
      c[o + 2] += c12;
      c[o + 3] += c13;
      o += ldc;
      c[o] += c20;
      c[o + 1] += c21;
      c[o + 2] += c22;
      c[o + 3] += c23;
      o += ldc;
      c[o] += c30;
      c[o + 1] += c31;
      c[o + 2] += c32;
      c[o + 3] += c33;
    }
  }
  // Leftover columns (every row), then leftover rows (the blocked columns).
  if (n4 < n) edge64(0, m, n4, n, k, a, ao, sai, sap, b, bo, sbp, c, co, ldc);
  if (m4 < m) edge64(m4, m, 0, n4, k, a, ao, sai, sap, b, bo, sbp, c, co, ldc);
}

function edge64(
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  k: number,
  a: Float64Array,
  ao: number,
  sai: number,
  sap: number,
  b: Float64Array,
  bo: number,
  sbp: number,
  c: Float64Array,
  co: number,
  ldc: number,
): void {
  for (let i = i0; i < i1; i++) {
    const ar = ao + i * sai;
    for (let j = j0; j < j1; j++) {
      let s = 0;
      for (let p = 0, ap = ar, bp = bo + j; p < k; p++, ap += sap, bp += sbp) s += a[ap] * b[bp];
      c[co + i * ldc + j] += s;
    }
  }
}
