/**
 * Public-API input checks for model methods: `x` and `y` arrive as tensors of any rank or nested arrays (and,
 * for sparse losses, integer labels as Int32Array / number[]); they are checked and converted before any
 * weight changes. A model whose input is [28, 28, 1] also accepts the flat form [rows, 784].
 */
import type { DType, FloatArray } from '../backend/ops';
import type { Targets } from '../training/contracts';
import { formatShape, sameShape, shapeSize, type Shape } from '../layers/shape';
import { toTensor, type NestedArray, type Tensor } from './tensor';

/** What model methods take as inputs: a tensor (bp.tensor / bp.tensor2d) or nested arrays. */
export type InputLike = Tensor | NestedArray[];
/** Targets: as inputs, or integer class labels for sparse losses. */
export type TargetLike = InputLike | Int32Array | number[];

/** Checked inputs: `rows` samples of `shape`, flat in `data`. */
export interface Inputs {
  data: FloatArray;
  rows: number;
  /** Per-sample shape. */
  shape: number[];
}

/**
 * Checks `x` against the model's input shape (when known), or infers the per-sample shape from it.
 * @example checkX('fit()', [[0, 1], [1, 0]], [2], 'float32') // { rows: 2, shape: [2], data }
 */
export function checkX(method: string, x: unknown, inputShape: Shape | undefined, dtype: DType): Inputs {
  if (x === undefined || x === null) {
    throw new Error(`${method}: 'x' is required (a tensor or nested arrays with one entry per sample)`);
  }
  const t = toTensor(x, `${method}: 'x'`, dtype);
  const rows = t.shape[0];
  const sample = t.shape.slice(1);
  if (inputShape === undefined) return { data: t.data, rows, shape: sample };
  const flatOk = sample.length === 1 && sample[0] === shapeSize(inputShape);
  if (!sameShape(sample, inputShape) && !flatOk) {
    throw new Error(
      `${method}: 'x' has samples of shape ${formatShape(sample)} but the model's input shape is ` +
        `${formatShape(inputShape)}. Fix the data or the first layer's inputShape.`,
    );
  }
  return { data: t.data, rows, shape: [...inputShape] };
}

/**
 * Targets for `rows` samples of a model with output shape `outputShape`: integer class labels for sparse
 * losses (one per position of the last axis: rows × size(outputShape)/classes labels, each an integer in
 * [0, classes)), otherwise values of the output's shape (or its flat form).
 */
export function checkY(
  method: string,
  y: unknown,
  rows: number,
  outputShape: Shape,
  sparse: boolean,
  dtype: DType,
): { data: Targets; cols: number } {
  if (y === undefined || y === null) throw new Error(`${method}: 'y' is required (targets, one per sample of 'x')`);
  const outSize = shapeSize(outputShape);
  const classes = outputShape[outputShape.length - 1];
  if (sparse) return { data: checkLabels(method, y, rows * (outSize / classes), classes, rows), cols: 1 };
  if (y instanceof Int32Array || (Array.isArray(y) && (y.length === 0 || typeof y[0] === 'number'))) {
    if (outSize !== 1) {
      throw new Error(
        `${method}: 'y' is a list of labels but the loss expects targets of shape ${formatShape(outputShape)} ` +
          `per sample. One-hot encode it (bp.data.oneHot) or use loss 'sparseCategoricalCrossentropy'.`,
      );
    }
    const values = Array.from(y as ArrayLike<number>, (v) => [v]);
    return checkY(method, values, rows, outputShape, false, dtype);
  }
  const t = toTensor(y, `${method}: 'y'`, dtype);
  if (t.shape[0] !== rows)
    throw new Error(`${method}: 'x' has ${rows} rows but 'y' has ${t.shape[0]}; they must match`);
  const sample = t.shape.slice(1);
  const flatOk = sample.length === 1 && sample[0] === outSize;
  if (!sameShape(sample, outputShape) && !flatOk) {
    throw new Error(
      `${method}: 'y' has samples of shape ${formatShape(sample)} but the model outputs ${formatShape(outputShape)}. ` +
        `Match the last layer's units to the targets (or one-hot encode class labels).`,
    );
  }
  return { data: t.data, cols: outSize };
}

/**
 * Integer class labels: each checked to be an integer in [0, classes) before conversion, so 2**32 + 1 is an
 * error, never label 1. Accepts an Int32Array, number[], or a tensor / nested arrays of one label per position.
 */
function checkLabels(method: string, y: unknown, count: number, classes: number, rows: number): Int32Array {
  let values: ArrayLike<number>;
  if (y instanceof Int32Array) values = y;
  else if (Array.isArray(y) && (y.length === 0 || typeof y[0] === 'number')) values = y as number[];
  else values = toTensor(y, `${method}: 'y'`, 'float64').data;
  if (values.length !== count) {
    const per = count / rows;
    throw new Error(
      `${method}: 'x' has ${rows} rows but 'y' has ${values.length} labels; ` +
        `expected ${count}${per > 1 ? ` (${per} per sample)` : ''}`,
    );
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new Error(`${method}: 'y'[${i}] = ${String(v)} is not an integer class label`);
    }
    if (v < 0 || v >= classes) {
      throw new Error(
        `${method}: 'y'[${i}] = ${v} is outside [0, ${classes}) — the output layer has ${classes} units. ` +
          `Fix the labels or give the last layer more units.`,
      );
    }
    labels[i] = v;
  }
  return labels;
}
