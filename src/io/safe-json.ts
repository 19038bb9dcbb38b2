/**
 * Untrusted-JSON helpers for the loader: parsing that rejects prototype-polluting keys, and typed field
 * readers whose errors say which file and which field was wrong.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export class FormatError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ModelFormatError';
  }
}

export function parseUntrustedJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text, (key, value) => {
      if (FORBIDDEN_KEYS.has(key)) throw new FormatError(file, `forbidden key '${key}' in JSON`);
      return value;
    });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(file, `not valid JSON (${(e as Error).message})`);
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
      this.fail(where, `'${s}' is not supported; expected one of ${allowed.join(', ')}`);
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
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'number') return String(v);
  return typeof v;
}
