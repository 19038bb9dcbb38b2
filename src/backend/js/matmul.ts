/**
 * Batched matMul (formula in ops.ts), unchecked: one gemm per batch matrix over offsets into the arrays (no
 * views made), or one gemm in all when every batch multiplies the same b by its own a (a not transposed): the
 * batches of a then stack into one tall matrix.
 */
import type { FloatArray } from '../ops';
import { MAX_KERNEL_RANK } from '../elementwise';
import { gemmUnchecked } from './gemm';
import { stridedGemm } from './strided-gemm';

const aStrides = new Float64Array(MAX_KERNEL_RANK);
const bStrides = new Float64Array(MAX_KERNEL_RANK);
const index = new Float64Array(MAX_KERNEL_RANK);

export function matMulUnchecked(
  transA: boolean,
  transB: boolean,
  rank: number,
  outBatch: Int32Array,
  aBatch: Int32Array,
  bBatch: Int32Array,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
): void {
  let batch = 1,
    bShared = true,
    aFull = true;
  let pa = m * k,
    pb = k * n;
  for (let d = rank - 1; d >= 0; d--) {
    batch *= outBatch[d];
    aStrides[d] = aBatch[d] === 1 ? 0 : pa;
    bStrides[d] = bBatch[d] === 1 ? 0 : pb;
    pa *= aBatch[d];
    pb *= bBatch[d];
    if (bBatch[d] !== 1) bShared = false;
    if (aBatch[d] !== outBatch[d]) aFull = false;
  }
  if (batch === 0) return;
  if (batch === 1 || (bShared && aFull && !transA)) {
    gemmUnchecked(transA, transB, batch * m, n, k, 1, a, b, 0, c);
    return;
  }
  const mn = m * n;
  const sai = transA ? 1 : k,
    sap = transA ? m : 1;
  const sbp = transB ? 1 : n,
    sbj = transB ? k : 1;
  index.fill(0);
  let ao = 0,
    bo = 0;
  for (let i = 0; i < batch; i++) {
    const co = i * mn;
    c.fill(0, co, co + mn);
    if (k > 0) stridedGemm(m, n, k, a, ao, sai, sap, b, bo, sbp, sbj, c, co, n);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      ao += aStrides[d];
      bo += bStrides[d];
      if (index[d] < outBatch[d]) break;
      ao -= aStrides[d] * outBatch[d];
      bo -= bStrides[d] * outBatch[d];
      index[d] = 0;
    }
  }
}
