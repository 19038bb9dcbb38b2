/**
 * The autodiff ops of the JS backend (formulas in ops.ts): the checked entry points, which check every call from
 * the op table (table-checks.ts) plus what the table cannot say (broadcast-compatible shapes, strided positions
 * inside their arrays), then run the kernel on the checked copies of the shapes and codes; and the unchecked
 * set, for traced programs whose shapes were checked once when they were planned.
 */
import type { Backend } from '../ops';
import type { OpName } from '../op-table';
import { checkTableCall } from './table-checks';
import { unaryUnchecked, binaryUnchecked, selectUnchecked } from './elementwise';
import { reduceUnchecked } from './reduce';
import { matMulUnchecked } from './matmul';
import { gatherKernel, oneHotKernel, scatterAddKernel, stridedCopyUnchecked, stridedReach } from './strided';

export type AutodiffOps = Pick<
  Backend,
  'unary' | 'binary' | 'select' | 'reduce' | 'matMul' | 'stridedCopy' | 'gather' | 'scatterAdd' | 'oneHot'
>;

/** RangeError unless each operand dim is 1 or the output's. */
function broadcastable(op: string, outName: string, out: number[], name: string, shape: number[]): void {
  shape.forEach((d, i) => {
    if (d !== 1 && d !== out[i]) {
      throw new RangeError(`${op}(): '${name}'[${i}] = ${d} must be 1 or ${outName}[${i}] = ${out[i]}`);
    }
  });
}

function check(op: OpName, args: IArguments): { sizes: Record<string, number>; v: Record<string, Int32Array> } {
  const values: Record<string, number[]> = {};
  const sizes = checkTableCall(op, args, values);
  const v: Record<string, Int32Array> = {};
  for (const [k, arr] of Object.entries(values)) v[k] = Int32Array.from(arr);
  return { sizes, v };
}

/**
 * The checked ops over the kernels `k` (the JS ones, or another backend's: the wasm backend shares these checks).
 * Kernels get the checked copies of the shape and code arrays, never the caller's.
 */
/* eslint-disable prefer-rest-params */
export function checkedAutodiffOps(k: AutodiffOps = uncheckedAutodiffOps()): AutodiffOps {
  const kernels = k; // matMul names a dimension `k`
  return {
    unary(_codes, params, x, y, len, chain) {
      const { v } = check('unary', arguments);
      k.unary(v.codes, params, x, y, len, chain);
    },
    binary(code, rank, _o, _a, _b, a, b, out, _post, postParams, chain) {
      const { v } = check('binary', arguments);
      broadcastable('binary', 'outShape', [...v.outShape], 'aShape', [...v.aShape]);
      broadcastable('binary', 'outShape', [...v.outShape], 'bShape', [...v.bShape]);
      k.binary(code, rank, v.outShape, v.aShape, v.bShape, a, b, out, v.post, postParams, chain);
    },
    select(rank, _o, _c, _a, _b, cond, a, b, out) {
      const { v } = check('select', arguments);
      for (const name of ['condShape', 'aShape', 'bShape'])
        broadcastable('select', 'outShape', [...v.outShape], name, [...v[name]]);
      k.select(rank, v.outShape, v.condShape, v.aShape, v.bShape, cond, a, b, out);
    },
    reduce(code, rank, _x, _y, x, y) {
      const { v } = check('reduce', arguments);
      broadcastable('reduce', 'xShape', [...v.xShape], 'yShape', [...v.yShape]);
      k.reduce(code, rank, v.xShape, v.yShape, x, y);
    },
    matMul(transA, transB, rank, _o, _a, _b, m, n, k, a, b, c) {
      const { v } = check('matMul', arguments);
      broadcastable('matMul', 'outBatch', [...v.outBatch], 'aBatch', [...v.aBatch]);
      broadcastable('matMul', 'outBatch', [...v.outBatch], 'bBatch', [...v.bBatch]);
      kernels.matMul(transA, transB, rank, v.outBatch, v.aBatch, v.bBatch, m, n, k, a, b, c);
    },
    stridedCopy(rank, _s, _xs, xOffset, _ys, yOffset, x, y, xLen, yLen) {
      const { v } = check('stridedCopy', arguments);
      for (const [name, strides, offset, len] of [
        ['xStrides', v.xStrides, xOffset, xLen],
        ['yStrides', v.yStrides, yOffset, yLen],
      ] as const) {
        const reach = stridedReach(rank, v.shape, strides, offset);
        if (reach >= len) {
          throw new RangeError(
            `stridedCopy(): 'shape' with '${name}' and offset ${offset} reaches position ${reach}, past the ` +
              `array's length ${len}`,
          );
        }
      }
      k.stridedCopy(rank, v.shape, v.xStrides, xOffset, v.yStrides, yOffset, x, y, xLen, yLen);
    },
    gather(x, indices, y, outer, n, inner, count) {
      check('gather', arguments);
      k.gather(x, indices, y, outer, n, inner, count);
    },
    scatterAdd(dy, indices, dx, outer, n, inner, count) {
      check('scatterAdd', arguments);
      k.scatterAdd(dy, indices, dx, outer, n, inner, count);
    },
    oneHot(indices, y, count, depth, on, off) {
      check('oneHot', arguments);
      k.oneHot(indices, y, count, depth, on, off);
    },
  };
}
/* eslint-enable prefer-rest-params */

/** The same ops without checks (index values are still checked where read). */
export function uncheckedAutodiffOps(): AutodiffOps {
  return {
    unary: unaryUnchecked,
    binary: binaryUnchecked,
    select: selectUnchecked,
    reduce: reduceUnchecked,
    matMul: matMulUnchecked,
    stridedCopy: (rank, shape, xStrides, xOffset, yStrides, yOffset, x, y) =>
      stridedCopyUnchecked(rank, shape, xStrides, xOffset, yStrides, yOffset, x, y),
    gather: gatherKernel,
    scatterAdd: scatterAddKernel,
    oneHot: oneHotKernel,
  };
}
