/**
 * Untrusted-JSON helpers for the loader: parsing that rejects prototype-polluting keys, and typed field
 * readers whose errors say which file and which field was wrong.
 */
import { quote } from '../quote';

/** Keys refused anywhere in a file (they could reach an object's prototype); save refuses them too. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * The deepest nesting of arrays and objects read from a file (Keras configs nest about 10 levels; a wrapped
 * recurrent layer's, 15). Deeper files are refused before parsing, naming this limit, and save refuses to
 * write a model whose metadata is deeper.
 */
export const MAX_JSON_DEPTH = 256;

export class FormatError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ModelFormatError';
  }
}

/**
 * How deep arrays and objects nest in JSON `text`, counted up to `limit + 1` (strings skipped; the text need not
 * be valid: JSON.parse checks that after). A loop, so a 5,000-deep file costs what its length does.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0,
    deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote, over escaped characters
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Refuses (an Error naming `where`) a value that the loader would refuse once written as JSON: nesting deeper
 * than `maxDepth` (a value that refers to itself never ends, and is refused the same way) or a forbidden key.
 * Walked with an explicit stack, so a deep value cannot overflow the call stack.
 */
export function checkJsonForFile(value: unknown, where: string, maxDepth = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > maxDepth) {
      throw new Error(
        `${where}: arrays and objects nest more than ${maxDepth} levels deep (or the value contains itself); ` +
          `the loader would refuse the file`,
      );
    }
    if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
    else
      for (const [k, x] of Object.entries(v)) {
        if (FORBIDDEN_KEYS.has(k)) throw new Error(`${where}: the key ${quote(k)} cannot be saved (files refuse it)`);
        stack.push([x, depth + 1]);
      }
  }
}

export function parseUntrustedJson(text: string, file: string): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new FormatError(
      file,
      `arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep (the limit for files read here); ` +
        `not a model file, or a damaged one`,
    );
  }
  try {
    return JSON.parse(text, (key, value) => {
      if (FORBIDDEN_KEYS.has(key)) throw new FormatError(file, `forbidden key ${quote(key)} in JSON`);
      return value;
    });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(file, `not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
}

export type Obj = Record<string, unknown>;

export class Reader {
  constructor(readonly file: string) {}
  fail(where: string, msg: string): never {
    throw new FormatError(this.file, `${where}: ${msg}`);
  }
  obj(v: unknown, where: string): Obj {
    if (!v || typeof v !== 'object' || Array.isArray(v)) this.fail(where, `expected an object, got ${describe(v)}`);
    return v as Obj;
  }
  arr(v: unknown, where: string, max = 1 << 20): unknown[] {
    if (!Array.isArray(v)) this.fail(where, `expected an array, got ${describe(v)}`);
    if (v.length > max) this.fail(where, `has ${v.length} entries (limit ${max})`);
    return v;
  }
  str(v: unknown, where: string, max = 1024): string {
    if (typeof v !== 'string') this.fail(where, `expected a string, got ${describe(v)}`);
    if (v.length > max) this.fail(where, `string longer than ${max} characters`);
    return v;
  }
  oneOf<T extends string>(v: unknown, where: string, allowed: readonly T[]): T {
    const s = this.str(v, where);
    if (!(allowed as readonly string[]).includes(s))
      this.fail(where, `${quote(s)} is not supported; expected one of ${allowed.join(', ')}`);
    return s as T;
  }
  bool(v: unknown, where: string): boolean {
    if (typeof v !== 'boolean') this.fail(where, `expected true or false, got ${describe(v)}`);
    return v;
  }
  num(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(where, `expected a finite number, got ${describe(v)}`);
    return v;
  }
  int(v: unknown, where: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      this.fail(where, `expected an integer in [${min}, ${max}], got ${describe(v)}`);
    }
    return v;
  }
  /** A shape: safe non-negative integers, product overflow-checked against `maxElements`. */
  shape(v: unknown, where: string, maxElements: number): { shape: number[]; size: number } {
    const a = this.arr(v, where, 8);
    let size = 1;
    const shape = a.map((d, i) => {
      const n = this.int(d, `${where}[${i}]`, 0, maxElements);
      size *= n;
      if (size > maxElements) this.fail(where, `shape [${a.join(', ')}] has more than ${maxElements} elements`);
      return n;
    });
    return { shape, size };
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return quote(v, 40);
  if (typeof v === 'number') return String(v);
  return typeof v;
}
