/**
 * bp.ops: tensor operations with automatic gradients, named and broadcasting as in TF.js (`tf.add` →
 * `bp.ops.add`). Each accepts tensors, numbers and nested arrays; computes now on concrete tensors (and is recorded
 * on the tape inside bp.grad & co.), or records a node when called on traced tensors (custom layers' `call`,
 * function losses and metrics, which are traced once per input shape into programs). Gradients: grad-table.ts.
 *
 * Differences from TF.js: comparisons return 0/1 in the float dtype (there is no bool dtype); indices (gather,
 * oneHot) are numbers, Int32Arrays or integer-valued float tensors, and an index out of range is an error (TF.js's
 * oneHot writes a row of zeros); tensors have at most 8 dims.
 */
import type { DType } from '../backend/ops';
import { Binary, Reduce, Unary } from '../backend/elementwise';
import { apply } from './dispatch';
import type { Attrs, NodeSpec, Prim } from './prims';
import { Tensor, checkShape, describe, dtypeOf, floatCtor, sizeOf, toTensor, type TensorLike } from './tensor';

export type { TensorLike };
/** The tensor class ops return (bp.Tensor is the plain { data, shape, dtype } type models take, which it fits). */
export { Tensor };
/** An axis or axes: negative values count from the end. */
export type Axis = number | number[];
/** Indices: numbers, nested arrays of them, an Int32Array, or a tensor of integer values. */
export type IndicesLike = TensorLike | Int32Array;

const who = (name: string) => `ops.${name}()`;

function spec(prim: Prim, attrs: Attrs, inputs: readonly Tensor[], shape: readonly number[], dtype: DType): NodeSpec {
  return { prim, attrs, inputShapes: inputs.map((t) => t.shape), shape: [...shape], dtype };
}

function one(name: string, x: TensorLike): Tensor {
  return toTensor(x, who(name), 'x', dtypeOf(who(name), [x]));
}

function unaryOp(name: string, code: number, x: TensorLike, p = 0, q = 0): Tensor {
  const t = one(name, x);
  return apply(who(name), spec('unary', { code, p, q }, [t], t.shape, t.dtype), [t]);
}

