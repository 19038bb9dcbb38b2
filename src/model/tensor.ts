/**
 * Tensors of any rank: plain `{ data, shape, dtype }` objects (no disposal), row-major, the first axis the
 * batch. `bp.tensor` builds one; `toTensor` converts what the model methods accept (a tensor, nested arrays
 * of any depth) into a checked flat array and its shape.
 */
import type { DType, FloatArray } from '../backend/ops';
import { MAX_RANK } from '../layers/shape';

export interface Tensor {
  data: FloatArray;
  /** [rows, ...per-sample shape]. */
  shape: number[];
  dtype: DType;
}

/** Nested arrays of numbers, any depth (number[][] for a matrix, number[][][][] for a batch of images). */
export type NestedArray = number | NestedArray[];

function ctor(dtype: DType, who: string): Float32ArrayConstructor | Float64ArrayConstructor {
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new Error(`${who}: 'dtype' must be 'float32' or 'float64', got '${String(dtype)}'`);
  return dtype === 'float64' ? Float64Array : Float32Array;
}

function isShape(s: unknown): s is number[] {
  return (
    Array.isArray(s) && s.length >= 1 && s.length <= MAX_RANK + 1 && s.every((d) => Number.isSafeInteger(d) && d >= 0)
  );
}

function sizeOf(shape: number[], who: string): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n) || n > 2 ** 32) throw new Error(`${who}: shape [${shape}] has too many values`);
  return n;
}

/** The shape of a nested array (checked to be rectangular) and its values copied into `C`. */
function fromNested(values: unknown[], C: Float32ArrayConstructor | Float64ArrayConstructor, who: string): Tensor {
  const shape: number[] = [];
  let probe: unknown = values;
  while (Array.isArray(probe)) {
    if (shape.length > MAX_RANK) throw new Error(`${who}: nested deeper than ${MAX_RANK + 1} levels`);
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const data = new C(sizeOf(shape, who));
  let i = 0;
  const walk = (node: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw new Error(
          `${who}: element [${path.join('][')}] is ${JSON.stringify(node) ?? typeof node}, not a number; ` +
            'convert the values to numbers first',
        );
      }
      data[i++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      if (depth === 1) {
        throw new Error(
          `${who}: row ${path[0]} has ${Array.isArray(node) ? `${node.length} values` : `a ${typeof node}`} but ` +
            `row 0 has ${shape[1]}; all rows must have the same shape`,
        );
      }
      throw new Error(
        `${who}: ${path.length ? `element [${path.join('][')}]` : 'the array'} has ` +
          `${Array.isArray(node) ? `${node.length} entries` : 'a non-array value'} where ${shape[depth]} were ` +
          `expected ` +
          `(from the first entry at this depth); arrays must be rectangular`,
      );
    }
    for (let j = 0; j < node.length; j++) walk(node[j], depth + 1, [...path, j]);
  };
  walk(values, 0, []);
  return { data: data as FloatArray, shape, dtype: C === Float64Array ? 'float64' : 'float32' };
}

/**
 * Makes a tensor, as `tf.tensor`: from nested arrays (shape inferred) or from a flat array plus `shape`.
 * A flat typed array already of `dtype` is used as is, not copied.
 * @example
 * bp.tensor([[1, 2], [3, 4]]);                           // shape [2, 2]
 * bp.tensor(new Float32Array(2 * 28 * 28), [2, 28, 28, 1]); // two 28×28 grayscale images
 */
