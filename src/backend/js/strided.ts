/**
 * The data-movement kernels of the autodiff ops (formulas in ops.ts): the strided copy behind transpose, slice,
 * tile, broadcast, concat and pad, and gather / scatterAdd / oneHot. Unchecked except for index values, which are
 * checked where they are read (each once): another thread may rewrite shared memory while the op runs.
 */
import type { FloatArray } from '../ops';
import { MAX_KERNEL_RANK } from '../elementwise';

const dims = new Float64Array(MAX_KERNEL_RANK);
const xs = new Float64Array(MAX_KERNEL_RANK);
const ys = new Float64Array(MAX_KERNEL_RANK);
const index = new Float64Array(MAX_KERNEL_RANK);

/** The strided copy (unchecked: every position reached must lie in x and y). */
export function stridedCopyUnchecked(
  rank: number,
  shape: Int32Array,
  xStrides: Int32Array,
  xOffset: number,
  yStrides: Int32Array,
  yOffset: number,
  x: FloatArray,
  y: FloatArray,
): void {
  // Coalesce: size-1 dims dropped, neighbours merged where both strides continue across them.
  let r = 0,
    total = 1;
  for (let d = 0; d < rank; d++) {
    const size = shape[d];
    total *= size;
    if (size === 1) continue;
    if (r > 0 && xs[r - 1] === xStrides[d] * size && ys[r - 1] === yStrides[d] * size) {
      dims[r - 1] *= size;
      xs[r - 1] = xStrides[d];
      ys[r - 1] = yStrides[d];
    } else {
      dims[r] = size;
      xs[r] = xStrides[d];
      ys[r] = yStrides[d];
      r++;
    }
  }
  if (total === 0) return;
  const inner = r ? dims[r - 1] : 1;
  const sx = r ? xs[r - 1] : 0,
    sy = r ? ys[r - 1] : 0;
  const rows = total / inner;
  index.fill(0);
  let xo = xOffset,
    yo = yOffset;
  for (let row = 0; row < rows; row++) {
    if (sx === 1 && sy === 1) for (let i = 0; i < inner; i++) y[yo + i] = x[xo + i];
    else for (let i = 0; i < inner; i++) y[yo + i * sy] = x[xo + i * sx];
    for (let d = r - 2; d >= 0; d--) {
      index[d]++;
      xo += xs[d];
      yo += ys[d];
      if (index[d] < dims[d]) break;
      xo -= xs[d] * dims[d];
      yo -= ys[d] * dims[d];
      index[d] = 0;
    }
  }
}

/** The largest position a strided walk reaches (−1 when the shape is empty). */
export function stridedReach(
  rank: number,
  shape: ArrayLike<number>,
  strides: ArrayLike<number>,
  offset: number,
): number {
  let reach = offset;
  for (let d = 0; d < rank; d++) {
    if (shape[d] === 0) return -1;
    reach += (shape[d] - 1) * strides[d];
  }
  return reach;
}

function indexAt(op: string, indices: Int32Array, c: number, bound: number): number {
  const v = indices[c];
  if (!(v >= 0 && v < bound)) throw new RangeError(`${op}(): 'indices'[${c}] = ${v} is outside [0, ${bound})`);
  return v;
}

/** y[o, c, :] = x[o, indices[c], :]; each index read once (RangeError naming it when out of range). */
export function gatherKernel(
  x: FloatArray,
  indices: Int32Array,
  y: FloatArray,
  outer: number,
  n: number,
  inner: number,
  count: number,
): void {
  if (outer === 0 || inner === 0) return;
  for (let c = 0; c < count; c++) {
    const v = indexAt('gather', indices, c, n);
    for (let o = 0; o < outer; o++) {
      const from = (o * n + v) * inner,
        to = (o * count + c) * inner;
      for (let i = 0; i < inner; i++) y[to + i] = x[from + i];
    }
  }
}

/** dx[o, indices[c], :] += dy[o, c, :]; each index read once. */
export function scatterAddKernel(
  dy: FloatArray,
  indices: Int32Array,
  dx: FloatArray,
  outer: number,
  n: number,
  inner: number,
  count: number,
): void {
  if (outer === 0 || inner === 0) return;
  for (let c = 0; c < count; c++) {
    const v = indexAt('scatterAdd', indices, c, n);
    for (let o = 0; o < outer; o++) {
      const to = (o * n + v) * inner,
        from = (o * count + c) * inner;
      for (let i = 0; i < inner; i++) dx[to + i] += dy[from + i];
    }
  }
}

/** y[c, :] = off, then y[c, indices[c]] = on; each index read once. */
export function oneHotKernel(
  indices: Int32Array,
  y: FloatArray,
  count: number,
  depth: number,
  on: number,
  off: number,
): void {
  for (let c = 0; c < count; c++) {
    const v = indexAt('oneHot', indices, c, depth);
    y.fill(off, c * depth, (c + 1) * depth);
    y[c * depth + v] = on;
  }
}
