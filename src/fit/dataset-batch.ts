/**
 * A dataset's batch, checked and made ready for a training step: `xs` against the model's input shape,
 * `ys` against its output and loss (class labels for sparse losses, each checked to be an integer in
 * range, since a kernel indexes with them), every value finite. Arrays of the model's dtype are used in
 * place — a file dataset's batch slot goes to the step as it is; anything else (a float32 batch for a
 * float64 model, labels given as floats) is converted into staging buffers allocated once per batch size.
 */
import type { DType, FloatArray } from '../backend/ops';
import { floatArray } from '../backend/memory';
import { formatShape, sameShape, shapeSize, type Shape } from '../layers/shape';
import type { Targets } from '../training/contracts';
import type { BatchElement, BatchTensor } from './dataset-protocol';

/** A batch ready for the engine. */
export interface ReadyBatch {
  x: FloatArray;
  y: Targets;
  rows: number;
  /** The per-sample input shape the batch has (to build an unbuilt model). */
  sampleShape: number[];
}

/** What the checks need of the model. */
export interface BatchTarget {
  dtype: DType;
  inputShape: Shape | undefined;
  outputShape: Shape | undefined;
  sparse: boolean;
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

/** Staging buffers, one set per batch size, for batches that cannot be used in place. */
export class Staging {
  private readonly x = new Map<number, FloatArray>();
  private readonly labels = new Map<number, Int32Array>();
  private readonly y = new Map<number, FloatArray>();
  constructor(private readonly dtype: DType) {}
  floats(kind: 'x' | 'y', n: number): FloatArray {
    const m = kind === 'x' ? this.x : this.y;
    let a = m.get(n);
    if (!a) m.set(n, (a = floatArray(this.dtype, n)));
    return a;
  }
  ints(n: number): Int32Array {
    let a = this.labels.get(n);
    if (!a) this.labels.set(n, (a = new Int32Array(n)));
    return a;
  }
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
  const xt = tensorOf(e.xs, 'xs', where);
  const rows = xt.shape[0];
  if (rows < 1) throw new Error(`${where}: the batch has no rows`);
  if (xt.shape.length < 2) throw new Error(`${where}: 'xs' must be [rows, ...features], got [${xt.shape}]`);
  const sample = xt.shape.slice(1);
  if (m.inputShape) {
    const flatOk = sample.length === 1 && sample[0] === shapeSize(m.inputShape);
    if (!sameShape(sample, m.inputShape) && !flatOk)
      throw new Error(
        `${where}: 'xs' has samples of shape ${formatShape(sample)} but the model's input shape is ` +
          `${formatShape(m.inputShape)}`,
      );
  }
  const perRow = xt.data.length / rows;
  checkFinite(xt.data, 'xs', where, perRow);
  const sameType = m.dtype === 'float64' ? xt.data instanceof Float64Array : xt.data instanceof Float32Array;
  let x: FloatArray;
  if (sameType) x = xt.data as FloatArray;
  else {
    x = staging.floats('x', xt.data.length);
    x.set(xt.data);
  }
  const sampleShape = m.inputShape ? [...m.inputShape] : sample;
  if (!m.outputShape) return { x, y: new Int32Array(0), rows, sampleShape };
  return { x, y: targets(e.ys, rows, m, staging, where), rows, sampleShape };
}

/** The batch's targets: labels for sparse losses, else values of the output's shape. */
function targets(ys: unknown, rows: number, m: BatchTarget, staging: Staging, where: string): Targets {
  const out = m.outputShape!;
  const outSize = shapeSize(out);
  const classes = out[out.length - 1];
  const yt = tensorOf(ys, 'ys', where);
  if (yt.shape[0] !== rows) throw new Error(`${where}: 'xs' has ${rows} rows but 'ys' has ${yt.shape[0]}`);
  if (m.sparse) {
    const count = rows * (outSize / classes);
    if (yt.data.length !== count)
      throw new Error(
        `${where}: 'ys' has ${yt.data.length} values; the loss takes ${count / rows} class label(s) per row ` +
          `(integers in [0, ${classes}))`,
      );
    const labels = yt.data instanceof Int32Array ? yt.data : staging.ints(count);
    for (let i = 0; i < count; i++) {
      const v = yt.data[i];
      if (!Number.isInteger(v) || v < 0 || v >= classes)
        throw new Error(
          `${where}: 'ys' value ${v} (row ${Math.floor(i / (count / rows))}) is not a class label in ` +
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
      `${where}: 'ys' has samples of shape ${formatShape(sample)} but the model outputs ${formatShape(out)}` +
        (yt.data instanceof Int32Array ? `; for class labels use the loss 'sparseCategoricalCrossentropy'` : ''),
    );
  checkFinite(yt.data, 'ys', where, outSize);
  const sameType = m.dtype === 'float64' ? yt.data instanceof Float64Array : yt.data instanceof Float32Array;
  if (sameType) return yt.data as FloatArray;
  const y = staging.floats('y', yt.data.length);
  y.set(yt.data);
  return y;
}