/** The broadcast shape of two shapes (NumPy rules), or an error naming the op. */
export function broadcastShapes(name: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1,
      y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(
        `${who(name)}: shapes [${a}] and [${b}] cannot broadcast: axis ${i - rank} has ${x} and ${y} (each must be ` +
          'equal or 1)',
      );
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** A binary op on two tensors (broadcasting). */
function binaryTensors(name: string, code: number, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  return apply(who(name), spec('binary', { code }, [a, b], shape, a.dtype), [a, b]);
}

/**
 * A binary op; when one operand is a plain number and the other is not, the unary scalar form (`scalar` for x ⊕ c,
 * `rscalar` for c ⊕ x, given as [code, parameter]): one operand fewer, and a step the planner can fuse.
 */
function binaryOp(
  name: string,
  code: number,
  a: TensorLike,
  b: TensorLike,
  scalar?: (c: number) => [number, number],
  rscalar?: (c: number) => [number, number],
): Tensor {
  const dtype = dtypeOf(who(name), [a, b]);
  if (typeof b === 'number' && typeof a !== 'number' && scalar) {
    const [c, p] = scalar(b);
    return unaryOp(name, c, toTensor(a, who(name), 'a', dtype), p);
  }
  if (typeof a === 'number' && typeof b !== 'number' && rscalar) {
    const [c, p] = rscalar(a);
    return unaryOp(name, c, toTensor(b, who(name), 'b', dtype), p);
  }
  return binaryTensors(name, code, toTensor(a, who(name), 'a', dtype), toTensor(b, who(name), 'b', dtype));
}

// ---- elementwise ---------------------------------------------------------------------------------------------

/** a + b, broadcasting. @example bp.ops.add([[1, 2], [3, 4]], [10, 20]) // [[11, 22], [13, 24]] */
export const add = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp(
    'add',
    Binary.add,
    a,
    b,
    (c) => [Unary.addScalar, c],
    (c) => [Unary.addScalar, c],
  );
/** a − b. @example bp.ops.sub(x, 1) */
export const sub = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp(
    'sub',
    Binary.sub,
    a,
    b,
    (c) => [Unary.addScalar, -c],
    (c) => [Unary.rsubScalar, c],
  );
/** a · b elementwise. @example bp.ops.mul(x, x) */
export const mul = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp(
    'mul',
    Binary.mul,
    a,
    b,
    (c) => [Unary.mulScalar, c],
    (c) => [Unary.mulScalar, c],
  );
/** a / b. @example bp.ops.div(x, bp.ops.sum(x)) */
export const div = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp(
    'div',
    Binary.div,
    a,
    b,
    (c) => [Unary.divScalar, c],
    (c) => [Unary.rdivScalar, c],
  );
/** aᵇ (JS Math.pow semantics). @example bp.ops.pow(x, 3) */
export const pow = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp('pow', Binary.pow, a, b, (c) => [Unary.powScalar, c]);
/** The smaller of a and b (NaN if either is). @example bp.ops.minimum(x, 0) */
export const minimum = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp(
    'minimum',
    Binary.minimum,
    a,
    b,
    (c) => [Unary.minScalar, c],
    (c) => [Unary.minScalar, c],
  );
/** The larger of a and b (NaN if either is). @example bp.ops.maximum(x, 0) // relu */
export const maximum = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp(
    'maximum',
    Binary.maximum,
    a,
    b,
    (c) => [Unary.maxScalar, c],
    (c) => [Unary.maxScalar, c],
  );
/** (a − b)². @example bp.ops.squaredDifference(yTrue, yPred) */
export const squaredDifference = (a: TensorLike, b: TensorLike): Tensor => square(sub(a, b));

/** −x. */
export const neg = (x: TensorLike): Tensor => unaryOp('neg', Unary.neg, x);
/** |x|. */
export const abs = (x: TensorLike): Tensor => unaryOp('abs', Unary.abs, x);
/** x². */
export const square = (x: TensorLike): Tensor => unaryOp('square', Unary.square, x);
/** √x. */
export const sqrt = (x: TensorLike): Tensor => unaryOp('sqrt', Unary.sqrt, x);
/** 1/√x. */
export const rsqrt = (x: TensorLike): Tensor => unaryOp('rsqrt', Unary.rsqrt, x);
/** eˣ. */
export const exp = (x: TensorLike): Tensor => unaryOp('exp', Unary.exp, x);
/** ln x. */
export const log = (x: TensorLike): Tensor => unaryOp('log', Unary.log, x);
/** ln(1 + x). */
export const log1p = (x: TensorLike): Tensor => unaryOp('log1p', Unary.log1p, x);
/** max(x, 0). */
export const relu = (x: TensorLike): Tensor => unaryOp('relu', Unary.relu, x);
/** 1/(1 + e⁻ˣ). */
export const sigmoid = (x: TensorLike): Tensor => unaryOp('sigmoid', Unary.sigmoid, x);
/** tanh x. */
export const tanh = (x: TensorLike): Tensor => unaryOp('tanh', Unary.tanh, x);
/** x·Φ(x), the exact (erf) form, as the gelu activation. */
export const gelu = (x: TensorLike): Tensor => unaryOp('gelu', Unary.gelu, x);
/** ln(1 + eˣ), computed stably. */
export const softplus = (x: TensorLike): Tensor => unaryOp('softplus', Unary.softplus, x);
/** −1, 0 or 1 by the sign of x (gradient 0). */
export const sign = (x: TensorLike): Tensor => unaryOp('sign', Unary.sign, x);
/** 1 where x > 0, else 0 (gradient 0; TF.js's step with alpha 0). */
export const step = (x: TensorLike): Tensor => unaryOp('step', Unary.step, x);
/** 1/x. */
export const reciprocal = (x: TensorLike): Tensor => unaryOp('reciprocal', Unary.reciprocal, x);

/**
 * x clamped to [lo, hi] (NaN stays NaN; gradient 1 inside, 0 outside).
 * @example bp.ops.clipByValue(p, 1e-7, 1 - 1e-7)
 */
export function clipByValue(x: TensorLike, lo: number, hi: number): Tensor {
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(lo <= hi)) {
    throw new Error(`${who('clipByValue')}: 'lo' and 'hi' must be numbers with lo <= hi, got ${lo} and ${hi}`);
  }
  return unaryOp('clipByValue', Unary.clip, x, lo, hi);
}

