/**
 * What a csvDataset pass needs to know before it parses rows: the header (read from the file's first
 * record), which fields are features and which is the target, and how the target is read. The same checks
 * and messages as loadCsv: unknown or duplicate columns, a target that is also a feature, too many columns.
 */
import { CsvWidthError, forEachRecord } from '../csv-records';
import type { ParsePlan, TargetMode } from './csv-bytes';
import type { OpenFile } from './file-source';

/** The settings of a pass as plain JSON (they go to the worker threads). */
export interface CsvPlanSpec {
  /** How errors name the file. */
  name: string;
  delimiter: string;
  header: boolean;
  target?: string;
  columns?: string[];
  columnDefaults?: number | Record<string, number>;
  skipBadRows: boolean;
  /** false: errors quote no cell, label or column name of the file (its content goes to other machines). */
  quoteContent: boolean;
  maxColumns: number;
  maxRowBytes: number;
  /** 'scan' collects the target's distinct values (to find classes) instead of parsing rows. */
  targetMode: TargetMode | 'scan';
  classes?: string[];
  numericLabels?: boolean;
  dtype: 'float32' | 'float64';
}

export interface CsvHeader {
  /** Column names (from the header, or '0', '1', … without one). */
  names: string[];
  /** Byte offset of the first data record. */
  dataStart: number;
  /** Lines before the first data record (its line number is this + 1). */
  linesBefore: number;
}

export interface CsvColumns {
  featureNames: string[];
  /** Field index of each feature. */
  featureFields: number[];
  /** Field index of the target, or -1. */
  targetField: number;
}

const LF = 10,
  QUOTE = 34;

