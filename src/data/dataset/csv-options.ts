/**
 * The options of csvDataset, checked before anything is read, and how a scan of the target column decides
 * the task and the classes (as loadCsv does).
 */
import * as os from 'node:os';
import type { BatchTensor } from '../../fit/dataset-protocol';
import type { CsvPassConfig, CsvPassStats } from './csv-loader-worker';
import type { CsvPlanSpec } from './csv-plan';
import { toFileRef, type FileIdentity, type FileInput, type FileRef } from './file-source';
import { randomSeed } from './seeds';

export interface CsvDatasetOptions {
  /** The column to predict; batches then have `ys` (class indices, or values for regression). */
  target?: string;
  /** Feature columns, in this order (default: every column but the target). */
  columns?: string[];
  /** Whether the first row names the columns (default true); without one they are named '0', '1', …. */
  header?: boolean;
  delimiter?: string;
  /** The value of an empty cell: one for every feature, or by column name (others: an empty cell is an error). */
  columnDefaults?: number | Record<string, number>;
  /** Skip rows with a bad cell or the wrong number of fields, counted in `lastPass`, instead of stopping. */
  skipBadRows?: boolean;
  /** As loadCsv: 'auto' (default) decides from the target's values, which takes a scan of the file. */
  task?: 'classification' | 'regression' | 'auto';
  /** The classes in label order (as loadCsv's `classes`); given with task 'classification', no scan is needed. */
  classes?: string[];
  /** Rows per batch; without one the dataset yields rows (`{ xs: [features] tensor, ys: number }`). */
  batchSize?: number;
  /** Shuffle through a buffer of rows (true: 10,000), seeded: the same seed gives the same order each run. */
  shuffle?: boolean | { buffer?: number; seed?: number };
  /** Batches prepared ahead of training (default: about 4 MiB of batches, 4 to 256). */
  prefetch?: number;
  /** With `subset`: the fraction of rows (chosen by `seed`, not by position) held out for validation. */
  validationSplit?: number;
  /** Which side of validationSplit this dataset yields. */
  subset?: 'training' | 'validation';
  /** Seed of the split (required with validationSplit) and the default seed of the shuffle. */
  seed?: number;
  /** Parser threads (default: the cores but one, 1 to 4); a loader thread comes on top. */
  workers?: number;
  /** Float type of xs (default 'float32'). */
  dtype?: 'float32' | 'float64';
  /** A fitted scaler (or its toJSON()), applied to the features in the loader thread. */
  scaler?: { offset: ArrayLike<number>; scale: ArrayLike<number> };
  /** Most columns (default 100,000, as loadCsv). */
  maxColumns?: number;
  /** Longest record in bytes (default 16 MiB); an unclosed quote makes the rest of a file one record. */
  maxRowBytes?: number;
  /** Bytes read per chunk (default 1 MiB). */
  chunkBytes?: number;
  /** How errors name the file (default: its path, or 'fd N'). */
  name?: string;
  /**
   * false: errors quote nothing of the file — no cell, label or column name, only line and column numbers —
   * as loadCsv's `quoteContent` (for files whose content must not reach the messages). Default true.
   */
  quoteContent?: boolean;
}

/** A row of a csvDataset without batchSize. */
export interface CsvRow {
  xs: BatchTensor;
  ys?: number;
}
/** A batch of a csvDataset: xs [rows, features]; ys [rows] class indices (int32) or [rows, 1] values. */
export interface CsvBatch {
  xs: BatchTensor;
  ys?: BatchTensor;
}

/** What a csvDataset found in its file. */
export interface CsvInfo {
  featureNames: string[];
  targetName?: string;
  task?: 'classification' | 'regression';
  /** Class names in label order (classification). */
  classes?: string[];
  /** Data records in the file, when a scan counted them. */
  records?: number;
}

/** Statistics of the last complete pass. */
export interface CsvPassSummary {
  /** Data records read (bad ones included). */
  records: number;
  /** Rows yielded (after the split, without skipped ones). */
  rows: number;
  /** Rows skipped with skipBadRows, and messages naming the first few. */
  skipped: number;
  skippedExamples: string[];
}

export const WHO = 'csvDataset()';
const DEFAULT_SHUFFLE_BUFFER = 10_000;
/** Rows per internal batch of a dataset yielding rows. */
export const ROW_BATCH = 256;
/** Numeric targets with at most this many distinct integer values are classes ('auto', as loadCsv). */
const AUTO_MAX_CLASSES = 20;

export interface Checked {
  ref: FileRef;
  spec: Omit<CsvPlanSpec, 'targetMode' | 'classes' | 'numericLabels'>;
  task: 'classification' | 'regression' | 'auto';
  classes?: string[];
  split: CsvPassConfig['split'];
  workers: number;
  chunkBytes: number;
  scaler?: { offset: number[]; scale: number[] };
}