/**
 * a where cond ≠ 0, else b; the three broadcast together (no gradient to cond).
 * @example bp.ops.where(bp.ops.greater(x, 0), x, bp.ops.mul(x, 0.1)) // leaky relu
 */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const w = who('where');
  const dtype = dtypeOf(w, [cond, a, b]);
  const [c, x, y] = [toTensor(cond, w, 'cond', dtype), toTensor(a, w, 'a', dtype), toTensor(b, w, 'b', dtype)];
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, x.shape), y.shape);
  return apply(w, spec('select', {}, [c, x, y], shape, dtype), [c, x, y]);
}

// ---- comparisons: 1 or 0 in the operands' dtype, no gradient ---------------------------------------------------

const compare = (name: string, code: number) => (a: TensorLike, b: TensorLike) => {
  const dtype = dtypeOf(who(name), [a, b]);
  return binaryTensors(name, code, toTensor(a, who(name), 'a', dtype), toTensor(b, who(name), 'b', dtype));
};
/** 1 where a > b, else 0. */
export const greater: (a: TensorLike, b: TensorLike) => Tensor = compare('greater', Binary.greater);
/** 1 where a ≥ b, else 0. */
export const greaterEqual: (a: TensorLike, b: TensorLike) => Tensor = compare('greaterEqual', Binary.greaterEqual);
/** 1 where a < b, else 0. */
export const less: (a: TensorLike, b: TensorLike) => Tensor = compare('less', Binary.less);
/** 1 where a ≤ b, else 0. */
export const lessEqual: (a: TensorLike, b: TensorLike) => Tensor = compare('lessEqual', Binary.lessEqual);
/** 1 where a = b, else 0. */
export const equal: (a: TensorLike, b: TensorLike) => Tensor = compare('equal', Binary.equal);
/** 1 where a ≠ b, else 0. */
export const notEqual: (a: TensorLike, b: TensorLike) => Tensor = compare('notEqual', Binary.notEqual);

// ---- linear algebra --------------------------------------------------------------------------------------------

/**
 * Matrix product over the last two axes, batched (and broadcast) over the leading ones: a [..., m, k] · b [..., k, n]
 * → [..., m, n]; `transposeA`/`transposeB` transpose the last two axes of a/b first.
 * @example bp.ops.matMul(x, w) // [batch, in] · [in, units]
 */
export function matMul(a: TensorLike, b: TensorLike, transposeA = false, transposeB = false): Tensor {
  const w = who('matMul');
  const dtype = dtypeOf(w, [a, b]);
  const [x, y] = [toTensor(a, w, 'a', dtype), toTensor(b, w, 'b', dtype)];
  if (x.rank < 2 || y.rank < 2) {
    throw new Error(`${w}: both operands need at least 2 axes, got [${x.shape}] and [${y.shape}]`);
  }
  if (typeof transposeA !== 'boolean' || typeof transposeB !== 'boolean') {
    throw new Error(`${w}: 'transposeA' and 'transposeB' must be booleans`);
  }
  const [m, k] = transposeA ? [x.shape[x.rank - 1], x.shape[x.rank - 2]] : [x.shape[x.rank - 2], x.shape[x.rank - 1]];
  const [k2, n] = transposeB ? [y.shape[y.rank - 1], y.shape[y.rank - 2]] : [y.shape[y.rank - 2], y.shape[y.rank - 1]];
  if (k !== k2) {
    throw new Error(
      `${w}: inner dimensions differ: a [${x.shape}]${transposeA ? 'ᵀ' : ''} has ${k} columns but b ` +
        `[${y.shape}]${transposeB ? 'ᵀ' : ''} has ${k2} rows`,
    );
  }
  const batch = broadcastShapes('matMul', x.shape.slice(0, -2), y.shape.slice(0, -2));
  if (x.rank > 2 && y.rank === 2 && !transposeA) {
    // [..., m, k] · [k, n]: one [(...·m), k] · [k, n] product (a reshape moves no data), and 2-D gradients.
    const flat = matMul(reshape(x, [-1, k]), y, false, transposeB);
    return reshape(flat, [...batch, m, n]);
  }
  return apply(w, spec('matMul', { transposeA, transposeB }, [x, y], [...batch, m, n], dtype), [x, y]);
}

