/**
 * Arrays for a model with several inputs or outputs, keyed by name as model.fit takes them: `data: { x: { features:
 * rows, tokens: rows }, y: { cls: labels, price: values } }`. Checked on the submitting thread against the model's
 * inputs and outputs (every one given once, each sample the size its layer takes, int32 inputs integral, labels
 * integers, all with one row count) and moved into shared memory once; the worker checks the names again.
 */
import { toLabels } from '../data/labels';
import { formatShape, shapeSize, type Shape } from '../layers/shape';
import { tensor, toTensor, type Tensor } from '../model/tensor';
import { clipText } from '../quote';
import type { ModelSignature } from './data-map';
import type { JobData, SharedMatrix } from './protocol';

type Entry = { name: string; size: number; shape: Shape; int32?: boolean; sparse?: boolean };
const q = (s: string) => `'${clipText(s, 64)}'`;
const isPlain = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && !('data' in v && 'shape' in v);

/** Whether `data` is `{ x: { name: … }, y: … }` (arrays by input name) rather than `{ x: rows, y }`. */
export function isMappedArrays(data: unknown): boolean {
  return isPlain(data) && 'x' in data && isPlain(data.x);
}

/** The names given in `given` checked against `wanted` (every one once, no other). */
function byName(given: unknown, field: string, wanted: Entry[] | undefined, kind: string): [string, unknown][] {
  if (!isPlain(given)) throw new Error(`jobs.train(): '${field}' must be an object keyed by the model's ${kind} names`);
  const entries = Object.entries(given);
  if (entries.length === 0) throw new Error(`jobs.train(): '${field}' is empty`);
  if (!wanted) return entries;
  const names = wanted.map((w) => q(w.name)).join(', ');
  for (const [k] of entries)
    if (!wanted.some((w) => w.name === k))
      throw new Error(`jobs.train(): '${field}' names ${q(k)}, which is not one of the model's ${kind}s ${names}`);
  for (const w of wanted)
    if (!Object.prototype.hasOwnProperty.call(given, w.name))
      throw new Error(`jobs.train(): '${field}' has no entry for the ${kind} ${q(w.name)}; give '${field}.${w.name}'`);
  return wanted.map((w) => [w.name, given[w.name]]);
}

/** Copies an array into shared memory once, for a zero-copy hand-over. */
function shared(a: Float32Array | Float64Array | Int32Array, shape: [number, number]): SharedMatrix {
  const kind = a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'float32';
  const buf = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buf).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return { buffer: buf, byteOffset: 0, length: a.length, kind, shape };
}

/** Labels given flat (Int32Array, number[]) or as a tensor / nested arrays of one label per position. */
function labelsOf(v: unknown, who: string): Int32Array {
  if (v instanceof Int32Array || (Array.isArray(v) && (v.length === 0 || !Array.isArray(v[0]))))
    return toLabels(v, who);
  return toLabels(toTensor(v, who, 'float32').data, who);
}

/**
 * Checks `{ x, y }` keyed by name against `signature` (when known: a saved model's is checked in the worker)
 * and moves it into shared memory.
 * @example prepareMappedArrays({ features: X, tokens: T }, { cls: labels, price: P }, signature)
 */