export interface Fused {
  batch?: number;
  smallLastBatch?: boolean;
  shuffle?: { buffer: number; seed: number };
  prefetch?: number;
}

export interface Resolved {
  names: string[];
  featureNames: string[];
  targetMode: CsvPlanSpec['targetMode'];
  task?: 'classification' | 'regression';
  classes?: string[];
  numericLabels?: boolean;
  records?: number;
}

/** What the datasets made from one csvDataset() call share: the file's identity and what a scan found. */
export interface Shared {
  o: Checked;
  resolved?: Promise<Resolved>;
  identity?: FileIdentity;
  /** Data records, when a scan counted them (and no row can be skipped). */
  records?: number;
  lastPass?: CsvPassStats;
}

export function int(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new Error(`${WHO}: '${name}' must be an integer in [${min}, ${max}], got ${String(v)}`);
  return v;
}

const OPTION_KEYS = new Set([
  'target',
  'columns',
  'header',
  'delimiter',
  'columnDefaults',
  'skipBadRows',
  'task',
  'classes',
  'batchSize',
  'shuffle',
  'prefetch',
  'validationSplit',
  'subset',
  'seed',
  'workers',
  'dtype',
  'scaler',
  'maxColumns',
  'maxRowBytes',
  'chunkBytes',
  'name',
  'quoteContent',
]);

