/**
 * CSV loading (via csv-parse): an optional header row, feature columns parsed as numbers (a bad cell is an
 * error naming the file, line, column and text), and an optional target column — class labels (any
 * strings, mapped to sorted class indices) or numbers for regression.
 */
import * as fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Tensor2D } from './tensor';

export interface CsvOptions {
  /** Name of the target column (excluded from the features). */
  target?: string;
  /** Feature columns to use, in this order (default: every column but the target). */
  columns?: string[];
  /** Whether the first row names the columns (default true). Without one, columns are named '0', '1', …. */
  header?: boolean;
  delimiter?: string;
  /** 'auto' (default): numeric targets with ≤ 20 distinct integer values are classes, else regression. */
  task?: 'classification' | 'regression' | 'auto';
  /** Class names to map labels onto (e.g. the training set's), so a test set uses the same indices. */
  classes?: string[];
}

export interface CsvData {
  x: Tensor2D;
  /** Class indices (classification) or a one-column matrix (regression); absent without a target. */
  y?: Int32Array | Tensor2D;
  task?: 'classification' | 'regression';
  featureNames: string[];
  targetName?: string;
  classes?: string[];
}

/** Beyond this many distinct integer values, a numeric target looks like a quantity rather than classes. */
const AUTO_MAX_CLASSES = 20;

/**
 * Loads a CSV file (synchronously).
 * @example
 * const { x, y, classes } = bp.data.loadCsv('iris.csv', { target: 'species' });
 * const raw = bp.data.loadCsv('points.tsv', { header: false, delimiter: '\t' }); // columns '0', '1', …
 */
export function loadCsv(path: string, options: CsvOptions = {}): CsvData {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseCsv(text, options, path);
}

/** A cell as a finite number, or undefined. Empty cells are rejected because Number('') is 0. */
function toNumber(s: string): number | undefined {
  if (s === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * As loadCsv, from a string; `file` only names the source in error messages.
 * @example
 * const d = bp.data.parseCsv('a,b,y\n1,2,cat\n3,4,dog\n', { target: 'y' });
 * // d.x: [[1, 2], [3, 4]], d.y: Int32Array [0, 1], d.classes: ['cat', 'dog']
 */
export function parseCsv(text: string, options: CsvOptions = {}, file = '<csv>'): CsvData {
  const { header = true, delimiter = ',', task: taskOption = 'auto' } = options;
  if (!['auto', 'classification', 'regression'].includes(taskOption)) {
    throw new Error(`${file}: 'task' must be 'classification', 'regression' or 'auto', got '${String(taskOption)}'`);
  }
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    // info gives each record's line, which stays right past blank lines and quoted multi-line cells.
    parsed = parse(text, {
      delimiter,
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: false,
    }) as typeof parsed;
  } catch (e) {
    throw new Error(`${file}: not valid CSV (${(e as Error).message})`);
  }
  if (parsed.length === 0)
    throw new Error(`${file}: the file is empty; expected ${header ? 'a header row and ' : ''}data rows`);
  const names = header ? parsed[0].record : parsed[0].record.map((_, i) => String(i));
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`${file}: the header names column '${n}' twice; column names must be unique`);
    seen.add(n);
  }
  const rows = header ? parsed.slice(1) : parsed;
  if (rows.length === 0) throw new Error(`${file}: has a header but no data rows`);
  const index = (name: string): number => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column named '${name}'; columns are: ${names.join(', ')}`);
    return i;
  };
  const ti = options.target !== undefined ? index(options.target) : -1;
  const featureNames = options.columns ? [...options.columns] : names.filter((_, i) => i !== ti);
  const fi = featureNames.map(index);
  if (fi.includes(ti)) throw new Error(`${file}: the target column '${options.target}' cannot also be a feature`);
  const bad = (r: number, c: number, why: string) =>
    new Error(`${file}: line ${rows[r].info.lines}, column '${names[c]}': '${rows[r].record[c]}' ${why}`);

  const cols = fi.length;
  const x = new Float32Array(rows.length * cols);
  for (let r = 0; r < rows.length; r++) {
    const rec = rows[r].record;
    for (let j = 0; j < cols; j++) {
      const v = toNumber(rec[fi[j]]);
      if (v === undefined) throw bad(r, fi[j], 'is not a number');
      x[r * cols + j] = v;
    }
  }
  const out: CsvData = { x: { data: x, shape: [rows.length, cols], dtype: 'float32' }, featureNames };
  if (ti < 0) return out;

  out.targetName = names[ti];
  const raw = rows.map((row) => row.record[ti]);
  const nums = raw.map(toNumber);
  const numeric = nums.every((v) => v !== undefined);
  let task: 'classification' | 'regression';
  if (taskOption !== 'auto') task = taskOption;
  else if (options.classes || !numeric) task = 'classification';
  else
    task =
      nums.every((v) => Number.isInteger(v)) && new Set(nums).size <= AUTO_MAX_CLASSES
        ? 'classification'
        : 'regression';
  out.task = task;

  if (task === 'regression') {
    const y = new Float32Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      if (nums[r] === undefined) throw bad(r, ti, 'is not a number (regression target)');
      y[r] = nums[r]!;
    }
    out.y = { data: y, shape: [rows.length, 1], dtype: 'float32' };
    return out;
  }
  raw.forEach((v, r) => {
    if (v === '') throw bad(r, ti, 'is an empty label; every row needs a class label');
  });
  // Numeric labels sort as numbers so '10' comes after '9'; '1' and '1.0' are the same class.
  const key = (v: string) => (numeric ? String(Number(v)) : v);
  const classes =
    options.classes ?? [...new Set(raw.map(key))].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const lookup = new Map(classes.map((c, i) => [c, i]));
  if (options.classes && numeric)
    classes.forEach((c, i) => {
      if (toNumber(c) !== undefined && !lookup.has(key(c))) lookup.set(key(c), i);
    });
  out.y = Int32Array.from(raw, (v, r) => {
    const k = lookup.get(v) ?? lookup.get(key(v));
    if (k === undefined) {
      throw new Error(
        `${file}: line ${rows[r].info.lines}, column '${names[ti]}': label '${v}' is not one of the known ` +
          `classes (${classes.join(', ')})`,
      );
    }
    return k;
  });
  out.classes = [...classes];
  return out;
}
