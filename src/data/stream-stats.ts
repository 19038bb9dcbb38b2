/**
 * One pass over a dataset for preprocessing that is fitted on data (scalers, tokenizers): the elements of a
 * pass (or its first `sample` rows), and per-column statistics merged batch by batch (Chan et al.'s
 * parallel variance: each batch's mean and squared deviations from it, merged into the running ones), so a
 * scaler fitted on a stream holds what `fit` on all the rows in memory would, up to rounding.
 */
import { leasesOf, type LeaseSource } from '../fit/dataset-protocol';

/** Any dataset (a bp.data dataset or an (async) iterable). */
export type Streamable = LeaseSource<unknown> | AsyncIterable<unknown> | Iterable<unknown>;

/**
 * Calls `f` on each element of one pass (valid during the call), until it returns false.
 * @example await forEachElement(ds, (el) => { ...; return true; })
 */
export async function forEachElement(ds: Streamable, f: (el: unknown) => boolean): Promise<void> {
  const it = leasesOf(ds, 0);
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      let more: boolean;
      try {
        more = f(r.value.value);
      } finally {
        r.value.release();
      }
      if (!more) return;
    }
  } finally {
    await it.return();
  }
}

/** The checked `sample` option (most rows to read), or Infinity. */
export function sampleOption(who: string, options: unknown): number {
  if (options === undefined) return Infinity;
  if (!options || typeof options !== 'object')
    throw new Error(`${who}: options must be an object such as { sample: 100000 }`);
  for (const k of Object.keys(options))
    if (k !== 'sample') throw new Error(`${who}: unknown option '${k}'; options are: sample`);
  const s = (options as { sample?: unknown }).sample;
  if (s === undefined) return Infinity;
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1)
    throw new Error(`${who}: 'sample' must be a positive integer (rows), got ${String(s)}`);
  return s;
}

type Numeric = Float32Array | Float64Array | Int32Array;

/** The rows of an element as [data, rows, cols]: a tensor [rows, cols] or [cols], a number list, or { xs }. */
export function rowsOf(el: unknown, who: string): [ArrayLike<number>, number, number] {
  let v = el;
  if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && 'xs' in v)
    v = (v as { xs: unknown }).xs;
  if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array) return [v, 1, v.length];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return [v, 1, v.length];
  if (Array.isArray(v) && v.every((r) => Array.isArray(r))) {
    const cols = (v[0] as unknown[] | undefined)?.length ?? 0;
    const flat = (v as number[][]).flat();
    if (flat.length !== cols * v.length || !flat.every((x) => typeof x === 'number'))
      throw new Error(`${who}: an element's rows are not all numbers of the same length`);
    return [flat, v.length, cols];
  }
  const t = v as { data?: unknown; shape?: unknown } | null;
  if (
    t &&
    typeof t === 'object' &&
    Array.isArray(t.shape) &&
    (t.data instanceof Float32Array || t.data instanceof Float64Array || t.data instanceof Int32Array)
  ) {
    const data = t.data as Numeric;
    const shape = t.shape as number[];
    if (shape.length === 1) return [data, 1, shape[0]];
    if (shape.length === 2 && shape[0] * shape[1] === data.length) return [data, shape[0], shape[1]];
    throw new Error(
      `${who}: an element's tensor has shape [${shape}]; expected rows of features ([rows, cols] or [cols])`,
    );
  }
  throw new Error(`${who}: elements must be rows of numbers, [rows, cols] tensors, or { xs } batches`);
}

/** Running per-column count, mean, squared deviations, min and max (float64). */
export class ColumnStats {
  n = 0;
  mean: Float64Array;
  m2: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
  private readonly bMean: Float64Array;
  private readonly bM2: Float64Array;
  constructor(readonly cols: number) {
    this.mean = new Float64Array(cols);
    this.m2 = new Float64Array(cols);
    this.lo = new Float64Array(cols).fill(Infinity);
    this.hi = new Float64Array(cols).fill(-Infinity);
    this.bMean = new Float64Array(cols);
    this.bM2 = new Float64Array(cols);
  }

  /** Adds rows [0, rows) of a row-major matrix; a non-finite value is an error naming its row and column. */
  add(data: ArrayLike<number>, rows: number, who: string): void {
    const c = this.cols;
    const { bMean, bM2 } = this;
    bMean.fill(0);
    bM2.fill(0);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < c; j++) {
        const v = data[r * c + j];
        if (!Number.isFinite(v))
          throw new Error(`${who}: ${v} in row ${this.n + r}, column ${j}; remove or impute non-finite values first`);
        bMean[j] += v;
        if (v < this.lo[j]) this.lo[j] = v;
        if (v > this.hi[j]) this.hi[j] = v;
      }
    for (let j = 0; j < c; j++) bMean[j] /= rows;
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < c; j++) {
        const dv = data[r * c + j] - bMean[j];
        bM2[j] += dv * dv;
      }
    const n = this.n + rows;
    for (let j = 0; j < c; j++) {
      const delta = bMean[j] - this.mean[j];
      this.mean[j] += (delta * rows) / n;
      this.m2[j] += bM2[j] + (delta * delta * this.n * rows) / n;
    }
    this.n = n;
  }
}