export function prepareMappedArrays(
  x: unknown,
  y: unknown,
  signature: ModelSignature | undefined,
): { data: JobData; rows: number } {
  const ins = signature?.inputs.map((i) => ({
    name: i.name,
    size: shapeSize(i.shape),
    shape: i.shape,
    int32: i.int32,
  }));
  const outs = signature?.outputs
    .filter((o) => o.sparse !== undefined)
    .map((o) => {
      const size = o.sparse ? shapeSize(o.shape) / o.shape[o.shape.length - 1] : shapeSize(o.shape);
      return { name: o.name, size, shape: o.shape, sparse: o.sparse };
    });
  let rows = -1;
  const sameRows = (n: number, field: string) => {
    if (rows >= 0 && n !== rows)
      throw new Error(`jobs.train(): '${field}' has ${n} rows but the other entries ${rows}`);
    rows = n;
  };
  const xs = byName(x, 'data.x', ins, 'input').map(([name, v], i): [string, SharedMatrix] => {
    const field = `data.x.${name}`;
    const t = toTensor(v, `jobs.train(): '${field}'`, 'float32'); // copies as float32, every value finite
    const size = shapeSize(t.shape.slice(1));
    sameRows(t.shape[0], field);
    const w = ins?.[i];
    if (w && size !== w.size)
      throw new Error(
        `jobs.train(): '${field}' has samples of shape ${formatShape(t.shape.slice(1))} but the input ${q(name)} ` +
          `takes shape ${formatShape(w.shape)}`,
      );
    if (w?.int32)
      for (let j = 0; j < t.data.length; j++) {
        const v = t.data[j];
        if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1)
          throw new Error(`jobs.train(): '${field}': value ${j} is ${v}, but the input ${q(name)} is int32 (integers)`);
      }
    return [name, shared(t.data as Float32Array, [t.shape[0], size])];
  });
  const ys = byName(y, 'data.y', outs, 'output (with a loss)').map(([name, v], i): [string, SharedMatrix] => {
    const field = `data.y.${name}`;
    const w = outs?.[i];
    const flat = v instanceof Int32Array || (Array.isArray(v) && (v.length === 0 || !Array.isArray(v[0])));
    if (w?.sparse || (!w && v instanceof Int32Array)) {
      const labels = labelsOf(v, `jobs.train(): '${field}'`);
      const per = w?.size ?? 1;
      if (labels.length % per !== 0 || (rows >= 0 && labels.length !== rows * per))
        throw new Error(
          `jobs.train(): '${field}' has ${labels.length} labels; the output ${q(name)} takes ${per} per sample` +
            (rows >= 0 ? ` (${rows * per} for ${rows} rows)` : ''),
        );
      sameRows(labels.length / per, field);
      return [name, shared(labels, [labels.length / per, per])];
    }
    // A flat list is one value per sample (a regression column).
    const t = flat
      ? toTensor(
          { data: Array.from(v as ArrayLike<number>), shape: [(v as ArrayLike<number>).length, 1] },
          `jobs.train(): '${field}'`,
          'float32',
        )
      : toTensor(v, `jobs.train(): '${field}'`, 'float32');
    const size = shapeSize(t.shape.slice(1));
    sameRows(t.shape[0], field);
    if (w && size !== w.size)
      throw new Error(
        `jobs.train(): '${field}' has samples of ${size} value(s) but the output ${q(name)} has shape ` +
          `${formatShape(w.shape)}`,
      );
    return [name, shared(t.data as Float32Array, [t.shape[0], size])];
  });
  return { data: { kind: 'arraysMap', x: xs, y: ys, rows }, rows };
}

/** A view of a shared matrix. */
function view(m: SharedMatrix): Float32Array | Float64Array | Int32Array {
  const C = m.kind === 'float64' ? Float64Array : m.kind === 'int32' ? Int32Array : Float32Array;
  return new C(m.buffer as ArrayBuffer, m.byteOffset, m.length);
}

/**
 * The worker's side: the arrays by name, checked again against the model (names, sizes), shaped as its inputs
 * and outputs take them.
 */
export function mappedArrays(
  data: Extract<JobData, { kind: 'arraysMap' }>,
  signature: ModelSignature,
): { x: Record<string, Tensor>; y: Record<string, Tensor | Int32Array> } {
  const x: Record<string, Tensor> = {};
  const y: Record<string, Tensor | Int32Array> = {};
  const xs = byName(
    Object.fromEntries(data.x),
    'data.x',
    signature.inputs.map((i) => ({ ...i, size: shapeSize(i.shape) })),
    'input',
  );
  for (const [name, m] of xs as [string, SharedMatrix][]) {
    const shape = signature.inputs.find((i) => i.name === name)!.shape;
    if (m.shape[1] !== shapeSize(shape))
      throw new Error(
        `jobs.train(): 'data.x.${name}' has ${m.shape[1]} values per sample; the input takes ${formatShape(shape)}`,
      );
    x[name] = tensor(view(m), [m.shape[0], ...shape]);
  }
  const withLoss = signature.outputs.filter((o) => o.sparse !== undefined);
  const ys = byName(
    Object.fromEntries(data.y),
    'data.y',
    withLoss.map((o) => ({ ...o, size: 0 })),
    'output (with a loss)',
  );
  for (const [name, m] of ys as [string, SharedMatrix][]) {
    const v = view(m);
    const out = withLoss.find((o) => o.name === name)!;
    if (v instanceof Int32Array) y[name] = v;
    else if (m.shape[1] !== shapeSize(out.shape))
      throw new Error(
        `jobs.train(): 'data.y.${name}' has ${m.shape[1]} values per sample; the output has shape ` +
          formatShape(out.shape),
      );
    else y[name] = tensor(v, [m.shape[0], ...out.shape]);
  }
  return { x, y };
}
