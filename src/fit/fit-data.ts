/**
 * A fit call's data, checked: its inputs and targets (read in place, never copied), their sizes, and the
 * validation rows split off; and the check, before each step, that no array was changed under fit.
 */
import type { FloatArray } from '../backend/ops';
import type { Targets } from '../training/contracts';
import { engineOf } from '../model/engine';
import type { InputsLike, TargetsLike } from '../model/io-lists';
import type { Model } from '../model/model';
import { shapeSize } from '../layers/shape';
import type { FitArgs } from './fit-args';

/** The targets of an output without a loss, and the buffers that stand for them. */
export const EMPTY = new Float32Array(0);

type CheckedInputs = ReturnType<Model['checkedInputs']>;
export interface Validation {
  x: FloatArray[];
  rows: number;
  y: Targets[];
}

/** A fit call's data, checked: its inputs and targets, their row sizes and lengths, the validation rows. */
export interface FitData {
  plan: ReturnType<Model['plan']>;
  xs: CheckedInputs;
  ys: (Targets | undefined)[];
  xCols: number[];
  yCols: number[];
  xLengths: number[];
  yLengths: number[];
  /** The rows trained on: all given, less those split off for validation. */
  trainRows: number;
  val?: Validation;
}

export function fitData(model: Model, xIn: InputsLike, yIn: TargetsLike, args: FitArgs, split: number): FitData {
  const engine = engineOf(model);
  const xs = model.checkedInputs('fit()', xIn);
  const rowsIn = xs[0].rows;
  const ys = model.checkedTargets('fit()', yIn, rowsIn);
  const plan = model.plan();
  const xCols = xs.map((x) => shapeSize(x.shape));
  // Values of y per sample: the output's size, or one label per position of its last axis.
  const yCols = ys.map((y, o) =>
    y === undefined ? 0 : y instanceof Int32Array ? engine.lossDims(1, o)[0] : shapeSize(model.outputShapes[o]),
  );
  const xLengths = xs.map((x) => x.data.length);
  const yLengths = ys.map((y) => y?.length ?? 0);
  const checked = { plan, xs, ys, xCols, yCols, xLengths, yLengths };
  const { trainRows, val } = splitValidation(model, checked, rowsIn, args, split);
  if (trainRows === 0) throw new Error(`fit(): 'x' has no rows`);
  return { ...checked, trainRows, val };
}

/** Validation rows: explicit data, or the last fraction of the `rows` given (before any shuffling). */
function splitValidation(
  model: Model,
  data: Pick<FitData, 'xs' | 'ys' | 'xCols' | 'yCols'>,
  rows: number,
  args: FitArgs,
  split: number,
): { trainRows: number; val?: Validation } {
  if (args.validationData) {
    if (!Array.isArray(args.validationData) || args.validationData.length !== 2)
      throw new Error(`fit(): 'validationData' must be [x, y]`);
    const vx = model.checkedInputs('fit(): validationData', args.validationData[0]);
    const vy = model.checkedTargets('fit(): validationData', args.validationData[1], vx[0].rows);
    return { trainRows: rows, val: { x: vx.map((v) => v.data), rows: vx[0].rows, y: vy.map(orEmpty) } };
  }
  if (!(split > 0)) return { trainRows: rows };
  const nVal = Math.floor(rows * split);
  if (nVal < 1 || nVal >= rows)
    throw new Error(`fit(): validationSplit ${split} of ${rows} rows leaves no training or no validation rows`);
  const trainRows = rows - nVal;
  const val = {
    x: data.xs.map((x, i) => x.data.subarray(trainRows * data.xCols[i])),
    rows: nVal,
    y: data.ys.map((y, o) => (y ? (y.subarray(trainRows * data.yCols[o]) as Targets) : EMPTY)),
  };
  return { trainRows, val };
}

function orEmpty(t: Targets | undefined): Targets {
  return t ?? EMPTY;
}

/** fit reads x and y in place: a transferred, detached or resized array stops it, naming the array. */
export function checkUnchanged(
  data: Pick<FitData, 'xs' | 'ys' | 'xLengths' | 'yLengths'>,
  inputNames: readonly string[],
  outputNames: readonly string[],
  epoch: number,
  step: number,
): void {
  const { xs, ys, xLengths, yLengths } = data;
  let which: string | undefined;
  for (let i = 0; i < xs.length && !which; i++)
    if (xs[i].data.length !== xLengths[i]) which = xs.length > 1 ? `x (input '${inputNames[i]}')` : 'x';
  for (let o = 0; o < ys.length && !which; o++)
    if ((ys[o]?.length ?? 0) !== yLengths[o]) which = ys.length > 1 ? `y (output '${outputNames[o]}')` : 'y';
  if (!which) return;
  throw new Error(
    `fit(): '${which}' was transferred, detached or resized while fit was reading it (epoch ${epoch + 1}, batch ` +
      `${step + 1}). fit reads x and y in place: copy them first if other code may change them during training`,
  );
}
