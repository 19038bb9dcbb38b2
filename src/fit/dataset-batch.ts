/**
 * A dataset's batch, checked and made ready for a training step: `xs` against the model's input shape,
 * `ys` against its output and loss (class labels for sparse losses, each checked to be an integer in
 * range, since a kernel indexes with them), every value finite. Arrays of the model's dtype are used in
 * place — a file dataset's batch slot goes to the step as it is; anything else (a float32 batch for a
 * float64 model, labels given as floats) is converted into staging buffers allocated once per batch size.
 * A model with several inputs or outputs takes `xs` / `ys` as records keyed by input / output name.
 */
import type { DType, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import { formatShape, sameShape, shapeSize, type Shape } from '../layers/shape';
import type { Targets } from '../training/contracts';
import type { BatchElement, BatchTensor } from './dataset-protocol';

/** A batch ready for the engine: one array per input and per output (bare when there is one). */
export interface ReadyBatch {
  x: FloatArray | FloatArray[];
  y: Targets | Targets[];
  rows: number;
  /** The per-sample input shape the batch has (to build an unbuilt model, which has one input). */
  sampleShape: number[];
}

/** What the checks need of the model. */
export interface BatchTarget {
  dtype: DType;
  inputNames: string[];
  /** Per input; [undefined] for an unbuilt model. */
  inputShapes: (Shape | undefined)[];
  /** Inputs whose values must be integers (token ids). */
  integral: boolean[];
  outputNames: string[];
  /** Per output; undefined for an unbuilt model. */
  outputShapes: Shape[] | undefined;
  /** Per output: whether its loss takes class labels; undefined for an output without a loss. */
  sparse: (boolean | undefined)[];
}

type AnyArray = Float32Array | Float64Array | Int32Array;

const isArray = (v: unknown): v is AnyArray =>
  v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array;

function tensorOf(v: unknown, what: string, where: string): { data: AnyArray; shape: number[] } {
  if (isArray(v)) return { data: v, shape: [v.length] };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const t = v as Partial<BatchTensor>;
    if ('data' in t && 'shape' in t) {
      if (!isArray(t.data) || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
        throw new Error(
          `${where}: '${what}' must be a tensor { data: Float32Array | Float64Array | Int32Array, shape }`,
        );
      let n = 1;
      for (const d of t.shape) n *= d;
      if (t.shape.length === 0 || n !== t.data.length)
        throw new Error(`${where}: '${what}' has ${t.data.length} values but shape [${t.shape}]`);
      return { data: t.data, shape: t.shape };
    }
    const keys = Object.keys(v);
    if (keys.length === 1) return tensorOf((v as Record<string, unknown>)[keys[0]], `${what}.${keys[0]}`, where);
    throw new Error(
      `${where}: '${what}' has ${keys.length} entries (${keys.slice(0, 5).join(', ')}); this model has one ` +
        `${what === 'xs' ? 'input' : 'output'}: give a tensor (models with several inputs and outputs take one ` +
        'entry each)',
    );
  }
  throw new Error(`${where}: '${what}' must be a tensor ({ data, shape }), got ${v === null ? 'null' : typeof v}`);
}

function checkFinite(a: AnyArray, what: string, where: string, perRow: number): void {
  if (a instanceof Int32Array) return;
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i]))
      throw new Error(
        `${where}: '${what}' has ${a[i]} in row ${Math.floor(i / perRow)}; remove or impute non-finite values`,
      );
}

/** Staging buffers, one set per input / output and batch size, for batches that cannot be used in place. */
export class Staging {
  private readonly floatBufs = new Map<string, FloatArray>();
  private readonly labels = new Map<string, Int32Array>();
  constructor(private readonly dtype: DType) {}
  floats(kind: 'x' | 'y', i: number, n: number): FloatArray {
    const key = `${kind}${i}:${n}`;
    let a = this.floatBufs.get(key);
    if (!a) this.floatBufs.set(key, (a = floatArray(this.dtype, n)));
    return a;
  }
  ints(i: number, n: number): Int32Array {
    const key = `${i}:${n}`;
    let a = this.labels.get(key);
    if (!a) this.labels.set(key, (a = new Int32Array(n)));
    return a;
  }
}

/**
 * The entries of a batch's `xs` or `ys` for the model's inputs or outputs, in order: with one, the tensor
 * itself (or a one-entry record); with several, a record keyed by name holding exactly those names.
 */
function entries(v: unknown, what: 'xs' | 'ys', names: string[], where: string): { value: unknown; what: string }[] {
  if (names.length === 1) return [{ value: v, what }];
  const kind = what === 'xs' ? 'input' : 'output';
  const list = names.map((n) => `'${n}'`).join(', ');
  if (!v || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v) || 'data' in v)
    throw new Error(
      `${where}: this model has ${names.length} ${kind}s (${list}): '${what}' must be a record of ` +
        `tensors keyed by ${kind} name`,
    );
  const rec = v as Record<string, unknown>;
  for (const k of Object.keys(rec))
    if (!names.includes(k))
      throw new Error(`${where}: '${what}' has an entry '${k.slice(0, 64)}' but the model's ${kind}s are ${list}`);
  return names.map((n) => {
    if (!(n in rec)) throw new Error(`${where}: '${what}' has no entry for the ${kind} '${n}'`);
    return { value: rec[n], what: `${what}.${n}` };
  });
}

