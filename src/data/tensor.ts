/**
 * Tensor2D: the plain `{ data, shape, dtype }` matrix backprop takes and returns (no disposal needed),
 * and the conversion every public method applies to its matrix arguments.
 */
import type { DType, FloatArray } from '../backend/ops';
import { preview, quoteValue } from '../quote';

export interface Tensor2D {
  data: FloatArray;
  shape: [number, number];
  dtype: DType;
}

function ctor(dtype: DType, who: string): Float32ArrayConstructor | Float64ArrayConstructor {
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new Error(`${who}: 'dtype' must be 'float32' or 'float64', got ${quoteValue(dtype)}`);
  return dtype === 'float64' ? Float64Array : Float32Array;
}

const isShape = (s: unknown): s is [number, number] =>
  Array.isArray(s) && s.length === 2 && s.every((d) => Number.isSafeInteger(d) && d >= 0);

/**
 * Copies a nested array into a flat typed array. Errors are worded for `who` so a model method's message
 * names its own argument rather than this helper.
 */
function fromNested(
  rows: unknown[],
  C: Float32ArrayConstructor | Float64ArrayConstructor,
  who: string,
): { data: FloatArray; rows: number; cols: number } {
  const first = rows[0];
  const cols = Array.isArray(first) ? first.length : 0;
  const data = new C(rows.length * cols);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!Array.isArray(row)) {
      throw new Error(
        `${who}: row ${r} is ${row === null ? 'null' : typeof row}, not an array; give number[][] with one ` +
          `array per row`,
      );
    }
    if (row.length !== cols) {
      throw new Error(
        `${who}: row ${r} has ${row.length} values but row 0 has ${cols}; all rows must have the same length`,
      );
    }
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      if (typeof v !== 'number')
        throw new Error(
          `${who}: row ${r}, column ${c} is ${preview(v)}, not a number; convert the values ` + `to numbers first`,
        );
      data[r * cols + c] = v;
    }
  }
  return { data, rows: rows.length, cols };
}

/**
 * Makes a Tensor2D, as `tf.tensor2d`: from nested rows (shape inferred), or from a flat array plus
 * `shape = [rows, cols]`. A flat typed array already of `dtype` is used as is, not copied, so a large
 * buffer costs no extra memory.
 * @example
 * bp.tensor2d([[1, 2], [3, 4]]);                    // shape [2, 2], float32
 * bp.tensor2d(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * bp.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'float64');
 */
export function tensor2d(
  values: number[][] | ArrayLike<number>,
  shape?: [number, number],
  dtype: DType = 'float32',
): Tensor2D {
  const C = ctor(dtype, 'tensor2d()');
  if (shape !== undefined && !isShape(shape)) {
    throw new Error(`tensor2d(): 'shape' must be [rows, cols] with non-negative integers, got ${preview(shape)}`);
  }
  // An empty array is nested (0 rows) unless a shape says otherwise, matching tf.tensor2d([]) with a shape.
  const nested = Array.isArray(values) && (values.length === 0 ? shape === undefined : Array.isArray(values[0]));
  if (nested) {
    const m = fromNested(values as unknown[], C, 'tensor2d()');
    if (shape && (shape[0] !== m.rows || shape[1] !== m.cols)) {
      throw new Error(
        `tensor2d(): 'shape' [${shape}] does not match the nested array's [${m.rows}, ${m.cols}]; drop 'shape' ` +
          `or fix it`,
      );
    }
    return { data: m.data, shape: [m.rows, m.cols], dtype };
  }
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    throw new Error(
      `tensor2d(): 'values' must be number[][] or a flat array with a shape, got ` +
        `${values === null ? 'null' : typeof values}`,
    );
  }
  if (!shape) throw new Error(`tensor2d(): a flat array needs 'shape' = [rows, cols], e.g. tensor2d(data, [4, 2])`);
  const flat = values as ArrayLike<number>;
  if (flat.length !== shape[0] * shape[1]) {
    throw new Error(
      `tensor2d(): ${flat.length} values do not fill shape [${shape}] (${shape[0] * shape[1]} needed); the ` +
        `length must equal rows*cols`,
    );
  }
  const data = flat instanceof C ? flat : C.from(flat);
  return { data: data as FloatArray, shape: [shape[0], shape[1]], dtype };
}

function isTensor(x: unknown): x is Tensor2D {
  return !!x && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x) && 'data' in x && 'shape' in x;
}

/**
 * Any accepted matrix form → a checked flat array of `dtype` (copied only when the type differs). Every
 * value must be finite: NaN or Infinity in training data silently poisons every weight, so it is an error
 * naming where it is.
 * @example
 * const m = toMatrix([[1, 2], [3, 4]], "fit(): 'x'", 'float32'); // { data: Float32Array [1,2,3,4], rows: 2, cols: 2 }
 * toMatrix(new Float64Array(6), "'x'", 'float64', [3, 2]);        // a flat array needs the shape hint
 */
export function toMatrix(
  x: Tensor2D | number[][] | Float32Array | Float64Array,
  argName: string,
  dtype: DType,
  shapeHint?: [number, number],
): { data: FloatArray; rows: number; cols: number } {
  const C = ctor(dtype, argName);
  let data: FloatArray, rows: number, cols: number;
  if (isTensor(x)) {
    const s = x.shape;
    if (!isShape(s))
      throw new Error(`${argName} has an invalid shape ${preview(s)}; expected [rows, cols] of non-negative integers`);
    const d = x.data as unknown;
    if (!(d instanceof Float32Array || d instanceof Float64Array || Array.isArray(d))) {
      throw new Error(
        `${argName}.data must be a Float32Array, Float64Array or number[]; build it with bp.tensor2d(...)`,
      );
    }
    if (d.length !== s[0] * s[1])
      throw new Error(
        `${argName} has ${d.length} values but its shape [${s}] needs ${s[0] * s[1]}; fix the shape or the data`,
      );
    [rows, cols] = s;
    data = d instanceof C ? d : (C.from(d as ArrayLike<number>) as FloatArray);
  } else if (x instanceof Float32Array || x instanceof Float64Array) {
    if (!shapeHint)
      throw new Error(
        `${argName} is a flat typed array; wrap it with bp.tensor2d(data, [rows, cols]) so its shape is known`,
      );
    if (!isShape(shapeHint))
      throw new Error(`${argName}: the shape [${String(shapeHint)}] is not [rows, cols] of non-negative integers`);
    [rows, cols] = shapeHint;
    if (x.length !== rows * cols)
      throw new Error(
        `${argName} has ${x.length} values but [${shapeHint}] needs ${rows * cols}; fix the shape or the data`,
      );
    data = x instanceof C ? x : (C.from(x) as FloatArray);
  } else if (Array.isArray(x)) {
    if (x.length > 0 && !Array.isArray(x[0])) {
      throw new Error(
        `${argName} must be a 2-D array (number[][], one row per sample) or a Tensor2D; for a flat array use ` +
          `bp.tensor2d(values, [rows, cols])`,
      );
    }
    ({ data, rows, cols } = fromNested(x, C, argName));
  } else {
    throw new Error(
      `${argName} must be a Tensor2D (bp.tensor2d(...)) or number[][], got ${x === null ? 'null' : typeof x}`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const r = Math.floor(i / cols),
        c = i - r * cols;
      throw new Error(
        `${argName} has ${data[i]} at row ${r}, column ${c}; remove or impute non-finite values before training`,
      );
    }
  }
  return { data, rows, cols };
}