// ---- reductions ------------------------------------------------------------------------------------------------

/** Sorted, distinct, non-negative axes (all when undefined). */
export function normalizeAxes(name: string, axis: Axis | undefined | null, rank: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  const out = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new Error(`${who(name)}: axis ${describe(a)} is out of range for a tensor of rank ${rank}`);
    }
    out.add(a < 0 ? a + rank : a);
  }
  return [...out].sort((p, q) => p - q);
}

function reduceOp(name: string, code: number, x: TensorLike, axis: Axis | undefined | null, keepDims: boolean): Tensor {
  const t = one(name, x);
  const axes = normalizeAxes(name, axis, t.rank);
  if (typeof keepDims !== 'boolean') throw new Error(`${who(name)}: 'keepDims' must be a boolean`);
  const shape = keepDims
    ? t.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : t.shape.filter((_, i) => !axes.includes(i));
  if (axes.length === 0) return reshape(t, shape);
  return apply(who(name), spec('reduce', { code, axes, keepDims }, [t], shape, t.dtype), [t]);
}

/** Σ over `axis` (all axes by default). @example bp.ops.sum(x, -1, true) */
export const sum = (x: TensorLike, axis?: Axis | null, keepDims = false): Tensor =>
  reduceOp('sum', Reduce.sum, x, axis, keepDims);
/** Mean over `axis` (all by default). @example bp.ops.mean(bp.ops.square(bp.ops.sub(yTrue, yPred)), -1) */
export const mean = (x: TensorLike, axis?: Axis | null, keepDims = false): Tensor =>
  reduceOp('mean', Reduce.mean, x, axis, keepDims);
/** Max over `axis` (the gradient goes to every maximal element). */
export const max = (x: TensorLike, axis?: Axis | null, keepDims = false): Tensor =>
  reduceOp('max', Reduce.max, x, axis, keepDims);
/** Min over `axis`. */
export const min = (x: TensorLike, axis?: Axis | null, keepDims = false): Tensor =>
  reduceOp('min', Reduce.min, x, axis, keepDims);
/** ln Σ eˣ over `axis`, computed stably. */
export const logSumExp = (x: TensorLike, axis?: Axis | null, keepDims = false): Tensor =>
  reduceOp('logSumExp', Reduce.logSumExp, x, axis, keepDims);

/** e^x / Σ e^x along `axis` (default the last). @example bp.ops.softmax(logits) */
export function softmax(x: TensorLike, axis = -1): Tensor {
  const t = one('softmax', x);
  return exp(sub(t, logSumExp(t, normalizeAxes('softmax', axis, t.rank), true)));
}
/** x − ln Σ eˣ along `axis` (default the last): log(softmax(x)), stably. */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  const t = one('logSoftmax', x);
  return sub(t, logSumExp(t, normalizeAxes('logSoftmax', axis, t.rank), true));
}

// ---- shapes ----------------------------------------------------------------------------------------------------

/** The same values in a new shape (one dim may be −1: inferred). @example bp.ops.reshape(x, [-1, 28, 28, 1]) */
export function reshape(x: TensorLike, shape: number[]): Tensor {
  const t = one('reshape', x);
  const w = who('reshape');
  if (!Array.isArray(shape)) throw new Error(`${w}: 'shape' must be an array, got ${describe(shape)}`);
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new Error(`${w}: at most one dim of 'shape' may be -1, got [${shape}]`);
  const rest = sizeOf(checkShape(w, 'shape', known));
  let out = [...shape];
  if (inferred) {
    if (rest === 0 || t.size % rest !== 0) {
      throw new Error(`${w}: cannot infer the -1 of [${shape}] for ${t.size} values`);
    }
    out = shape.map((d) => (d === -1 ? t.size / rest : d));
  }
  if (sizeOf(out) !== t.size) {
    throw new Error(`${w}: a tensor of shape [${t.shape}] (${t.size} values) cannot take shape [${out}]`);
  }
  return apply(w, spec('reshape', {}, [t], out, t.dtype), [t]);
}