/**
 * Checks one element and returns the arrays the step takes; `where` names the batch in errors
 * ("fitDataset(): epoch 2, batch 17").
 */
export function readyBatch(el: unknown, m: BatchTarget, staging: Staging, where: string): ReadyBatch {
  if (!el || typeof el !== 'object' || !('xs' in el))
    throw new Error(`${where}: an element must be { xs, ys } (a batch), got ${el === null ? 'null' : typeof el}`);
  const e = el as Partial<BatchElement>;
  if (e.ys === undefined)
    throw new Error(`${where}: the batch has no 'ys' (targets); a csvDataset needs a 'target' column to train on`);
  const xs: FloatArray[] = [];
  let rows = -1;
  let sampleShape: number[] = [];
  entries(e.xs, 'xs', m.inputNames, where).forEach(({ value, what }, i) => {
    const xt = tensorOf(value, what, where);
    if (rows < 0) {
      rows = xt.shape[0];
      if (rows < 1) throw new Error(`${where}: the batch has no rows`);
    } else if (xt.shape[0] !== rows)
      throw new Error(`${where}: '${what}' has ${xt.shape[0]} rows but '${m.inputNames[0]}' has ${rows}`);
    if (xt.shape.length < 2) throw new Error(`${where}: '${what}' must be [rows, ...features], got [${xt.shape}]`);
    const sample = xt.shape.slice(1);
    const want = m.inputShapes[i];
    if (want) {
      const flatOk = sample.length === 1 && sample[0] === shapeSize(want);
      if (!sameShape(sample, want) && !flatOk)
        throw new Error(
          `${where}: '${what}' has samples of shape ${formatShape(sample)} but the model's input shape is ` +
            `${formatShape(want)}`,
        );
    }
    checkFinite(xt.data, what, where, xt.data.length / rows);
    if (m.integral[i]) checkIntegral(xt.data, what, where, xt.data.length / rows);
    const sameType = m.dtype === 'float64' ? xt.data instanceof Float64Array : xt.data instanceof Float32Array;
    let x: FloatArray;
    if (sameType) x = xt.data as FloatArray;
    else {
      x = staging.floats('x', i, xt.data.length);
      x.set(xt.data);
    }
    xs.push(x);
    if (i === 0) sampleShape = want ? [...want] : sample;
  });
  const x = xs.length === 1 ? xs[0] : xs;
  if (!m.outputShapes) return { x, y: new Int32Array(0), rows, sampleShape };
  const ys = entries(e.ys, 'ys', m.outputNames, where).map(({ value, what }, o) =>
    m.sparse[o] === undefined
      ? new Int32Array(0) // an output without a loss: its targets are not read
      : targets(value, what, o, rows, m, staging, where),
  );
  return { x, y: ys.length === 1 ? ys[0] : ys, rows, sampleShape };
}

function checkIntegral(a: AnyArray, what: string, where: string, perRow: number): void {
  if (a instanceof Int32Array) return;
  for (let i = 0; i < a.length; i++)
    if (!Number.isInteger(a[i]))
      throw new Error(`${where}: '${what}' has ${a[i]} in row ${Math.floor(i / perRow)}; this input takes integer ids`);
}

/** The batch's targets: labels for sparse losses, else values of the output's shape. */
function targets(
  ys: unknown,
  what: string,
  o: number,
  rows: number,
  m: BatchTarget,
  staging: Staging,
  where: string,
): Targets {
  const out = m.outputShapes![o];
  const outSize = shapeSize(out);
  const classes = out[out.length - 1];
  const yt = tensorOf(ys, what, where);
  if (yt.shape[0] !== rows) throw new Error(`${where}: 'xs' has ${rows} rows but '${what}' has ${yt.shape[0]}`);
  if (m.sparse[o]) {
    const count = rows * (outSize / classes);
    if (yt.data.length !== count)
      throw new Error(
        `${where}: '${what}' has ${yt.data.length} values; the loss takes ${count / rows} class label(s) per row ` +
          `(integers in [0, ${classes}))`,
      );
    const labels = yt.data instanceof Int32Array ? yt.data : staging.ints(o, count);
    for (let i = 0; i < count; i++) {
      const v = yt.data[i];
      if (!Number.isInteger(v) || v < 0 || v >= classes)
        throw new Error(
          `${where}: '${what}' value ${v} (row ${Math.floor(i / (count / rows))}) is not a class label in ` +
            `[0, ${classes}); ` +
            'the output layer has that many units',
        );
      if (labels !== yt.data) labels[i] = v;
    }
    return labels;
  }
  const sample = yt.shape.slice(1);
  const flatOk = (sample.length === 1 && sample[0] === outSize) || (sample.length === 0 && outSize === 1);
  if (!sameShape(sample, out) && !flatOk)
    throw new Error(
      `${where}: '${what}' has samples of shape ${formatShape(sample)} but the model outputs ${formatShape(out)}` +
        (yt.data instanceof Int32Array ? `; for class labels use the loss 'sparseCategoricalCrossentropy'` : ''),
    );
  checkFinite(yt.data, what, where, outSize);
  const sameType = m.dtype === 'float64' ? yt.data instanceof Float64Array : yt.data instanceof Float32Array;
  if (sameType) return yt.data as FloatArray;
  const y = staging.floats('y', o, yt.data.length);
  y.set(yt.data);
  return y;
}
