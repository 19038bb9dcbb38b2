/**
 * CSV loading (via csv-parse): a header row, feature columns parsed as numbers (a bad cell is an error
 * naming the file, line, column and text), and an optional target column — class labels (any strings,
 * mapped to sorted class indices) or numbers for regression.
 */
import * as fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Tensor2D } from './tensor';

export interface CsvOptions {
  /** Name of the target column (excluded from the features). */
  target?: string;
  /** Feature columns to use (default: every column but the target). */
  columns?: string[];
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

/**
 * Loads a CSV file with a header row.
 * @example const { x, y, classes } = bp.data.loadCsv('iris.csv', { target: 'species' });
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

/** As loadCsv, from a string. @example bp.data.parseCsv('a,b,y\n1,2,cat\n', { target: 'y' }) */
export function parseCsv(text: string, options: CsvOptions = {}, file = '<csv>'): CsvData {
  let records: string[][];
  try {
    records = parse(text, { delimiter: options.delimiter ?? ',', skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (e) {
    throw new Error(`${file}: not valid CSV (${(e as Error).message})`);
  }
  if (records.length === 0) throw new Error(`${file}: the file is empty; expected a header row`);
  const header = records[0];
  const rows = records.slice(1);
  const index = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column named '${name}'; columns are: ${header.join(', ')}`);
    return i;
  };
  const ti = options.target !== undefined ? index(options.target) : -1;
  const featureNames = options.columns ?? header.filter((_, i) => i !== ti);
  const fi = featureNames.map(index);
  if (fi.includes(ti)) throw new Error(`${file}: the target column '${options.target}' cannot also be a feature`);
  const x = new Float32Array(rows.length * fi.length);
  rows.forEach((row, r) => fi.forEach((c, j) => {
    const v = Number(row[c]);
    if (row[c] === '' || !Number.isFinite(v)) {
      throw new Error(`${file}: line ${r + 2}, column '${header[c]}': '${row[c]}' is not a number`);
    }
    x[r * fi.length + j] = v;
  }));
  const out: CsvData = { x: { data: x, shape: [rows.length, fi.length], dtype: 'float32' }, featureNames };
  if (ti < 0) return out;
  out.targetName = header[ti];
  const raw = rows.map((row) => row[ti]);
  const numeric = raw.every((v) => v !== '' && Number.isFinite(Number(v)));
  let task = options.task ?? 'auto';
  if (task === 'auto') task = options.classes || !numeric || (new Set(raw).size <= 20 && raw.every((v) => Number.isInteger(Number(v)))) ? 'classification' : 'regression';
  out.task = task;
  if (task === 'regression') {
    const y = new Float32Array(rows.length);
    raw.forEach((v, r) => {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) throw new Error(`${file}: line ${r + 2}, column '${header[ti]}': '${v}' is not a number (regression target)`);
      y[r] = n;
    });
    out.y = { data: y, shape: [rows.length, 1], dtype: 'float32' };
  } else {
    const classes = options.classes ?? [...new Set(raw)].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
    const lookup = new Map(classes.map((c, i) => [c, i]));
    out.y = Int32Array.from(raw, (v, r) => {
      const k = lookup.get(v);
      if (k === undefined) throw new Error(`${file}: line ${r + 2}, column '${header[ti]}': label '${v}' is not one of the known classes (${classes.join(', ')})`);
      return k;
    });
    out.classes = classes;
  }
  return out;
}
