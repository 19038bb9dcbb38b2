/**
 * Dataset elements: numbers, strings, typed arrays, tensors (`{ data, shape, dtype }`), and arrays or plain
 * objects of these (as `{ xs, ys }`). `stack` makes a batch of elements (what `batch` does) and `copyElement`
 * gives an element its own memory (what `shuffle`, `cache` and plain iteration do with borrowed elements).
 */
import type { BatchTensor } from '../../fit/dataset-protocol';

export type { BatchTensor } from '../../fit/dataset-protocol';

type Numeric = Float32Array | Float64Array | Int32Array;

/** The batch of a dataset of `T`: numbers and vectors become tensors, strings lists, records per key. */
export type Batched<T> = T extends number
  ? BatchTensor
  : T extends string
    ? string[]
    : T extends Numeric | BatchTensor | number[]
      ? BatchTensor
      : T extends readonly unknown[]
        ? { [K in keyof T]: Batched<T[K]> }
        : T extends object
          ? { [K in keyof T]: Batched<T[K]> }
          : unknown;

/** Most nesting of arrays and records in an element (deeper is refused: a cycle or a mistake). */
const MAX_DEPTH = 16;

export function isNumericArray(v: unknown): v is Numeric {
  return v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array;
}

/** A tensor: `{ data: Float32Array | Float64Array | Int32Array, shape: number[] }` whose sizes agree. */
export function isTensor(v: unknown): v is BatchTensor {
  if (!v || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const t = v as BatchTensor;
  return isNumericArray(t.data) && Array.isArray(t.shape);
}

function dtypeOf(a: Numeric): BatchTensor['dtype'] {
  return a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'float32';
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

const isNumberList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');

/** A deep copy of an element: every typed array gets its own memory; numbers and strings are shared. */
export function copyElement<T>(v: T, depth = 0): T {
  if (depth > MAX_DEPTH) throw new Error(`dataset: an element is nested more than ${MAX_DEPTH} levels deep`);
  if (isNumericArray(v)) return v.slice() as T;
  if (isTensor(v)) return { ...v, data: v.data.slice(), shape: [...v.shape] } as T;
  if (Array.isArray(v)) return v.map((x) => copyElement(x, depth + 1)) as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = copyElement(x, depth + 1);
    return out as T;
  }
  return v;
}

const where = (path: string) => (path ? ` at '${path}'` : '');
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (isTensor(v)) return `a tensor of shape [${v.shape}]`;
  return typeof v;
}

/**
 * Stacks `items` (elements of the same structure) into one batch: numbers → a float32 tensor [n], number
 * lists and typed arrays → [n, length] (int32 for Int32Array), tensors of shape s → [n, ...s], strings →
 * string[], arrays with other content and plain objects → stacked entry by entry. Every element must have
 * the structure and shapes of the first; an error names the element and where it differs.
 * @example stack([{ xs: [1, 2], ys: 0 }, { xs: [3, 4], ys: 1 }]) // { xs: [2, 2] tensor, ys: [2] tensor }
 */
export function stack(items: unknown[], who = 'batch()', path = '', depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new Error(`${who}: an element is nested more than ${MAX_DEPTH} levels deep`);
  const first = items[0];
  const n = items.length;
  const mismatch = (i: number, what: string) =>
    new Error(
      `${who}: element ${i} of the batch is ${describe(items[i])}${where(path)} but element 0 is ${what}; the ` +
        `elements of a batch must have the same structure and shapes`,
    );
  if (typeof first === 'number') {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = items[i];
      if (typeof v !== 'number') throw mismatch(i, 'a number');
      data[i] = v;
    }
    return { data, shape: [n], dtype: 'float32' } satisfies BatchTensor;
  }
  if (typeof first === 'string') {
    for (let i = 0; i < n; i++) if (typeof items[i] !== 'string') throw mismatch(i, 'a string');
    return items.slice() as string[];
  }
  if (isNumericArray(first) || isTensor(first) || isNumberList(first)) {
    const sample = isTensor(first) ? first.shape : [first.length];
    const per = isTensor(first) ? first.data.length : first.length;
    const C = isTensor(first)
      ? (first.data.constructor as new (n: number) => Numeric)
      : isNumericArray(first)
        ? (first.constructor as new (n: number) => Numeric)
        : Float32Array;
    const data = new C(n * per);
    const what = isTensor(first) ? `a tensor of shape [${sample}]` : describe(first);
    for (let i = 0; i < n; i++) {
      const v = items[i];
      let values: ArrayLike<number>;
      if (isTensor(first)) {
        if (!isTensor(v) || v.shape.join() !== sample.join()) throw mismatch(i, what);
        values = v.data;
      } else if (isNumericArray(first)) {
        if (!isNumericArray(v)) throw mismatch(i, what);
        values = v;
      } else {
        if (!isNumberList(v)) throw mismatch(i, what);
        values = v;
      }
      if (values.length !== per) throw mismatch(i, what);
      data.set(values, i * per);
    }
    return { data, shape: [n, ...sample], dtype: dtypeOf(data) } satisfies BatchTensor;
  }
  if (Array.isArray(first)) {
    const len = first.length;
    for (let i = 0; i < n; i++) {
      const v = items[i];
      if (!Array.isArray(v) || v.length !== len) throw mismatch(i, `an array of ${len}`);
    }
    return first.map((_, j) =>
      stack(
        items.map((v) => (v as unknown[])[j]),
        who,
        `${path}[${j}]`,
        depth + 1,
      ),
    );
  }
  if (isPlainObject(first)) {
    const keys = Object.keys(first);
    for (let i = 0; i < n; i++) {
      const v = items[i];
      if (!isPlainObject(v) || Object.keys(v).length !== keys.length || keys.some((k) => !(k in v)))
        throw mismatch(i, `an object with keys ${keys.join(', ')}`);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys)
      out[k] = stack(
        items.map((v) => (v as Record<string, unknown>)[k]),
        who,
        path ? `${path}.${k}` : k,
        depth + 1,
      );
    return out;
  }
  throw new Error(
    `${who}: cannot batch ${describe(first)}${where(path)}; elements must be numbers, strings, typed arrays, ` +
      `tensors ({ data, shape }), or arrays and objects of these`,
  );
}
