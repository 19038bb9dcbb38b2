/**
 * Argument checks for the JS backend. They mirror the native addon's checks (native/args.h) so that
 * one bad-input table holds for both backends: TypeError for wrong types / counts / kinds, RangeError for
 * bad dims, mismatched lengths, overflow and forbidden aliasing. Messages start with `<op>(): `.
 */
import { ACTIVATION_COUNT } from '../activations';
import type { FloatArray } from '../ops';

export const MAX_DIM = 2 ** 31 - 1;

export function argCount(op: string, got: number, want: number): void {
  if (got !== want) throw new TypeError(`${op}(): expected ${want} arguments, got ${got}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a plain array';
  if (ArrayBuffer.isView(v)) return (v as object).constructor.name;
  return typeof v;
}

/** A Float32Array or Float64Array of the same kind as `kind` (when given). */
export function floatArg(op: string, name: string, v: unknown, kind?: FloatArray): FloatArray {
  if (!(v instanceof Float32Array) && !(v instanceof Float64Array)) {
    throw new TypeError(`${op}(): '${name}' must be a Float32Array or Float64Array, got ${describe(v)}`);
  }
  if (kind && v.constructor !== kind.constructor) {
    throw new TypeError(
      `${op}(): '${name}' is a ${v.constructor.name} but the other arrays are ${kind.constructor.name}; ` +
        `use one float type per call`,
    );
  }
  return v;
}

export function optFloatArg(op: string, name: string, v: unknown, kind: FloatArray): FloatArray | null {
  if (v === null) return null;
  return floatArg(op, name, v, kind);
}

export function int32Arg(op: string, name: string, v: unknown): Int32Array {
  if (!(v instanceof Int32Array)) throw new TypeError(`${op}(): '${name}' must be an Int32Array, got ${describe(v)}`);
  return v;
}

export function dimArg(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${op}(): '${name}' must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 0 || v > MAX_DIM) {
    throw new RangeError(`${op}(): '${name}' must be an integer in [0, 2^31-1], got ${v}`);
  }
  return v;
}

export function numArg(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${op}(): '${name}' must be a number, got ${describe(v)}`);
  return v;
}

export function boolArg(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${op}(): '${name}' must be a boolean, got ${describe(v)}`);
  return v;
}

export function actArg(op: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${op}(): 'act' must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 0 || v >= ACTIVATION_COUNT) {
    throw new RangeError(`${op}(): 'act' must be an activation code 0..${ACTIVATION_COUNT - 1}, got ${v}`);
  }
  return v;
}

/** Exact length check; `dims` is the human-readable shape (e.g. 'm*n'). */
export function lengthIs(op: string, name: string, a: { length: number }, want: number, dims: string): void {
  if (a.length !== want) {
    throw new RangeError(`${op}(): '${name}' has length ${a.length} but ${dims} = ${want}`);
  }
}

/** Product of dims, RangeError when it exceeds what an array may hold (2^53 guards exactness). */
export function product(op: string, dims: string, ...xs: number[]): number {
  let p = 1;
  for (const x of xs) {
    p *= x;
    if (p > Number.MAX_SAFE_INTEGER) throw new RangeError(`${op}(): ${dims} overflows`);
  }
  return p;
}

export function noOverlap(op: string, nameA: string, a: ArrayBufferView, nameB: string, b: ArrayBufferView): void {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return;
  const a0 = a.byteOffset,
    a1 = a0 + a.byteLength,
    b0 = b.byteOffset,
    b1 = b0 + b.byteLength;
  if (a0 < b1 && b0 < a1) {
    throw new RangeError(`${op}(): '${nameA}' and '${nameB}' overlap in memory; pass separate arrays`);
  }
}

/** Like noOverlap, but allows the two to be exactly the same view (documented in-place ops). */
export function sameOrDisjoint(op: string, nameA: string, a: ArrayBufferView, nameB: string, b: ArrayBufferView): void {
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength) return;
  noOverlap(op, nameA, a, nameB, b);
}

/**
 * The aliasing rules of a fused layer backward (denseBackward, conv2dBackward): dz may be dy itself (the
 * gradient is then computed in place) but must not partly overlap it; no output (dz, dw, db, dx) overlaps an
 * input (x, w, z, y) or another output; dw, db and dx overlap neither dz nor dy.
 */
export function checkFusedBackwardOverlaps(
  op: string,
  ins: { x: FloatArray; w: FloatArray; z: FloatArray; y: FloatArray },
  dy: FloatArray,
  outs: { dz: FloatArray; dw: FloatArray; db: FloatArray | null; dx: FloatArray | null },
): void {
  sameOrDisjoint(op, 'dz', outs.dz, 'dy', dy);
  const outList = Object.entries(outs);
  for (const [on, o] of outList) {
    if (!o) continue;
    for (const [inName, i] of Object.entries(ins)) noOverlap(op, on, o, inName, i);
    for (const [on2, o2] of outList) if (o2 && on2 !== on && on !== 'dz' && on2 !== 'dz') noOverlap(op, on, o, on2, o2);
    if (on !== 'dz') {
      noOverlap(op, on, o, 'dz', outs.dz);
      noOverlap(op, on, o, 'dy', dy);
    }
  }
}