/** Permutes the axes (default: reversed). @example bp.ops.transpose(x, [0, 2, 1]) */
export function transpose(x: TensorLike, perm?: number[]): Tensor {
  const t = one('transpose', x);
  const w = who('transpose');
  const p = perm ?? t.shape.map((_, i) => t.rank - 1 - i);
  if (!Array.isArray(p) || p.length !== t.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new Error(`${w}: 'perm' must be a permutation of 0..${t.rank - 1}, got ${describe(perm)}`);
  }
  if (p.every((v, i) => v === i)) return reshape(t, [...t.shape]);
  return apply(
    w,
    spec(
      'transpose',
      { perm: [...p] },
      [t],
      p.map((i) => t.shape[i]),
      t.dtype,
    ),
    [t],
  );
}

/** Inserts an axis of size 1 at `axis`. @example bp.ops.expandDims(x, -1) */
export function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = one('expandDims', x);
  if (!Number.isInteger(axis) || axis < -(t.rank + 1) || axis > t.rank) {
    throw new Error(`${who('expandDims')}: axis ${describe(axis)} is out of range for a tensor of rank ${t.rank}`);
  }
  const a = axis < 0 ? axis + t.rank + 1 : axis;
  return reshape(t, [...t.shape.slice(0, a), 1, ...t.shape.slice(a)]);
}

/** Removes axes of size 1 (those in `axis`, or all). */
export function squeeze(x: TensorLike, axis?: Axis): Tensor {
  const t = one('squeeze', x);
  const axes =
    axis === undefined ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axis, t.rank);
  for (const a of axes) {
    if (t.shape[a] !== 1) throw new Error(`${who('squeeze')}: axis ${a} has size ${t.shape[a]}, not 1`);
  }
  return reshape(
    t,
    t.shape.filter((_, i) => !axes.includes(i)),
  );
}

function many(name: string, tensors: TensorLike[]): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new Error(`${who(name)}: expected a non-empty array of tensors, got ${describe(tensors)}`);
  }
  const dtype = dtypeOf(who(name), tensors);
  return tensors.map((t, i) => toTensor(t, who(name), `tensors[${i}]`, dtype));
}

/** Joins tensors along `axis` (every other axis equal). @example bp.ops.concat([a, b], -1) */
export function concat(tensors: TensorLike[], axis = 0): Tensor {
  const ts = many('concat', tensors);
  const w = who('concat');
  const rank = ts[0].rank;
  if (rank === 0) throw new Error(`${w}: scalars cannot be concatenated; stack them instead`);
  const [a] = normalizeAxes('concat', axis, rank);
  ts.forEach((t, i) => {
    if (t.rank !== rank || t.shape.some((d, j) => j !== a && d !== ts[0].shape[j])) {
      throw new Error(
        `${w}: tensors[${i}] has shape [${t.shape}] but tensors[0] has [${ts[0].shape}] ` +
          `(they may differ on axis ${a} only)`,
      );
    }
  });
  if (ts.length === 1) return reshape(ts[0], [...ts[0].shape]);
  const shape = [...ts[0].shape];
  shape[a] = ts.reduce((s, t) => s + t.shape[a], 0);
  return apply(w, spec('concat', { axis: a }, ts, shape, ts[0].dtype), ts);
}

/** Stacks tensors of one shape along a new `axis`. @example bp.ops.stack([a, b]) // [2, ...a.shape] */
export function stack(tensors: TensorLike[], axis = 0): Tensor {
  const ts = many('stack', tensors);
  ts.forEach((t, i) => {
    if (t.shape.join(',') !== ts[0].shape.join(',')) {
      throw new Error(`${who('stack')}: tensors[${i}] has shape [${t.shape}] but tensors[0] has [${ts[0].shape}]`);
    }
  });
  return concat(
    ts.map((t) => expandDims(t, axis)),
    axis,
  );
}

/**
 * A slice starting at `begin` of `size` (−1: to the end), as tf.slice.
 * @example bp.ops.slice(x, [0, 1], [-1, 2]) // columns 1 and 2
 */
