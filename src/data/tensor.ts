/**
 * Tensor2D: the plain `{ data, shape, dtype }` matrix backprop takes and returns (no disposal needed),
 * and the conversion every public method applies to its matrix arguments.
 */
import type { DType, FloatArray } from '../backend/ops';

export interface Tensor2D {
  data: FloatArray;
  shape: [number, number];
  dtype: DType;
}

function ctor(dtype: DType): Float32ArrayConstructor | Float64ArrayConstructor {
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`tensor2d(): 'dtype' must be 'float32' or 'float64', got '${dtype}'`);
  return dtype === 'float64' ? Float64Array : Float32Array;
}

/**
 * Makes a Tensor2D, as `tf.tensor2d`.
 * @example
 * bp.tensor2d([[1, 2], [3, 4]]);                    // shape [2, 2], float32
 * bp.tensor2d(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * bp.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'float64');
 */
export function tensor2d(values: number[][] | ArrayLike<number>, shape?: [number, number], dtype: DType = 'float32'): Tensor2D {
  const C = ctor(dtype);
  if (Array.isArray(values) && (values.length === 0 ? !shape : Array.isArray(values[0]))) {
    const rows = values as number[][];
    const cols = rows.length ? rows[0].length : 0;
    const data = new C(rows.length * cols);
    rows.forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== cols) {
        throw new Error(`tensor2d(): row ${r} has ${Array.isArray(row) ? row.length : 'no'} values but row 0 has ${cols}; all rows must have the same length`);
      }
      for (let c = 0; c < cols; c++) data[r * cols + c] = row[c];
    });
    if (shape && (shape[0] !== rows.length || shape[1] !== cols)) throw new Error(`tensor2d(): 'shape' [${shape}] does not match the nested array's [${rows.length}, ${cols}]`);
    return { data, shape: [rows.length, cols], dtype };
  }
  if (!shape || !Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`tensor2d(): a flat array needs 'shape' = [rows, cols] with non-negative integers, e.g. tensor2d(data, [4, 2])`);
  }
  const flat = values as ArrayLike<number>;
  if (flat.length !== shape[0] * shape[1]) throw new Error(`tensor2d(): ${flat.length} values do not fill shape [${shape}] (${shape[0] * shape[1]} needed)`);
  const data = flat instanceof C ? flat : C.from(flat);
  return { data: data as FloatArray, shape: [shape[0], shape[1]], dtype };
}

function isTensor(x: unknown): x is Tensor2D {
  return !!x && typeof x === 'object' && 'data' in x && 'shape' in x && !Array.isArray(x);
}

/**
 * Any accepted matrix form → a checked flat array of `dtype` (copied only when the type differs). Every
 * value must be finite: NaN or Infinity in training data is an error naming where it is.
 */
export function toMatrix(x: Tensor2D | number[][] | Float32Array | Float64Array, argName: string, dtype: DType,
  shapeHint?: [number, number]): { data: FloatArray; rows: number; cols: number } {
  const C = ctor(dtype);
  let data: FloatArray, rows: number, cols: number;
  if (isTensor(x)) {
    const s = x.shape;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${argName} has an invalid shape ${JSON.stringify(s)}; expected [rows, cols]`);
    if (!(x.data instanceof Float32Array || x.data instanceof Float64Array || Array.isArray(x.data))) throw new Error(`${argName}.data must be a Float32Array, Float64Array or number[]`);
    if (x.data.length !== s[0] * s[1]) throw new Error(`${argName} has ${x.data.length} values but its shape [${s}] needs ${s[0] * s[1]}`);
    [rows, cols] = s;
    data = x.data instanceof C ? x.data : (C.from(x.data) as FloatArray);
  } else if (x instanceof Float32Array || x instanceof Float64Array) {
    if (!shapeHint) throw new Error(`${argName} is a flat typed array; wrap it with bp.tensor2d(data, [rows, cols]) so its shape is known`);
    [rows, cols] = shapeHint;
    if (x.length !== rows * cols) throw new Error(`${argName} has ${x.length} values but [${shapeHint}] needs ${rows * cols}`);
    data = x instanceof C ? x : (C.from(x) as FloatArray);
  } else if (Array.isArray(x)) {
    const t = tensor2d(x as number[][], undefined, dtype);
    if (x.length > 0 && !Array.isArray(x[0])) throw new Error(`${argName} must be a 2-D array (number[][]) or a Tensor2D`);
    [rows, cols] = t.shape;
    data = t.data;
  } else {
    throw new Error(`${argName} must be a Tensor2D (bp.tensor2d(...)) or number[][], got ${x === null ? 'null' : typeof x}`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const r = Math.floor(i / Math.max(cols, 1)), c = i - r * cols;
      throw new Error(`${argName} has ${data[i]} at row ${r}, column ${c}; remove or impute non-finite values before training`);
    }
  }
  return { data, rows, cols };
}
