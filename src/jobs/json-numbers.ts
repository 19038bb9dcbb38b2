/**
 * Numbers in JSON as they are: JSON.stringify writes NaN, Infinity and -Infinity as `null`, so a validation
 * loss that overflowed would reach a queue client, a CLI's --json output or a service's client as null —
 * and be printed as 0. Here they are written as the strings 'NaN', 'Infinity' and '-Infinity', and read
 * back as numbers.
 */

/** The strings a non-finite number is written as. */
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * A JSON.stringify replacer writing non-finite numbers as 'NaN', 'Infinity' or '-Infinity'.
 * @example JSON.stringify({ loss: Infinity }, nonFiniteReplacer) // '{"loss":"Infinity"}'
 */
export function nonFiniteReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/**
 * JSON text of `value` with non-finite numbers kept as 'NaN', 'Infinity' or '-Infinity' (what queue
 * workers send, the CLI's --json prints and the example service answers).
 * @example bp.jobs.toJson({ val_loss: [0.5, Infinity] }) // '{"val_loss":[0.5,"Infinity"]}'
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, nonFiniteReplacer);
}

/**
 * A copy of a JSON-like value with non-finite numbers replaced by their strings, for a library that
 * stringifies it itself (BullMQ, for progress and return values).
 */
export function encodeNumbers<T>(value: T): T {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (!v || typeof v !== 'object' || depth > 64) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    // fromEntries, not assignment: a '__proto__' key read from JSON stays a key.
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, walk(x, depth + 1)]),
    );
  };
  return walk(value, 0) as T;
}

/**
 * A number read from JSON: a number, or one of the strings above. `null` reads as NaN: JSON.stringify
 * turns every non-finite number into null, so that is what a producer without this encoding sent.
 * Anything else is undefined (not a number).
 */
export function readNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === null) return NaN;
  return typeof v === 'string' && Object.hasOwn(NON_FINITE, v) ? NON_FINITE[v] : undefined;
}
