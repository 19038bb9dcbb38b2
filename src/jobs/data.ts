/**
 * A job's training data, checked on the submitting thread: arrays are validated and moved into shared
 * memory for a zero-copy hand-over; a CSV is only named here and parsed in the worker, so a large file
 * never blocks the caller's event loop.
 */
import type { Tensor2D } from '../data/tensor';
import type { InputLike, TargetLike } from '../model/inputs';
import { toMatrix } from '../data/tensor';
import { allIntegers, toLabels } from '../data/labels';
import type { JobCsvOptions, JobData, JobStreamOptions, SharedMatrix } from './protocol';
import { isMappedArrays, prepareMappedArrays } from './mapped-arrays';
import { checkDataMap, checkDataMapForm, checkStreamable, type ColumnSelection, type ModelSignature } from './data-map';

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

/**
 * A CSV feeding a model's inputs and outputs by name: each input's columns (`['a', 'b']`, `'a'` or `{ from: 'a',
 * to: 'h' }`), and each output's target columns (one column of class labels for a sparse loss).
 */
export type MappedCsvData = {
  csv: string;
  inputs: Record<string, ColumnSelection>;
  targets: Record<string, ColumnSelection>;
} & Pick<JobCsvOptions, 'header' | 'delimiter' | 'maxColumns' | 'maxRows' | 'name'> &
  StreamSpec;

/** The `data` option of jobs.train. */
export type TrainJobData =
  | { x: Tensor2D | number[][]; y: Tensor2D | number[][] | Int32Array | number[] }
  /** Arrays by the model's input and output names, as model.fit takes them. */
  | { x: Record<string, InputLike>; y: Record<string, TargetLike> }
  | ({ csv: string; target: string } & JobCsvOptions & StreamSpec)
  | MappedCsvData
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

const MAPPED_CSV_KEYS = ['header', 'delimiter', 'maxColumns', 'maxRows', 'name'];

/**
 * Whether `data` feeds the model's inputs and outputs by name: a CSV's columns (data.inputs / data.targets) or
 * arrays (`x: { name: … }`).
 */
export function isMappedData(data: unknown): boolean {
  return (!!data && typeof data === 'object' && ('inputs' in data || 'targets' in data)) || isMappedArrays(data);
}

/**
 * A CSV mapped by name, checked against the model's `signature` (or, for a saved model not loaded yet, in form
 * only: the worker checks it against the model before reading the file).
 */
function mappedCsv(data: MappedCsvData, signature: ModelSignature | undefined): JobData {
  const { csv, inputs, targets, stream, shuffleBuffer, skipBadRows, ...options } = data;
  for (const key of Object.keys(options)) {
    if (key === 'target' || key === 'columns' || key === 'task' || key === 'classes')
      throw new Error(
        `jobs.train(): 'data.${key}' does not go with 'data.inputs': name each output's columns in 'data.targets' ` +
          `(a column of class labels is mapped to class indices by itself)`,
      );
    if (!MAPPED_CSV_KEYS.includes(key))
      throw new Error(
        `jobs.train(): unknown key 'data.${key.slice(0, 64)}' for data mapped by name ({ csv, inputs, targets, ` +
          `${MAPPED_CSV_KEYS.join('?, ')}?, stream?, shuffleBuffer?, skipBadRows? })`,
      );
  }
  if (typeof csv !== 'string' || csv === '') throw new Error(`jobs.train(): 'data.csv' must be a file path`);
  if (inputs === undefined || targets === undefined)
    throw new Error(
      `jobs.train(): data mapped by name needs both 'data.inputs' (columns per model input) and 'data.targets' ` +
        `(columns per output)`,
    );
  const { header, delimiter, maxColumns, maxRows, name } = options;
  if (header !== undefined && typeof header !== 'boolean')
    throw new Error(`jobs.train(): 'data.header' must be true or false`);
  if (delimiter !== undefined && (typeof delimiter !== 'string' || delimiter === '' || /["\r\n]/.test(delimiter)))
    throw new Error(`jobs.train(): 'data.delimiter' must be a non-empty string without quotes or newlines`);
  for (const [k, v] of [
    ['maxColumns', maxColumns],
    ['maxRows', maxRows],
  ] as const)
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1))
      throw new Error(`jobs.train(): 'data.${k}' must be a positive integer, got ${String(v)}`);
  if (name !== undefined && typeof name !== 'string') throw new Error(`jobs.train(): 'data.name' must be a string`);
  const s = streamOf({ stream, shuffleBuffer, skipBadRows });
  if (s && maxRows !== undefined)
    throw new Error(`jobs.train(): 'data.maxRows' limits loading into memory; a streamed CSV has no row limit`);
  if (signature) {
    const map = checkDataMap(inputs, targets, signature, 'jobs.train()', maxColumns);
    if (s) checkStreamable(map, 'jobs.train()');
  } else checkDataMapForm(inputs, targets, 'jobs.train()', maxColumns);
  return { kind: 'csvMap', path: csv, map: { inputs, targets }, options, ...(s ? { stream: s } : {}) };
}

/**
 * Checks `data` and prepares it for the worker; `loss` (from the spec, if known) says how to read a flat y, and
 * `signature` (the spec's inputs and outputs, if known) is what data mapped by name must feed.
 * @example prepareData({ x: [[0, 1], [1, 0]], y: [0.5, 0.25] }, 'meanSquaredError') // y: a [2, 1] column
 */
export function prepareData(
  data: TrainJobData,
  loss: string | undefined,
  signature?: ModelSignature,
): { data: JobData; rows?: number } {
  if (!data || typeof data !== 'object')
    throw new Error(
      `jobs.train(): 'data' must be { x, y }, { csv, target }, { csv, inputs, targets } or { idx, labels }`,
    );
  if (isMappedArrays(data)) {
    const { x, y, ...rest } = data as { x: unknown; y: unknown };
    const extra = Object.keys(rest);
    if (extra.length)
      throw new Error(`jobs.train(): unknown key 'data.${extra[0].slice(0, 64)}' for arrays ({ x, y })`);
    return prepareMappedArrays(x, y, signature);
  }
  if (isMappedData(data)) {
    if (!('csv' in data))
      throw new Error(
        `jobs.train(): 'data.inputs' and 'data.targets' name columns of a CSV: give 'data.csv' (the file) with them`,
      );
    return { data: mappedCsv(data as MappedCsvData, signature) };
  }
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
    const { csv, target, stream, shuffleBuffer, skipBadRows, ...options } = data as Extract<
      TrainJobData,
      { target: string }
    >;
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
