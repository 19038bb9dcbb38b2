/**
 * CSV loading: an optional header row, feature columns parsed as numbers (a bad cell is an
 * error naming the file, line, column and text), and an optional target column — class labels (any
 * strings, mapped to sorted class indices) or numbers for regression. Rows are converted to numbers as
 * they are parsed, so memory is the text plus the output arrays; the work is linear in the cells, and
 * `maxColumns` / `maxRows` bound it before anything large is built.
 */
import * as fs from 'node:fs';
import type { Tensor2D } from './tensor';
import { CsvWidthError, forEachRecord } from './csv-records';
import { clipText, listText } from '../quote';

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
  /**
   * Most columns a file may have (default 100,000). A wider file is refused as soon as its first record
   * passes the limit, before the rest is split. Why 100,000: a dense first layer of 64 units on that many
   * inputs already has 6.4 M weights, and data that wide is sparse data, for which a CSV of dense numbers
   * is the wrong format; parsing stays well under a second per row of that width.
   */
  maxColumns?: number;
  /** Most data rows (default: no limit beyond memory); parsing stops with an error at the first row over. */
  maxRows?: number;
  /** How loadCsv names the file in error messages (default: its path), e.g. to keep server paths private. */
  name?: string;
  /**
   * Whether error messages may quote the file's text — a bad cell, the header's column names, a label (default
   * true). False for messages that leave the machine (a queue worker's): they then name lines and columns by
   * number only.
   */
  quoteContent?: boolean;
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
/** Default for CsvOptions.maxColumns (see there for why). */
export const DEFAULT_MAX_COLUMNS = 100_000;

/**
 * Loads a CSV file (synchronously). Only regular files are read: a device or pipe (e.g. /dev/zero) is
 * refused before reading, since it could stream forever.
 * @example
 * const { x, y, classes } = bp.data.loadCsv('iris.csv', { target: 'species' });
 * const raw = bp.data.loadCsv('points.tsv', { header: false, delimiter: '\t' }); // columns '0', '1', …
 */
export function loadCsv(path: string, options: CsvOptions = {}): CsvData {
  const name = options.name ?? path;
  let text: string;
  try {
    if (!fs.statSync(path).isFile()) throw new Error(`${name}: not a regular file; give the path of a CSV file`);
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    throw new Error(`${name}: cannot read the file (${code})`);
  }
  return parseCsv(text, options, name);
}

/** A cell as a finite number, or undefined. Empty cells are rejected because Number('') is 0. */
function toNumber(s: string): number | undefined {
  if (s === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** Cell text or a list for an error message, cut short: a message must not carry a megabyte of input. */
function clip(s: string, max = 40): string {
  return clipText(s, max);
}
function list(names: string[], max = 20): string {
  return listText(names, max, 40);
}

function checkLimit(v: number | undefined, name: string, file: string): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1))
    throw new Error(`${file}: '${name}' must be a positive integer, got ${String(v)}`);
}

/** Upper bound on the records in `text`: one per line. */
function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * As loadCsv, from a string; `file` only names the source in error messages.
 * @example
 * const d = bp.data.parseCsv('a,b,y\n1,2,cat\n3,4,dog\n', { target: 'y' });
 * // d.x: [[1, 2], [3, 4]], d.y: Int32Array [0, 1], d.classes: ['cat', 'dog']
 */
