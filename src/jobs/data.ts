/**
 * A job's training data, checked on the submitting thread: arrays are validated and moved into shared
 * memory for a zero-copy hand-over; a CSV is only named here and parsed in the worker, so a large file
 * never blocks the caller's event loop.
 */
import type { Tensor2D } from '../data/tensor';
import { toMatrix } from '../data/tensor';
import { allIntegers, toLabels } from '../data/labels';
import type { JobCsvOptions, JobData, JobStreamOptions, SharedMatrix } from './protocol';

/**
 * `stream: true` trains on the CSV streamed from disk (parsed in worker threads, shuffled through a buffer
 * of `shuffleBuffer` rows) instead of loading it: for files larger than memory.
 */
export interface StreamSpec {
  stream?: boolean;
  shuffleBuffer?: number;
  skipBadRows?: boolean;
}

/** The checked streaming options of a CSV job, or undefined when it loads the file. */
function streamOf(s: StreamSpec): JobStreamOptions | undefined {
  if (s.stream !== undefined && typeof s.stream !== 'boolean')
    throw new Error(`jobs.train(): 'data.stream' must be true or false`);
  if (!s.stream) {
    if (s.shuffleBuffer !== undefined || s.skipBadRows !== undefined)
      throw new Error(`jobs.train(): 'data.shuffleBuffer' and 'data.skipBadRows' go with 'data.stream: true'`);
    return undefined;
  }
  const b = s.shuffleBuffer ?? 10000;
  if (typeof b !== 'number' || !Number.isSafeInteger(b) || b < 1 || b > 2 ** 26)
    throw new Error(`jobs.train(): 'data.shuffleBuffer' must be an integer in [1, ${2 ** 26}], got ${String(b)}`);
  if (s.skipBadRows !== undefined && typeof s.skipBadRows !== 'boolean')
    throw new Error(`jobs.train(): 'data.skipBadRows' must be true or false`);
  return { shuffleBuffer: b, skipBadRows: s.skipBadRows ?? false };
}

/** The `data` option of jobs.train. */
export type TrainJobData =
  | { x: Tensor2D | number[][]; y: Tensor2D | number[][] | Int32Array | number[] }
  | ({ csv: string; target: string } & JobCsvOptions & StreamSpec)
  /** IDX images and labels files (as MNIST's), read in the worker; uint8 pixels / 255 unless normalize is false. */
  | { idx: string; labels: string; normalize?: boolean };

/** Copies an array into shared memory once (or uses it as is if it already is), for a zero-copy hand-over. */
function shared(a: Float32Array | Float64Array | Int32Array, shape: [number, number]): SharedMatrix {
  const kind = a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'float32';
  if (a.buffer instanceof SharedArrayBuffer)
    return { buffer: a.buffer, byteOffset: a.byteOffset, length: a.length, kind, shape };
  const buf = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buf).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return { buffer: buf, byteOffset: 0, length: a.length, kind, shape };
}

const isSparseLoss = (loss: string | undefined) =>
  typeof loss === 'string' && loss.replace(/_/g, '').toLowerCase() === 'sparsecategoricalcrossentropy';

/**
 * Targets: an Int32Array or a flat number[] are class labels when the loss takes labels (sparse
 * categorical cross-entropy) — each checked to be an integer in [0, 2^31 - 1], never truncated or wrapped.
 * With another loss a flat number[] is a one-column target (e.g. regression). With the loss unknown (a
 * saved model), a flat array of integers is labels and any fraction makes it a target column.
 */
function targets(y: unknown, loss: string | undefined): { data: Float32Array | Int32Array; shape: [number, number] } {
  const who = `jobs.train(): 'data.y'`;
  if (y instanceof Int32Array) return { data: toLabels(y, who), shape: [y.length, 1] };
  if (Array.isArray(y) && (y.length === 0 || !Array.isArray(y[0]))) {
    const labels = isSparseLoss(loss) || (loss === undefined && allIntegers(y));
    if (labels) {
      const l = toLabels(y, who);
      return { data: l, shape: [l.length, 1] };
    }
    const column = { data: y as unknown as Float32Array, shape: [y.length, 1], dtype: 'float32' } as Tensor2D;
    const m = toMatrix(column, who, 'float32'); // copies, checking every value is finite
    return { data: m.data as Float32Array, shape: [m.rows, 1] };
  }
  const m = toMatrix(y as Tensor2D, who, 'float32');
  return { data: m.data as Float32Array, shape: [m.rows, m.cols] };
}

/**
 * Checks `data` and prepares it for the worker; `loss` (from the spec, if known) says how to read a flat y.
 * @example prepareData({ x: [[0, 1], [1, 0]], y: [0.5, 0.25] }, 'meanSquaredError') // y: a [2, 1] column
 */
export function prepareData(data: TrainJobData, loss: string | undefined): { data: JobData; rows?: number } {
  if (!data || typeof data !== 'object')
    throw new Error(`jobs.train(): 'data' must be { x, y }, { csv, target } or { idx, labels }`);
  if ('idx' in data) {
    const { idx, labels, normalize, ...rest } = data;
    const extra = Object.keys(rest);
    if (extra.length)
      throw new Error(`jobs.train(): unknown key 'data.${extra[0]}' for IDX data ({ idx, labels, normalize? })`);
    if (typeof idx !== 'string' || idx === '') throw new Error(`jobs.train(): 'data.idx' must be the images file path`);
    if (typeof labels !== 'string' || labels === '')
      throw new Error(`jobs.train(): 'data.labels' must be the labels file path`);
    if (normalize !== undefined && typeof normalize !== 'boolean')
      throw new Error(`jobs.train(): 'data.normalize' must be true or false`);
    return { data: { kind: 'idx', images: idx, labels, normalize: normalize ?? true } };
  }
  if ('csv' in data) {
    const { csv, target, stream, shuffleBuffer, skipBadRows, ...options } = data;
    if (typeof csv !== 'string' || csv === '') throw new Error(`jobs.train(): 'data.csv' must be a file path`);
    if (typeof target !== 'string' || target === '')
      throw new Error(`jobs.train(): 'data.target' must name the column to predict`);
    const s = streamOf({ stream, shuffleBuffer, skipBadRows });
    if (s && options.maxRows !== undefined)
      throw new Error(`jobs.train(): 'data.maxRows' limits loading into memory; a streamed CSV has no row limit`);
    return { data: { kind: 'csv', path: csv, target, options, ...(s ? { stream: s } : {}) } };
  }
  const m = toMatrix(data.x as Tensor2D, `jobs.train(): 'data.x'`, 'float32');
  const y = targets(data.y, loss);
  if (y.shape[0] !== m.rows)
    throw new Error(`jobs.train(): 'data.x' has ${m.rows} rows but 'data.y' has ${y.shape[0]}`);
  return {
    data: { kind: 'arrays', x: shared(m.data as Float32Array, [m.rows, m.cols]), y: shared(y.data, y.shape) },
    rows: m.rows,
  };
}
