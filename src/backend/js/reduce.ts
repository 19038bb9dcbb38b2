/**
 * The reduce kernel (formulas in ops.ts and elementwise.ts), unchecked. x's dims are coalesced (size-1 dims
 * dropped, neighbours that are both reduced or both kept merged), then x is read once in order, each contiguous
 * run added into float64 accumulators of the outputs (module scratch): sums add in x's order, so both backends
 * add the same numbers in the same order. logSumExp reads x twice (the max, then Σ e^(x − max)).
 */
import type { FloatArray } from '../ops';
import { MAX_KERNEL_RANK, Reduce } from '../elementwise';
import { scratch, SLOT_REDUCE, SLOT_REDUCE2 } from './scratch';

const R = Reduce;
const dims = new Float64Array(MAX_KERNEL_RANK);
const reduced = new Uint8Array(MAX_KERNEL_RANK);
const yStrides = new Float64Array(MAX_KERNEL_RANK);
const index = new Float64Array(MAX_KERNEL_RANK);

/** The value over zero elements. */
function emptyValue(code: number): number {
  return code === R.sum ? 0 : code === R.mean ? NaN : code === R.min ? Infinity : -Infinity;
}

const isMax = (code: number) => code === R.max || code === R.logSumExp;

/** Coalesces the dims (see the file comment); returns the coalesced rank. */
function coalesce(rank: number, xShape: Int32Array, yShape: Int32Array): number {
  let r = 0;
  for (let d = 0; d < rank; d++) {
    const size = xShape[d];
    if (size === 1) continue;
    const red = yShape[d] === 1 ? 1 : 0;
    if (r > 0 && reduced[r - 1] === red) dims[r - 1] *= size;
    else {
      dims[r] = size;
      reduced[r] = red;
      r++;
    }
  }
  let p = 1;
  for (let d = r - 1; d >= 0; d--) {
    yStrides[d] = reduced[d] ? 0 : p;
    if (!reduced[d]) p *= dims[d];
  }
  return r;
}

/**
 * One pass over x: `pass` 0 combines into acc (sum, max or min), 1 adds e^(x − acc[j]) into acc2 (logSumExp).
 */
function walk(code: number, pass: number, r: number, x: FloatArray, acc: Float64Array, acc2: Float64Array): void {
  const inner = r ? dims[r - 1] : 1;
  const innerReduced = r ? reduced[r - 1] === 1 : true;
  let total = 1;
  for (let d = 0; d < r; d++) total *= dims[d];
  const rows = total / inner;
  index.fill(0);
  let yo = 0;
  for (let row = 0, xo = 0; row < rows; row++, xo += inner) {
    if (pass === 1) {
      if (innerReduced) {
        const m = acc[yo];
        let s = 0;
        for (let i = 0; i < inner; i++) s += Math.exp(x[xo + i] - m);
        acc2[yo] += s;
      } else for (let i = 0; i < inner; i++) acc2[yo + i] += Math.exp(x[xo + i] - acc[yo + i]);
    } else if (code === R.sum || code === R.mean) {
      if (innerReduced) {
        let s = acc[yo];
        for (let i = 0; i < inner; i++) s += x[xo + i];
        acc[yo] = s;
      } else for (let i = 0; i < inner; i++) acc[yo + i] += x[xo + i];
    } else if (isMax(code)) {
      if (innerReduced) acc[yo] = maxRun(acc[yo], x, xo, inner);
      else
        for (let i = 0; i < inner; i++) {
          const a = acc[yo + i],
            v = x[xo + i];
          acc[yo + i] = a !== a || v !== v ? NaN : v > a ? v : a;
        }
    } else {
      if (innerReduced) acc[yo] = minRun(acc[yo], x, xo, inner);
      else
        for (let i = 0; i < inner; i++) {
          const a = acc[yo + i],
            v = x[xo + i];
          acc[yo + i] = a !== a || v !== v ? NaN : v < a ? v : a;
        }
    }
    for (let d = r - 2; d >= 0; d--) {
      index[d]++;
      yo += yStrides[d];
      if (index[d] < dims[d]) break;
      yo -= yStrides[d] * dims[d];
      index[d] = 0;
    }
  }
}

function maxRun(a: number, x: FloatArray, o: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const v = x[o + i];
    if (v !== v || a !== a) return NaN;
    if (v > a) a = v;
  }
  return a;
}

function minRun(a: number, x: FloatArray, o: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const v = x[o + i];
    if (v !== v || a !== a) return NaN;
    if (v < a) a = v;
  }
  return a;
}

/** The reduce kernel (unchecked). */
export function reduceUnchecked(
  code: number,
  rank: number,
  xShape: Int32Array,
  yShape: Int32Array,
  x: FloatArray,
  y: FloatArray,
): void {
  let xTotal = 1,
    yTotal = 1,
    count = 1;
  for (let d = 0; d < rank; d++) {
    xTotal *= xShape[d];
    yTotal *= yShape[d];
    if (yShape[d] === 1) count *= xShape[d];
  }
  if (yTotal === 0) return;
  if (xTotal === 0) {
    y.fill(emptyValue(code), 0, yTotal);
    return;
  }
  const r = coalesce(rank, xShape, yShape);
  const acc = scratch(SLOT_REDUCE, yTotal);
  acc.fill(code === R.sum || code === R.mean ? 0 : code === R.min ? Infinity : -Infinity, 0, yTotal);
  walk(code, 0, r, x, acc, acc);
  if (code === R.logSumExp) {
    const acc2 = scratch(SLOT_REDUCE2, yTotal);
    acc2.fill(0, 0, yTotal);
    // A max of ±∞ or NaN is the answer itself (e^(x − max) would be NaN).
    for (let j = 0; j < yTotal; j++) if (!Number.isFinite(acc[j])) acc2[j] = NaN;
    walk(code, 1, r, x, acc, acc2);
    for (let j = 0; j < yTotal; j++) y[j] = Number.isFinite(acc[j]) ? acc[j] + Math.log(acc2[j]) : acc[j];
    return;
  }
  if (code === R.mean) for (let j = 0; j < yTotal; j++) y[j] = acc[j] / count;
  else for (let j = 0; j < yTotal; j++) y[j] = acc[j];
}
