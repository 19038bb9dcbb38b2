/**
 * Class labels: integers stored as Int32. Every conversion from numbers goes through here, because
 * `Int32Array.from` silently truncates 0.54 to 0 and wraps 2^32 + 1 to 1 — a regression target or a bad
 * value would train as the wrong class instead of failing.
 */
import { preview } from '../quote';

/** The largest class index an Int32 label can hold. */
export const MAX_LABEL = 2 ** 31 - 1;

/** Whether `v` is a valid class label: an integer in [0, MAX_LABEL]. */
export function isLabel(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_LABEL;
}

/**
 * Checks integer class labels and copies them into an Int32Array; `who` names the argument in errors.
 * @example
 * toLabels([0, 2, 1], "jobs.train(): 'data.y'")  // Int32Array [0, 2, 1]
 * toLabels([0, 2 ** 32 + 1], "'y'")               // throws: 'y'[1] is 4294967297; labels must be integers in …
 */
export function toLabels(values: ArrayLike<unknown>, who: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isLabel(v)) {
      throw new Error(
        `${who}[${i}] is ${preview(v)}; class labels must be ` +
          `integers in [0, ${MAX_LABEL}] (for a numeric target to regress on, give a one-column matrix)`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Whether every value is a number with no fractional part (the test for "labels, not a quantity"). */
export function allIntegers(values: ArrayLike<unknown>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isInteger(values[i])) return false;
  return true;
}