export function tensor(values: NestedArray[] | ArrayLike<number>, shape?: number[], dtype: DType = 'float32'): Tensor {
  const who = 'tensor()';
  const C = ctor(dtype, who);
  if (shape !== undefined && !isShape(shape)) {
    throw new Error(
      `${who}: 'shape' must be an array of 1 to ${MAX_RANK + 1} non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  if (Array.isArray(values) && (values.length === 0 ? shape === undefined : Array.isArray(values[0]))) {
    const t = fromNested(values, C, who);
    if (shape && shape.join(',') !== t.shape.join(',')) {
      throw new Error(
        `${who}: 'shape' [${shape}] does not match the nested array's [${t.shape}]; drop 'shape' or fix it`,
      );
    }
    return t;
  }
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    throw new Error(
      `${who}: 'values' must be nested arrays or a flat array with a shape, got ` +
        `${values === null ? 'null' : typeof values}`,
    );
  }
  if (!shape) throw new Error(`${who}: a flat array needs 'shape', e.g. tensor(data, [rows, 28, 28, 1])`);
  const flat = values as ArrayLike<number>;
  const n = sizeOf(shape, who);
  if (flat.length !== n) throw new Error(`${who}: ${flat.length} values do not fill shape [${shape}] (${n} needed)`);
  const data = flat instanceof C ? flat : C.from(flat);
  return { data: data as FloatArray, shape: [...shape], dtype };
}

function isTensorLike(x: unknown): x is { data: unknown; shape: unknown } {
  return !!x && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x) && 'data' in x && 'shape' in x;
}

/**
 * What model methods accept → a flat array of `dtype` (copied only when the type differs) and the full shape.
 * Every value must be finite: NaN or Infinity silently poisons every weight, so it is an error naming where.
 */
export function toTensor(x: unknown, argName: string, dtype: DType): { data: FloatArray; shape: number[] } {
  const C = ctor(dtype, argName);
  let data: FloatArray;
  let shape: number[];
  if (isTensorLike(x)) {
    if (!isShape(x.shape))
      throw new Error(`${argName} has an invalid shape ${JSON.stringify(x.shape)}; expected [rows, ...dims]`);
    const d = x.data;
    const integers = d instanceof Int32Array || d instanceof Uint8Array || d instanceof Uint16Array;
    if (!(d instanceof Float32Array || d instanceof Float64Array || Array.isArray(d) || integers)) {
      throw new Error(
        `${argName}.data must be a Float32Array, Float64Array, Int32Array or number[]; build it with bp.tensor(...)`,
      );
    }
    shape = [...x.shape];
    const n = sizeOf(shape, argName);
    if (d.length !== n)
      throw new Error(
        `${argName} has ${d.length} values but its shape [${shape}] needs ${n}; fix the shape or the data`,
      );
    data = d instanceof C ? d : (C.from(d as ArrayLike<number>) as FloatArray);
  } else if (Array.isArray(x)) {
    if (x.length > 0 && !Array.isArray(x[0])) {
      throw new Error(
        `${argName} must be nested arrays with one entry per sample (number[][], ...) or a tensor; ` +
          'for a flat array use bp.tensor(values, shape)',
      );
    }
    ({ data, shape } = fromNested(x, C, argName));
  } else if (x instanceof Float32Array || x instanceof Float64Array) {
    throw new Error(
      `${argName} is a flat typed array; wrap it with bp.tensor(data, [rows, ...dims]) so its shape is known`,
    );
  } else {
    throw new Error(
      `${argName} must be a tensor (bp.tensor(...)) or nested arrays, got ${x === null ? 'null' : typeof x}`,
    );
  }
  if (shape.length < 2)
    throw new Error(`${argName} must have a batch axis and at least one more: [rows, ...dims], got [${shape}]`);
  checkFinite(data, shape, argName);
  return { data, shape };
}

function checkFinite(data: FloatArray, shape: number[], argName: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const index: number[] = [];
      let rest = i;
      for (let a = shape.length - 1; a >= 0; a--) {
        index.unshift(rest % shape[a]);
        rest = Math.floor(rest / shape[a]);
      }
      throw new Error(
        `${argName} has ${data[i]} at [${index.join(', ')}] (row ${index[0]}); remove or impute non-finite ` +
          `values first`,
      );
    }
  }
}
