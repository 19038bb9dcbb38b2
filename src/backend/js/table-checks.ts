/**
 * Argument checks driven by the op table, for the sequence-model ops: the argument count, each argument by
 * its kind (the same messages as validate.ts, which mirrors native/args.h), every array's length against the
 * product of sizes the table gives it, and no two arrays overlapping in memory. Index values are checked
 * where the kernels read them (each once), not here.
 */
import { ACTIVATION_COUNT, ACTIVATION_NAMES } from '../activations';
import type { FloatArray } from '../ops';
import { OP_TABLE, type ArgSpec, type OpName } from '../op-table';
import {
  argCount,
  boolArg,
  dimArg,
  floatArg,
  int32Arg,
  lengthIs,
  noOverlap,
  numArg,
  optFloatArg,
  product,
  MAX_DIM,
} from './validate';

/** The checked sizes of a call (its dim arguments, by name). */
export type Sizes = Record<string, number>;

function actCode(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${op}(): '${name}' must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < 0 || v >= ACTIVATION_COUNT) {
    throw new RangeError(`${op}(): '${name}' must be an activation code 0..${ACTIVATION_COUNT - 1}, got ${v}`);
  }
  return v;
}

/** Checks a call of a table op; returns its dims by name. */
export function checkTableCall(op: OpName, args: ArrayLike<unknown>): Sizes {
  const specs: readonly ArgSpec[] = OP_TABLE[op].args;
  argCount(op, args.length, specs.length);
  const sizes: Sizes = {};
  let like: FloatArray | undefined;
  const arrays: [string, ArrayBufferView][] = [];
  specs.forEach((spec, i) => {
    const v = args[i];
    switch (spec.kind) {
      case 'bool':
        boolArg(op, spec.name, v);
        break;
      case 'dim':
        sizes[spec.name] = dimArg(op, spec.name, v);
        break;
      case 'num':
        numArg(op, spec.name, v);
        break;
      case 'act':
        actCode(op, spec.name, v);
        break;
      case 'int32s':
        arrays.push([spec.name, int32Arg(op, spec.name, v)]);
        break;
      case 'floats':
      case 'optFloats': {
        const a = spec.kind === 'floats' ? floatArg(op, spec.name, v, like) : optFloatArg(op, spec.name, v, like!);
        if (a) {
          like ??= a;
          arrays.push([spec.name, a]);
        }
        break;
      }
    }
  });
  specs.forEach((spec, i) => {
    if (spec.length === undefined || spec.length === null || args[i] === null) return;
    const factors = spec.length.split('*').map((f) => (/^[0-9]+$/.test(f) ? Number(f) : sizes[f]));
    lengthIs(op, spec.name, args[i] as { length: number }, product(op, spec.length, ...factors), spec.length);
  });
  for (let a = 0; a < arrays.length; a++) {
    for (let b = 0; b < a; b++) noOverlap(op, arrays[a][0], arrays[a][1], arrays[b][0], arrays[b][1]);
  }
  return sizes;
}

/**
 * RangeError unless every product fits the int dimensions BLAS takes (the native backend's limit; the JS
 * backend applies it too, so both refuse the same calls).
 */
export function checkBlasDims(op: string, dims: [string, number][]): void {
  for (const [what, v] of dims) {
    if (v > MAX_DIM) throw new RangeError(`${op}(): ${what} = ${v} exceeds 2^31-1`);
  }
}

/** The activations whose derivative is a function of their output, which the recurrent ops accept. */
export function recurrentActivationError(op: string, name: string, code: number, allowed: readonly number[]): void {
  if (!allowed.includes(code)) {
    throw new RangeError(
      `${op}(): '${name}' must be one of ${allowed.map((c) => ACTIVATION_NAMES[c]).join(', ')} ` +
        `(activations whose derivative follows from their output), got ${ACTIVATION_NAMES[code]}`,
    );
  }
}
