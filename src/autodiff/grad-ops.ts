/**
 * Ops that only gradients use (not in bp.ops): the one-pass vector-Jacobian products of unary ops (TensorFlow's
 * ReluGrad, SigmoidGrad, ... kernels), a clip's pass-through mask, gather's scatter-add, and sumTo, which sums a
 * broadcast gradient back to its operand's shape.
 */
import { Binary, Unary } from '../backend/elementwise';
import { apply } from './dispatch';
import * as ops from './ops';
import type { Tensor } from './tensor';

function binaryCode(name: string, code: number, a: Tensor, b: Tensor): Tensor {
  const shape = ops.broadcastShapes(name, a.shape, b.shape);
  return apply(
    `grad ${name}`,
    { prim: 'binary', attrs: { code }, inputShapes: [a.shape, b.shape], shape, dtype: a.dtype },
    [a, b],
  );
}

/** dy where y > 0, else 0 (y: relu's output). */
export const reluGrad = (dy: Tensor, y: Tensor) => binaryCode('reluGrad', Binary.reluGrad, dy, y);
/** dy·y·(1 − y) (y: sigmoid's output). */
export const sigmoidGrad = (dy: Tensor, y: Tensor) => binaryCode('sigmoidGrad', Binary.sigmoidGrad, dy, y);
/** dy·(1 − y²) (y: tanh's output). */
export const tanhGrad = (dy: Tensor, y: Tensor) => binaryCode('tanhGrad', Binary.tanhGrad, dy, y);
/** dy·gelu′(x). */
export const geluGrad = (dy: Tensor, x: Tensor) => binaryCode('geluGrad', Binary.geluGrad, dy, x);
/** dy·sigmoid(x) (softplus′). */
export const softplusGrad = (dy: Tensor, x: Tensor) => binaryCode('softplusGrad', Binary.softplusGrad, dy, x);
/** dy/(2y) (y: sqrt's output). */
export const sqrtGrad = (dy: Tensor, y: Tensor) => binaryCode('sqrtGrad', Binary.sqrtGrad, dy, y);
/** −0.5·dy·y³ (y: rsqrt's output). */
export const rsqrtGrad = (dy: Tensor, y: Tensor) => binaryCode('rsqrtGrad', Binary.rsqrtGrad, dy, y);

/** 1 where lo ≤ x ≤ hi, else 0. */
export function inRange(x: Tensor, lo: number, hi: number): Tensor {
  return apply(
    'grad inRange',
    {
      prim: 'unary',
      attrs: { code: Unary.inRange, p: lo, q: hi },
      inputShapes: [x.shape],
      shape: x.shape,
      dtype: x.dtype,
    },
    [x],
  );
}

/** gather's gradient: zeros of x's shape with each slice of `dy` added at its index along `axis`. */
export function scatterAdd(dy: Tensor, indices: Int32Array | Tensor, axis: number, xShape: readonly number[]): Tensor {
  const constant = indices instanceof Int32Array ? indices : undefined;
  const inputs = constant ? [dy] : [dy, indices as Tensor];
  return apply(
    'grad scatterAdd',
    {
      prim: 'scatterAdd',
      attrs: { axis, indices: constant },
      inputShapes: inputs.map((t) => t.shape),
      shape: [...xShape],
      dtype: dy.dtype,
    },
    inputs,
  );
}

/** `g` summed over the axes along which `shape` was broadcast to g's shape, in `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  return ops.reshape(ops.sum(g, axes, true), [...shape]);
}