export function parseCsv(text: string, options: CsvOptions = {}, file = '<csv>'): CsvData {
  const { header = true, delimiter = ',', task: taskOption = 'auto', maxRows, quoteContent = true } = options;
  const maxColumns = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
  if (!['auto', 'classification', 'regression'].includes(taskOption)) {
    throw new Error(`${file}: 'task' must be 'classification', 'regression' or 'auto', got '${String(taskOption)}'`);
  }
  checkLimit(maxColumns, 'maxColumns', file);
  checkLimit(maxRows, 'maxRows', file);
  if (typeof delimiter !== 'string' || delimiter === '' || /["\r\n]/.test(delimiter))
    throw new Error(`${file}: 'delimiter' must be a non-empty string without quotes or newlines`);
  const tooWide = () =>
    new Error(
      `${file}: has more than ${maxColumns.toLocaleString('en-US')} columns, the limit (maxColumns); ` +
        `raise maxColumns if the file really is this wide`,
    );

  let names: string[] = [];
  let ti = -1;
  let featureNames: string[] = [];
  let fi: number[] = [];
  let x = new Float32Array(0);
  const raw: string[] = []; // target cells
  const lines: number[] = []; // each row's line, for errors about its target
  let rows = 0;
  let ownError: Error | undefined; // errors raised while converting rows, rethrown as they are
  const fail = (e: Error): never => {
    ownError = e;
    throw e;
  };
  const bad = (line: number, c: number, cell: string, why: string) =>
    fail(
      new Error(
        quoteContent
          ? `${file}: line ${line}, column '${clip(names[c])}': '${clip(cell)}' ${why}`
          : `${file}: line ${line}, column ${c + 1}: the cell ${why}`,
      ),
    );

  const start = (first: string[]) => {
    names = header ? first : first.map((_, i) => String(i));
    const index = new Map<string, number>();
    names.forEach((n, i) => {
      if (index.has(n))
        fail(
          new Error(
            quoteContent
              ? `${file}: the header names column '${clip(n)}' twice; column names must be unique`
              : `${file}: columns ${index.get(n)! + 1} and ${i + 1} of the header have one name; names must be unique`,
          ),
        );
      index.set(n, i);
    });
    const find = (name: string): number => {
      const i = index.get(name);
      if (i === undefined)
        fail(
          new Error(
            `${file}: no column named '${clip(name)}'; ` +
              (quoteContent ? `columns are: ${list(names)}` : `the header has ${names.length} columns`),
          ),
        );
      return i!;
    };
    ti = options.target !== undefined ? find(options.target) : -1;
    featureNames = options.columns ? [...options.columns] : names.filter((_, i) => i !== ti);
    fi = featureNames.map(find);
    if (fi.includes(ti))
      fail(new Error(`${file}: the target column '${clip(options.target!)}' cannot also be a feature`));
    const capacity = Math.min(lineCount(text), maxRows ?? Infinity);
    x = new Float32Array(capacity * fi.length);
  };
  const addRow = (rec: string[], line: number) => {
    if (maxRows !== undefined && rows >= maxRows)
      fail(new Error(`${file}: has more than ${maxRows.toLocaleString('en-US')} data rows, the limit (maxRows)`));
    const cols = fi.length;
    const base = rows * cols;
    if (base + cols > x.length) {
      // Lines were counted by '\n'; a file with '\r' line ends has more records than that.
      const grown = new Float32Array(Math.max(2 * x.length, base + cols));
      grown.set(x);
      x = grown;
    }
    for (let j = 0; j < cols; j++) {
      const v = toNumber(rec[fi[j]]);
      if (v === undefined) bad(line, fi[j], rec[fi[j]], 'is not a number');
      x[base + j] = v!;
    }
    if (ti >= 0) {
      raw.push(rec[ti]);
      lines.push(line);
    }
    rows++;
  };

  let records = 0;
  try {
    forEachRecord(
      text,
      delimiter,
      (rec, line) => {
        if (records++ === 0) {
          start(rec);
          if (header) return;
        }
        addRow(rec, line);
      },
      maxColumns,
    );
  } catch (e) {
    if (ownError) throw ownError;
    if (e instanceof CsvWidthError) throw tooWide();
    throw new Error(`${file}: not valid CSV (${clip((e as Error).message, 200)})`);
  }
  if (records === 0)
    throw new Error(`${file}: the file is empty; expected ${header ? 'a header row and ' : ''}data rows`);
  if (rows === 0) throw new Error(`${file}: has a header but no data rows`);

  const cols = fi.length;
  const used = rows * cols;
  // Trailing newlines leave a little spare capacity; only copy when the spare part is large.
  const data = used === x.length ? x : used < x.length * 0.9 ? x.slice(0, used) : x.subarray(0, used);
  const out: CsvData = { x: { data, shape: [rows, cols], dtype: 'float32' }, featureNames };
  if (ti < 0) return out;
  out.targetName = names[ti];
  return { ...out, ...targetOf(raw, lines, names[ti], options, file, quoteContent) };
}

/** The target column's cells → task, and class indices or a regression column. */
function targetOf(
  raw: string[],
  lines: number[],
  column: string,
  options: CsvOptions,
  file: string,
  quoteContent: boolean,
): Pick<CsvData, 'y' | 'task' | 'classes'> {
  const rows = raw.length;
  const cell = (v: string) => (quoteContent ? `'${clip(v)}'` : 'the cell');
  const where = (r: number) => `${file}: line ${lines[r]}, column '${clip(column)}'`;
  const nums = raw.map(toNumber);
  const numeric = nums.every((v) => v !== undefined);
  let task: 'classification' | 'regression';
  if (options.task && options.task !== 'auto') task = options.task;
  else if (options.classes || !numeric) task = 'classification';
  else
    task =
      nums.every((v) => Number.isInteger(v)) && new Set(nums).size <= AUTO_MAX_CLASSES
        ? 'classification'
        : 'regression';

  if (task === 'regression') {
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      if (nums[r] === undefined) throw new Error(`${where(r)}: ${cell(raw[r])} is not a number (regression target)`);
      y[r] = nums[r]!;
    }
    return { task, y: { data: y, shape: [rows, 1], dtype: 'float32' } };
  }
  raw.forEach((v, r) => {
    if (v === '') throw new Error(`${where(r)}: '' is an empty label; every row needs a class label`);
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
  const y = Int32Array.from(raw, (v, r) => {
    const k = lookup.get(v) ?? lookup.get(key(v));
    if (k === undefined)
      throw new Error(
        quoteContent
          ? `${where(r)}: label '${clip(v)}' is not one of the known classes (${list(classes)})`
          : `${where(r)}: the label is not one of the ${classes.length} known classes`,
      );
    return k;
  });
  return { task, y, classes: [...classes] };
}
