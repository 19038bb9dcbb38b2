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
  sameOrDisjoint,
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

/** An Int32Array argument's values, each checked to be an integer in [0, bound) (a code) or a dim (bound null). */
function intValues(op: string, name: string, a: Int32Array, bound: number | null, what: string): number[] {
  // Read once into a copy: another thread may rewrite shared memory while the op runs.
  const out = Array.from(a);
  out.forEach((v, i) => {
    if (v < 0 || (bound !== null && v >= bound)) {
      throw new RangeError(`${op}(): '${name}'[${i}] = ${v} is not ${what}`);
    }
  });
  return out;
}

/**
 * Checks a call of a table op; returns its dims by name. Shape and code arrays are read once: their checked
 * values are returned in `values` (kernels then use those, never re-read memory another thread may change).
 */
export function checkTableCall(op: OpName, args: ArrayLike<unknown>, values: Record<string, number[]> = {}): Sizes {
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
        if (spec.max !== undefined && sizes[spec.name] > spec.max) {
          throw new RangeError(`${op}(): '${spec.name}' must be at most ${spec.max}, got ${sizes[spec.name]}`);
        }
        break;
      case 'num':
        numArg(op, spec.name, v);
        break;
      case 'act':
        actCode(op, spec.name, v);
        break;
      case 'code':
        opCode(op, spec.name, v, spec.count!);
        break;
      case 'int32s':
      case 'shape':
      case 'codes':
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
  const lengthOf = (spec: ArgSpec) =>
    product(
      op,
      spec.length!,
      ...spec.length!.split('*').map((f) => {
        if (/^[0-9]+$/.test(f)) return Number(f);
        if (f.startsWith('#')) return product(op, spec.length!, ...values[f.slice(1)]);
        return sizes[f];
      }),
    );
  // Shapes and codes first (their lengths are dims): the lengths of the arrays they size follow from them.
  specs.forEach((spec, i) => {
    if (spec.kind !== 'shape' && spec.kind !== 'codes') return;
    const a = args[i] as Int32Array;
    lengthIs(op, spec.name, a, lengthOf(spec), spec.length!);
    values[spec.name] =
      spec.kind === 'shape'
        ? intValues(op, spec.name, a, MAX_DIM + 1, 'a dimension (≥ 0)')
        : intValues(op, spec.name, a, spec.count!, `an op code 0..${spec.count! - 1}`);
  });
  specs.forEach((spec, i) => {
    if (spec.length === undefined || spec.length === null || args[i] === null) return;
    if (spec.kind === 'shape' || spec.kind === 'codes') return;
    lengthIs(op, spec.name, args[i] as { length: number }, lengthOf(spec), spec.length);
  });
  const marked = specs.some((s) => s.out);
  const specOf = (name: string) => specs.find((s) => s.name === name)!;
  for (let a = 0; a < arrays.length; a++) {
    for (let b = 0; b < a; b++) {
      const [sa, sb] = [specOf(arrays[a][0]), specOf(arrays[b][0])];
      if (marked && !sa.out && !sb.out) continue;
      const [o, i] = sa.out ? [arrays[a], arrays[b]] : [arrays[b], arrays[a]];
      if ((sa.out ? sa : sb).alias?.includes(i[0])) sameOrDisjoint(op, o[0], o[1], i[0], i[1]);
      else noOverlap(op, o[0], o[1], i[0], i[1]);
    }
  }
  return sizes;
}

function opCode(op: string, name: string, v: unknown, count: number): number {
  if (typeof v !== 'number') throw new TypeError(`${op}(): '${name}' must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < 0 || v >= count) {
    throw new RangeError(`${op}(): '${name}' must be an op code 0..${count - 1}, got ${v}`);
  }
  return v;
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