export function slice(x: TensorLike, begin: number | number[], size?: number | number[]): Tensor {
  const t = one('slice', x);
  const w = who('slice');
  const b = typeof begin === 'number' ? [begin, ...new Array<number>(t.rank - 1).fill(0)] : begin;
  const s =
    size === undefined
      ? t.shape.map(() => -1)
      : typeof size === 'number'
        ? [size, ...t.shape.slice(1).map(() => -1)]
        : size;
  if (!Array.isArray(b) || b.length !== t.rank || !Array.isArray(s) || s.length !== t.rank) {
    throw new Error(
      `${w}: 'begin' and 'size' need one entry per axis (${t.rank}), got ${describe(begin)} and ${describe(size)}`,
    );
  }
  const out = s.map((d, i) => (d === -1 ? t.shape[i] - b[i] : d));
  out.forEach((d, i) => {
    if (!Number.isInteger(b[i]) || !Number.isInteger(d) || b[i] < 0 || d < 0 || b[i] + d > t.shape[i]) {
      throw new Error(`${w}: begin ${b[i]} and size ${s[i]} do not fit axis ${i} of size ${t.shape[i]}`);
    }
  });
  if (out.every((d, i) => d === t.shape[i])) return reshape(t, out);
  return apply(w, spec('slice', { begin: [...b] }, [t], out, t.dtype), [t]);
}

/**
 * Splits along `axis` into `numOrSizeSplits` equal parts, or parts of the given sizes (one may be −1).
 * @example const [a, b] = bp.ops.split(x, 2, -1);
 */
export function split(x: TensorLike, numOrSizeSplits: number | number[], axis = 0): Tensor[] {
  const t = one('split', x);
  const w = who('split');
  const [a] = normalizeAxes('split', axis, t.rank);
  const n = t.shape[a];
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (!Number.isInteger(numOrSizeSplits) || numOrSizeSplits < 1 || n % numOrSizeSplits !== 0) {
      throw new Error(`${w}: axis ${a} of size ${n} does not split into ${describe(numOrSizeSplits)} equal parts`);
    }
    sizes = new Array<number>(numOrSizeSplits).fill(n / numOrSizeSplits);
  } else if (Array.isArray(numOrSizeSplits)) {
    const known = numOrSizeSplits.filter((d) => d !== -1);
    const rest = n - known.reduce((s, d) => s + d, 0);
    sizes = numOrSizeSplits.map((d) => (d === -1 ? rest : d));
    if (sizes.some((d) => !Number.isInteger(d) || d < 0) || sizes.reduce((s, d) => s + d, 0) !== n) {
      throw new Error(`${w}: sizes [${numOrSizeSplits}] do not add up to axis ${a}'s ${n}`);
    }
  } else throw new Error(`${w}: 'numOrSizeSplits' must be a number or an array, got ${describe(numOrSizeSplits)}`);
  let at = 0;
  return sizes.map((d) => {
    const begin = t.shape.map((_, i) => (i === a ? at : 0));
    at += d;
    return slice(
      t,
      begin,
      t.shape.map((s, i) => (i === a ? d : s)),
    );
  });
}

/** Pads each axis with `paddings[i] = [before, after]` values of `constantValue`. */
export function pad(x: TensorLike, paddings: [number, number][], constantValue = 0): Tensor {
  const t = one('pad', x);
  const w = who('pad');
  if (!Array.isArray(paddings) || paddings.length !== t.rank) {
    throw new Error(`${w}: 'paddings' needs one [before, after] per axis (${t.rank}), got ${describe(paddings)}`);
  }
  paddings.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new Error(`${w}: paddings[${i}] must be [before, after] of non-negative integers, got ${describe(p)}`);
    }
  });
  if (typeof constantValue !== 'number') throw new Error(`${w}: 'constantValue' must be a number`);
  const shape = checkShape(
    w,
    'the padded shape',
    t.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]),
  );
  return apply(w, spec('pad', { begin: paddings.map((p) => p[0]), value: constantValue }, [t], shape, t.dtype), [t]);
}

