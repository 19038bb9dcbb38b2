/**
 * Public-API input checks for model methods: x and y arrive as Tensor2D objects, number[][], or (for
 * labels) Int32Array / number[]; they are checked and converted before any weight changes.
 */
import type { DType, FloatArray } from '../backend/ops';
import type { Targets } from '../training/contracts';
import { toMatrix, type Tensor2D } from '../data/tensor';

export type MatrixLike = Tensor2D | number[][] | Float32Array | Float64Array;
export type TargetLike = MatrixLike | Int32Array | number[];

export interface Matrix {
  data: FloatArray;
  rows: number;
  cols: number;
}

export function checkX(method: string, x: unknown, inputUnits: number | undefined, dtype: DType): Matrix {
  if (x === undefined || x === null)
    throw new Error(`${method}: 'x' is required (a Tensor2D or number[][] with one row per sample)`);
  const m = toMatrix(x as MatrixLike, `${method}: 'x'`, dtype);
  if (inputUnits !== undefined && m.cols !== inputUnits) {
    throw new Error(
      `${method}: 'x' has ${m.cols} columns but the model's first layer expects ${inputUnits} features. ` +
        `Fix the data or the first layer's inputShape.`,
    );
  }
  return m;
}

/**
 * Targets: integer labels for sparse losses (Int32Array, number[], or an n×1 matrix of integers), else a
 * float matrix with `outputUnits` columns.
 */
export function checkY(
  method: string,
  y: unknown,
  rows: number,
  outputUnits: number,
  sparse: boolean,
  dtype: DType,
): { data: Targets; cols: number } {
  if (y === undefined || y === null) throw new Error(`${method}: 'y' is required (targets, one row per sample of 'x')`);
  if (sparse) {
    let labels: Int32Array;
    if (y instanceof Int32Array) labels = y;
    else if (Array.isArray(y) && (y.length === 0 || typeof y[0] === 'number')) {
      (y as number[]).forEach((v, i) => {
        if (!Number.isInteger(v)) throw new Error(`${method}: 'y'[${i}] = ${v} is not an integer class label`);
      });
      labels = Int32Array.from(y as number[]);
    } else {
      const m = toMatrix(y as MatrixLike, `${method}: 'y'`, 'float64');
      if (m.cols !== 1) {
        throw new Error(
          `${method}: 'y' must be integer class labels (one per row) for a sparse loss, got ${m.cols} columns. ` +
            `Use categoricalCrossentropy for one-hot targets.`,
        );
      }
      labels = Int32Array.from(m.data);
      for (let i = 0; i < labels.length; i++)
        if (labels[i] !== m.data[i])
          throw new Error(`${method}: 'y'[${i}] = ${m.data[i]} is not an integer class label`);
    }
    if (labels.length !== rows)
      throw new Error(`${method}: 'x' has ${rows} rows but 'y' has ${labels.length} labels; they must match`);
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= outputUnits) {
        throw new Error(
          `${method}: 'y'[${i}] = ${labels[i]} is outside [0, ${outputUnits}) — the output layer has ` +
            `${outputUnits} units. ` +
            `Fix the labels or give the last layer more units.`,
        );
      }
    }
    return { data: labels, cols: 1 };
  }
  if (y instanceof Int32Array || (Array.isArray(y) && typeof y[0] === 'number')) {
    if (outputUnits === 1)
      return checkY(
        method,
        Array.from(y as ArrayLike<number>).map((v) => [v]),
        rows,
        outputUnits,
        false,
        dtype,
      );
    throw new Error(
      `${method}: 'y' is a list of labels but the loss expects a ${outputUnits}-column target matrix. ` +
        `One-hot encode it (bp.data.oneHot) or use loss 'sparseCategoricalCrossentropy'.`,
    );
  }
  const m = toMatrix(y as MatrixLike, `${method}: 'y'`, dtype);
  if (m.rows !== rows) throw new Error(`${method}: 'x' has ${rows} rows but 'y' has ${m.rows}; they must match`);
  if (m.cols !== outputUnits) {
    throw new Error(
      `${method}: 'y' has ${m.cols} columns but the model outputs ${outputUnits}. ` +
        `Match the last layer's units to the targets (or one-hot encode class labels).`,
    );
  }
  return { data: m.data, cols: m.cols };
}