/** Text or a list for an error message, cut short. */
export function clip(s: string, max = 40): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}
function list(names: string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (${names.length} in all)`;
}

/** The index of the \n ending the first non-blank record in b[from, end), or -1; honours quotes. */
function firstRecordEnd(b: Uint8Array, from: number, end: number): { start: number; stop: number } | undefined {
  let i = from;
  for (;;) {
    let j = i;
    while (j < end && (b[j] === 32 || b[j] === 9 || b[j] === 13)) j++;
    if (j >= end) return undefined;
    if (b[j] === LF) {
      i = j + 1;
      continue;
    }
    let inQuote = false;
    for (let k = i; k < end; k++) {
      const c = b[k];
      if (c === QUOTE) inQuote = !inQuote;
      else if (c === LF && !inQuote) return { start: i, stop: k };
    }
    return { start: i, stop: -1 };
  }
}

/**
 * Reads the header (or, without one, counts the first record's fields) from the file's start.
 * @example readHeader(file, spec) // { names: ['a', 'b', 'y'], dataStart: 6, linesBefore: 1 }
 */
export function readHeader(file: OpenFile, spec: CsvPlanSpec): CsvHeader {
  const size = file.identity.size;
  let buf = new Uint8Array(Math.min(size, 1 << 16));
  let have = 0;
  let found: { start: number; stop: number } | undefined;
  for (;;) {
    have += file.read(buf, have, buf.length - have, have);
    const bom = have >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    found = firstRecordEnd(buf, bom, have);
    if (!found) {
      if (have >= size)
        throw new Error(`${spec.name}: the file is empty; expected ${spec.header ? 'a header row and ' : ''}data rows`);
    } else if (found.stop >= 0 || have >= size) break;
    if (have >= spec.maxRowBytes)
      throw new Error(
        `${spec.name}: line 1 is longer than maxRowBytes (${spec.maxRowBytes}); raise it if the file is right`,
      );
    const grown = new Uint8Array(Math.min(size, spec.maxRowBytes + 1, buf.length * 4));
    grown.set(buf.subarray(0, have));
    buf = grown;
  }
  const stop = found.stop >= 0 ? found.stop : have;
  let first: string[] = [];
  try {
    forEachRecord(
      new TextDecoder('utf-8').decode(buf.subarray(found.start, stop)),
      spec.delimiter,
      (rec) => {
        if (first.length === 0) first = rec;
      },
      spec.maxColumns,
    );
  } catch (e) {
    if (e instanceof CsvWidthError)
      throw new Error(
        `${spec.name}: has more than ${spec.maxColumns.toLocaleString('en-US')} columns, the limit (maxColumns); ` +
          `raise maxColumns if the file really is this wide`,
      );
    throw new Error(`${spec.name}: not valid CSV` + (spec.quoteContent ? ` (${clip((e as Error).message, 200)})` : ''));
  }
  let linesBefore = 0;
  for (let k = 0; k < found.start; k++) if (buf[k] === LF) linesBefore++;
  if (!spec.header) {
    return { names: first.map((_, i) => String(i)), dataStart: found.start, linesBefore };
  }
  for (let k = found.start; k < stop; k++) if (buf[k] === LF) linesBefore++;
  return { names: first, dataStart: found.stop >= 0 ? found.stop + 1 : have, linesBefore: linesBefore + 1 };
}

/** Features and target as field indexes, with loadCsv's checks. */
export function resolveColumns(names: string[], spec: CsvPlanSpec): CsvColumns {
  const file = spec.name;
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (index.has(n))
      throw new Error(
        spec.quoteContent
          ? `${file}: the header names column '${clip(n)}' twice; column names must be unique`
          : `${file}: columns ${index.get(n)! + 1} and ${i + 1} of the header have one name; names must be unique`,
      );
    index.set(n, i);
  });
  const find = (name: string): number => {
    const i = index.get(name);
    if (i === undefined)
      throw new Error(
        `${file}: no column named '${clip(name)}'; ` +
          (spec.quoteContent ? `columns are: ${list(names)}` : `the header has ${names.length} columns`),
      );
    return i;
  };
  const targetField = spec.target !== undefined ? find(spec.target) : -1;
  const featureNames = spec.columns ? [...spec.columns] : names.filter((_, i) => i !== targetField);
  const featureFields = featureNames.map(find);
  if (targetField >= 0 && featureFields.includes(targetField))
    throw new Error(`${file}: the target column '${clip(spec.target!)}' cannot also be a feature`);
  if (new Set(featureFields).size !== featureFields.length) throw new Error(`${file}: 'columns' names a column twice`);
  const defaults = spec.columnDefaults;
  if (defaults !== undefined && typeof defaults === 'object')
    for (const k of Object.keys(defaults))
      if (!featureNames.includes(k))
        throw new Error(`${file}: 'columnDefaults' names '${clip(k)}', which is not a feature column`);
  return { featureNames, featureFields, targetField };
}

/** The parser's plan for a pass (built in each parser thread from the spec and the header). */
export function parsePlan(spec: CsvPlanSpec, names: string[], maxDistinct = 100_000): ParsePlan {
  const { featureNames, featureFields, targetField } = resolveColumns(names, spec);
  const scan = spec.targetMode === 'scan';
  // A scan reads the target only: features are skipped like unused columns.
  const featureOf = new Int32Array(names.length).fill(-1);
  if (!scan) featureFields.forEach((f, slot) => (featureOf[f] = slot));
  const defaults = new Float64Array(featureNames.length).fill(NaN);
  const d = spec.columnDefaults;
  featureNames.forEach((n, slot) => {
    const v = typeof d === 'number' ? d : d?.[n];
    if (v !== undefined) defaults[slot] = v;
  });
  const single = spec.delimiter.length === 1 && spec.delimiter.charCodeAt(0) < 128;
  const plan: ParsePlan = {
    delimiter: spec.delimiter,
    delimiterByte: single ? spec.delimiter.charCodeAt(0) : -1,
    width: names.length,
    featureOf,
    features: scan ? 0 : featureNames.length,
    defaults,
    targetField,
    targetMode: scan ? 'none' : (spec.targetMode as TargetMode),
    // A scan passes over bad records (the pass that reads the rows reports them, in file order).
    skipBadRows: spec.skipBadRows || scan,
    scan,
    maxDistinct,
  };
  if (spec.targetMode === 'labels') {
    const classes = spec.classes ?? [];
    plan.labelIndex = new Map(classes.map((c, i) => [c, i]));
    plan.numericLabels = !!spec.numericLabels;
    if (plan.numericLabels) {
      plan.numericLabelIndex = new Map();
      classes.forEach((c, i) => {
        const v = c === '' ? NaN : Number(c);
        if (Number.isFinite(v) && !plan.numericLabelIndex!.has(v)) plan.numericLabelIndex!.set(v, i);
      });
    }
  }
  return plan;
}