/** Repeats the tensor `reps[i]` times along axis i. @example bp.ops.tile(row, [batch, 1]) */
export function tile(x: TensorLike, reps: number[]): Tensor {
  const t = one('tile', x);
  const w = who('tile');
  if (!Array.isArray(reps) || reps.length !== t.rank || !reps.every((r) => Number.isInteger(r) && r >= 0)) {
    throw new Error(`${w}: 'reps' needs one non-negative integer per axis (${t.rank}), got ${describe(reps)}`);
  }
  if (t.rank + reps.filter((r) => r !== 1).length > 8) {
    throw new Error(
      `${w}: at most ${8 - t.rank} axes of a rank-${t.rank} tensor can be tiled in one call; tile in two`,
    );
  }
  const shape = checkShape(
    w,
    'the tiled shape',
    t.shape.map((d, i) => d * reps[i]),
  );
  if (reps.every((r) => r === 1)) return reshape(t, shape);
  return apply(w, spec('tile', { reps: [...reps] }, [t], shape, t.dtype), [t]);
}

/** Broadcasts to `shape` (NumPy rules). @example bp.ops.broadcastTo(bias, [batch, units]) */
export function broadcastTo(x: TensorLike, shape: number[]): Tensor {
  const t = one('broadcastTo', x);
  const w = who('broadcastTo');
  const target = checkShape(w, 'shape', shape);
  const out = broadcastShapes('broadcastTo', t.shape, target);
  if (out.join(',') !== target.join(',')) {
    throw new Error(`${w}: a tensor of shape [${t.shape}] cannot broadcast to [${target}]`);
  }
  if (sizeOf(target) === t.size) return reshape(t, target);
  return apply(w, spec('broadcastTo', {}, [t], target, t.dtype), [t]);
}

// ---- indices ---------------------------------------------------------------------------------------------------

/** Indices as a tensor input (a traced or concrete tensor of integer values) or constant Int32Array + shape. */
function indicesOf(
  name: string,
  v: IndicesLike,
  dtype: DType,
): { tensor?: Tensor; constant?: Int32Array; shape: number[] } {
  const w = who(name);
  if (v instanceof Tensor && v.isTraced) {
    if (v.dtype !== dtype) throw new Error(`${w}: 'indices' is ${v.dtype} but x is ${dtype}`);
    return { tensor: v, shape: [...v.shape] };
  }
  let values: ArrayLike<number>;
  let shape: number[];
  if (v instanceof Int32Array) {
    values = v;
    shape = [v.length];
  } else {
    const t = v instanceof Tensor ? v : toTensor(v, w, 'indices', 'float64');
    values = t.data;
    shape = [...t.shape];
  }
  const constant = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31) {
      throw new Error(`${w}: indices[${i}] = ${x} is not an integer`);
    }
    constant[i] = x;
  }
  return { constant, shape };
}

/**
 * Slices of x along `axis` picked by `indices`: the output has x's shape with that axis replaced by the indices'
 * shape. Gradients flow to x (summed where an index repeats), not to the indices.
 * @example bp.ops.gather(embeddings, [3, 1, 3]) // rows 3, 1 and 3
 */
export function gather(x: TensorLike, indices: IndicesLike, axis = 0): Tensor {
  const t = one('gather', x);
  const w = who('gather');
  if (t.rank === 0) throw new Error(`${w}: x must have at least one axis`);
  const [a] = normalizeAxes('gather', axis, t.rank);
  const idx = indicesOf('gather', indices, t.dtype);
  const shape = checkShape(w, 'the output shape', [...t.shape.slice(0, a), ...idx.shape, ...t.shape.slice(a + 1)]);
  if (idx.constant) {
    const i = idx.constant.findIndex((v) => v < 0 || v >= t.shape[a]);
    if (i >= 0) throw new Error(`${w}: indices[${i}] = ${idx.constant[i]} is outside [0, ${t.shape[a]}) (axis ${a})`);
    return apply(w, spec('gather', { axis: a, indices: idx.constant }, [t], shape, t.dtype), [t]);
  }
  return apply(w, spec('gather', { axis: a }, [t, idx.tensor!], shape, t.dtype), [t, idx.tensor!]);
}

