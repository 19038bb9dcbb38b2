/**
 * Inputs and targets of models with several inputs or outputs: arrays in the order of `model.inputs` /
 * `model.outputs`, or objects keyed by input / output name (as TF.js and Keras take them). A model with one
 * input takes its data as it is (a tensor or nested arrays), or as a one-entry list or object. Each entry is
 * then checked by checkX / checkY (inputs.ts).
 */
import type { DType, FloatArray } from '../backend/ops';
import type { Targets } from '../training/contracts';
import type { Shape } from '../layers/shape';
import { checkX, checkY, type Inputs, type InputLike, type TargetLike } from './inputs';

/** Several inputs: an array in the order of `model.inputs`, or an object keyed by input name. */
export type InputsLike = InputLike | InputLike[] | Record<string, InputLike>;
/** Several outputs' targets: an array in the order of `model.outputs`, or an object keyed by output name. */
export type TargetsLike = TargetLike | TargetLike[] | Record<string, TargetLike>;

function isTensorLike(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && 'data' in v && 'shape' in v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && !isTensorLike(v);
}

/**
 * The entries of `value` for `names` (inputs or outputs), in order: `what` is 'x' or 'y'. One name: the value
 * itself unless it is a one-entry list of a tensor or an object keyed by that name.
 */
export function splitByName(method: string, what: string, value: unknown, names: readonly string[]): unknown[] {
  const kind = what === 'x' ? 'input' : 'output';
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    for (const k of keys) {
      if (!names.includes(k)) {
        throw new Error(
          `${method}: '${what}' has an entry '${k.slice(0, 64)}' but the model's ${kind}s are ` +
            `${names.map((n) => `'${n}'`).join(', ')}`,
        );
      }
    }
    return names.map((n) => {
      if (!(n in value)) throw new Error(`${method}: '${what}' has no entry for the ${kind} '${n}'`);
      return value[n];
    });
  }
  if (names.length === 1) {
    if (Array.isArray(value) && value.length === 1 && isTensorLike(value[0])) return [value[0]];
    return [value];
  }
  if (!Array.isArray(value) || value.length !== names.length) {
    throw new Error(
      `${method}: the model has ${names.length} ${kind}s (${names.map((n) => `'${n}'`).join(', ')}): give '${what}' ` +
        `as an array of ${names.length} in that order, or an object keyed by ${kind} name`,
    );
  }
  return value;
}

/** Checked inputs, one per model input, all with the same number of rows. */
export function checkInputs(
  method: string,
  x: unknown,
  names: readonly string[],
  shapes: readonly (Shape | undefined)[],
  dtype: DType,
  integral: readonly boolean[] = [],
): Inputs[] {
  if (x === undefined || x === null) {
    throw new Error(`${method}: 'x' is required (a tensor or nested arrays with one entry per sample)`);
  }
  const parts = splitByName(method, 'x', x, names);
  const out = parts.map((p, i) => {
    const where = names.length > 1 ? `${method}: input '${names[i]}'` : method;
    const checked = checkX(where, p, shapes[i], dtype);
    if (integral[i]) checkIntegral(where, checked.data);
    return checked;
  });
  for (let i = 1; i < out.length; i++) {
    if (out[i].rows !== out[0].rows) {
      throw new Error(
        `${method}: input '${names[i]}' has ${out[i].rows} rows but '${names[0]}' has ${out[0].rows}; they must match`,
      );
    }
  }
  return out;
}

/** An int32 input (token ids, class indices) takes integers only. */
function checkIntegral(where: string, data: FloatArray): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31) {
      throw new Error(`${where}: the input is int32 but value ${i} is ${v}; give integers (token ids, indices)`);
    }
  }
}

/** Checked targets, one per output with a loss (undefined for outputs without one). */
export function checkTargets(
  method: string,
  y: unknown,
  rows: number,
  names: readonly string[],
  shapes: readonly Shape[],
  sparse: readonly (boolean | undefined)[],
  dtype: DType,
): (Targets | undefined)[] {
  if (y === undefined || y === null) throw new Error(`${method}: 'y' is required (targets, one per sample of 'x')`);
  // Outputs without a loss take no targets: an array or object lists those with one.
  const withLoss = names.filter((_, o) => sparse[o] !== undefined);
  const given = splitByName(method, 'y', y, withLoss);
  const parts = names.map((n) => (withLoss.includes(n) ? given[withLoss.indexOf(n)] : undefined));
  return parts.map((p, o) => {
    if (sparse[o] === undefined) return undefined;
    const where = names.length > 1 ? `${method}: output '${names[o]}'` : method;
    return checkY(where, p as TargetLike, rows, shapes[o], sparse[o]!, dtype).data;
  });
}

/** Float data of each checked input. */
export function inputData(inputs: readonly Inputs[]): FloatArray[] {
  return inputs.map((i) => i.data);
}