export function checkOptions(file: FileInput, o: CsvDatasetOptions): { checked: Checked; fused: Fused } {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${WHO}: options must be an object`);
  for (const k of Object.keys(o))
    if (!OPTION_KEYS.has(k))
      throw new Error(`${WHO}: unknown option '${k}'; options are ${[...OPTION_KEYS].join(', ')}`);
  const ref = toFileRef(file, WHO);
  const name = o.name ?? ('path' in ref ? ref.path : `fd ${ref.fd}`);
  const delimiter = o.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter === '' || /["\r\n]/.test(delimiter))
    throw new Error(`${WHO}: 'delimiter' must be a non-empty string without quotes or newlines`);
  if (o.target !== undefined && (typeof o.target !== 'string' || o.target === ''))
    throw new Error(`${WHO}: 'target' must be a column name`);
  if (o.columns !== undefined && !(Array.isArray(o.columns) && o.columns.every((c) => typeof c === 'string')))
    throw new Error(`${WHO}: 'columns' must be an array of column names`);
  const d = o.columnDefaults;
  if (
    d !== undefined &&
    !(typeof d === 'number' && Number.isFinite(d)) &&
    !(d && typeof d === 'object' && Object.values(d).every((v) => typeof v === 'number' && Number.isFinite(v)))
  )
    throw new Error(`${WHO}: 'columnDefaults' must be a finite number or { column: number }`);
  const task = o.task ?? 'auto';
  if (!['auto', 'classification', 'regression'].includes(task))
    throw new Error(`${WHO}: 'task' must be 'classification', 'regression' or 'auto', got '${String(task)}'`);
  if (o.classes !== undefined) {
    const c = o.classes;
    if (!Array.isArray(c) || c.length === 0 || !c.every((s) => typeof s === 'string' && s !== ''))
      throw new Error(`${WHO}: 'classes' must be a non-empty array of class names`);
    if (task === 'regression') throw new Error(`${WHO}: 'classes' and task 'regression' do not go together`);
  }
  if ((o.classes || o.task) && o.target === undefined)
    throw new Error(`${WHO}: '${o.classes ? 'classes' : 'task'}' needs a 'target' column`);
  for (const k of ['header', 'skipBadRows', 'quoteContent'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new Error(`${WHO}: '${k}' must be true or false`);
  if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float64')
    throw new Error(`${WHO}: 'dtype' must be 'float32' or 'float64'`);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed))
    throw new Error(`${WHO}: 'seed' must be an integer, got ${String(o.seed)}`);
  let split: Checked['split'] = null;
  if (o.validationSplit !== undefined || o.subset !== undefined) {
    const f = o.validationSplit;
    if (typeof f !== 'number' || !(f > 0 && f < 1))
      throw new Error(`${WHO}: 'validationSplit' must be a fraction in (0, 1), with 'subset'`);
    if (o.subset !== 'training' && o.subset !== 'validation')
      throw new Error(`${WHO}: with 'validationSplit', give subset: 'training' or 'validation'`);
    if (o.seed === undefined)
      throw new Error(`${WHO}: with 'validationSplit', give a 'seed' so both subsets split the rows the same way`);
    split = { fraction: f, seed: o.seed, keep: o.subset };
  }
  const fused: Fused = {};
  if (o.batchSize !== undefined) fused.batch = int('batchSize', o.batchSize, 1, 2 ** 24);
  if (o.shuffle !== undefined && o.shuffle !== false) {
    const s = o.shuffle === true ? {} : o.shuffle;
    if (!s || typeof s !== 'object') throw new Error(`${WHO}: 'shuffle' must be true, false or { buffer, seed }`);
    const seed = s.seed ?? o.seed ?? randomSeed();
    if (!Number.isSafeInteger(seed)) throw new Error(`${WHO}: 'shuffle.seed' must be an integer`);
    fused.shuffle = { buffer: int('shuffle.buffer', s.buffer ?? DEFAULT_SHUFFLE_BUFFER, 1, 2 ** 26), seed };
  }
  if (o.prefetch !== undefined) fused.prefetch = int('prefetch', o.prefetch, 1, 1024);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const workers = o.workers === undefined ? Math.max(1, Math.min(4, cores - 1)) : int('workers', o.workers, 1, 64);
  let scaler: Checked['scaler'];
  if (o.scaler !== undefined) {
    const s = o.scaler as { offset?: ArrayLike<number>; scale?: ArrayLike<number>; toJSON?: () => unknown };
    const st = (typeof s?.toJSON === 'function' ? s.toJSON() : s) as {
      offset?: ArrayLike<number>;
      scale?: ArrayLike<number>;
    };
    const ok = (a: unknown): a is ArrayLike<number> =>
      !!a &&
      typeof (a as ArrayLike<number>).length === 'number' &&
      Array.from(a as ArrayLike<number>).every(Number.isFinite);
    if (!ok(st?.offset) || !ok(st?.scale) || st.offset.length !== st.scale.length || Array.from(st.scale).includes(0))
      throw new Error(`${WHO}: 'scaler' must be a fitted scaler (bp.data.standardScaler().fit(...)) or its toJSON()`);
    scaler = { offset: Array.from(st.offset), scale: Array.from(st.scale) };
  }
  const checked: Checked = {
    ref,
    spec: {
      name,
      delimiter,
      header: o.header ?? true,
      target: o.target,
      columns: o.columns ? [...o.columns] : undefined,
      columnDefaults: typeof d === 'object' ? { ...d } : d,
      skipBadRows: o.skipBadRows ?? false,
      quoteContent: o.quoteContent ?? true,
      maxColumns: int('maxColumns', o.maxColumns ?? 100_000, 1),
      maxRowBytes: int('maxRowBytes', o.maxRowBytes ?? 16 * 2 ** 20, 16, 2 ** 30),
      dtype: o.dtype ?? 'float32',
    },
    task,
    classes: o.classes ? [...o.classes] : undefined,
    split,
    workers,
    chunkBytes: o.chunkBytes === undefined ? 1 << 20 : int('chunkBytes', o.chunkBytes, 64, 2 ** 28),
    scaler,
  };
  return { checked, fused };
}

const numericKey = (v: string) => String(Number(v));

/**
 * Batches prepared ahead by default: about 4 MiB of them (at least 4, at most 256), so small batches keep
 * the loader thread far enough ahead that it wakes rarely (it refills when half the slots are free).
 */
export function defaultPrefetch(batch: number, valuesPerRow: number, dtype: 'float32' | 'float64'): number {
  const bytes = batch * valuesPerRow * (dtype === 'float64' ? 8 : 4);
  return Math.max(4, Math.min(256, Math.floor((4 << 20) / Math.max(1, bytes))));
}

/** Task and classes from a scan's distinct target values, exactly as loadCsv decides them. */
export function fromScan(stats: CsvPassStats, o: Checked): Pick<Resolved, 'task' | 'classes' | 'numericLabels'> {
  const name = o.spec.name;
  const values = (stats.distinct ?? []).filter((v) => v !== '');
  const numeric = !!stats.allNumeric;
  let task: 'classification' | 'regression';
  if (o.task !== 'auto') task = o.task;
  else if (o.classes || !numeric) task = 'classification';
  else {
    const count = stats.distinctOverflow ? Infinity : new Set(values.map(Number)).size;
    task = stats.allInteger && count <= AUTO_MAX_CLASSES ? 'classification' : 'regression';
  }
  if (task === 'regression') return { task };
  if (stats.distinctOverflow)
    throw new Error(
      `${name}: the target column '${o.spec.target}' has more than 100,000 distinct values; a class column has ` +
        `fewer (give task: 'regression' for a quantity, or the classes)`,
    );
  const keys = [...new Set(values.map((v) => (numeric ? numericKey(v) : v)))];
  const classes = numeric ? keys.sort((a, b) => Number(a) - Number(b)) : keys.sort();
  return { task, classes, numericLabels: numeric };
}