/**
 * One-hot rows: indices of shape S → S + [depth], `onValue` at each index, `offValue` elsewhere (an index outside
 * [0, depth) is an error). No gradient.
 * @example bp.ops.oneHot([0, 2], 3) // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(
  indices: IndicesLike,
  depth: number,
  onValue = 1,
  offValue = 0,
  dtype: DType = 'float32',
): Tensor {
  const w = who('oneHot');
  if (!Number.isInteger(depth) || depth < 1 || depth > 2 ** 31 - 1) {
    throw new Error(`${w}: 'depth' must be a positive integer, got ${describe(depth)}`);
  }
  if (typeof onValue !== 'number' || typeof offValue !== 'number') {
    throw new Error(`${w}: 'onValue' and 'offValue' must be numbers`);
  }
  const dt = indices instanceof Tensor && indices.isTraced ? indices.dtype : dtype;
  if (dt !== 'float32' && dt !== 'float64') throw new Error(`${w}: 'dtype' must be 'float32' or 'float64'`);
  const idx = indicesOf('oneHot', indices, dt);
  const shape = checkShape(w, 'the output shape', [...idx.shape, depth]);
  const attrs = { depth, on: onValue, off: offValue };
  if (idx.constant) {
    const i = idx.constant.findIndex((v) => v < 0 || v >= depth);
    if (i >= 0) throw new Error(`${w}: indices[${i}] = ${idx.constant[i]} is outside [0, ${depth})`);
    return apply(w, spec('oneHot', { ...attrs, indices: idx.constant }, [], shape, dt), []);
  }
  return apply(w, spec('oneHot', attrs, [idx.tensor!], shape, dt), [idx.tensor!]);
}

// ---- gradients and dtypes --------------------------------------------------------------------------------------

/** x, with no gradient flowing back through it. */
export function stopGradient(x: TensorLike): Tensor {
  const t = one('stopGradient', x);
  return apply(who('stopGradient'), spec('stopGradient', {}, [t], t.shape, t.dtype), [t]);
}

/** The values in another float dtype (a copy; the same tensor when the dtype already matches). */
export function cast(x: TensorLike, dtype: DType): Tensor {
  const w = who('cast');
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${w}: 'dtype' must be 'float32' or 'float64'`);
  const t = x instanceof Tensor ? x : toTensor(x, w, 'x', dtype);
  if (t.dtype === dtype) return t;
  if (t.isTraced) throw new Error(`${w}: a traced program has one dtype; cast its inputs before calling it`);
  return new Tensor(floatCtor(dtype).from(t.data), t.shape, dtype);
}

/** A tensor of zeros. @example bp.ops.zeros([2, 3]) */
export function zeros(shape: number[], dtype: DType = 'float32'): Tensor {
  return fill(shape, 0, dtype);
}
/** A tensor of ones. */
export function ones(shape: number[], dtype: DType = 'float32'): Tensor {
  return fill(shape, 1, dtype);
}
/** A tensor of `value`. */
export function fill(shape: number[], value: number, dtype: DType = 'float32'): Tensor {
  const s = checkShape(who('fill'), 'shape', shape);
  if (typeof value !== 'number') throw new Error(`${who('fill')}: 'value' must be a number`);
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new Error(`${who('fill')}: 'dtype' must be 'float32' or 'float64'`);
  return new Tensor(new (floatCtor(dtype))(sizeOf(s)).fill(value), s, dtype);
}
/** Zeros of x's shape and dtype. */
export const zerosLike = (x: TensorLike): Tensor => fillLike(one('zerosLike', x), 0);
/** Ones of x's shape and dtype. */
export const onesLike = (x: TensorLike): Tensor => fillLike(one('onesLike', x), 1);

function fillLike(t: Tensor, value: number): Tensor {
  if (!t.isTraced) return fill([...t.shape], value, t.dtype);
  return unaryOp('fill', Unary.fill, t, value);
}

/** A tensor from nested arrays or a number (as tf.tensor). @example bp.ops.tensor([[1, 2], [3, 4]]) */
export function tensor(values: TensorLike, dtype: DType = 'float32'): Tensor {
  return toTensor(values, who('tensor'), 'values', dtype);
}
