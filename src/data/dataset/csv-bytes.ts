/**
 * CSV records parsed straight from UTF-8 bytes into float rows, for the parser threads of csvDataset. The
 * common case — unquoted numeric fields and a one-byte delimiter — is read digit by digit without making
 * strings: a number whose digits make an integer up to 2^53 and whose decimal exponent is within ±22 is an
 * exact integer times or divided by an exact power of ten, so one IEEE operation gives the correctly rounded
 * double, the same double `Number(text)` gives (Clinger's fast path). Anything else — more digits, hex, quotes, a
 * multi-byte delimiter — falls back to the string path of loadCsv (`forEachRecord`, `Number`), so both
 * loaders accept the same files and produce the same bits.
 */
import { forEachRecord } from '../csv-records';

const QUOTE = 34,
  LF = 10,
  CR = 13,
  SPACE = 32,
  TAB = 9,
  MINUS = 45,
  PLUS = 43,
  DOT = 46,
  ZERO = 48,
  NINE = 57,
  LOWER_E = 101,
  UPPER_E = 69;

const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MAX_EXACT = 2 ** 53;
const utf8 = new TextDecoder('utf-8');

/** What the target column holds: class labels mapped to indices, numbers, or nothing (no target). */
export type TargetMode = 'none' | 'labels' | 'numbers';

/** How to read the records of one file (built once per pass from the header and the options). */
export interface ParsePlan {
  /** The delimiter, and its first byte when it is a single ASCII byte (else -1: every record takes the slow path). */
  delimiter: string;
  delimiterByte: number;
  /** Fields per record (the header's count). */
  width: number;
  /** For each field, the feature slot it fills, or -1. */
  featureOf: Int32Array;
  /** Feature values per row. */
  features: number;
  /** For each feature slot, the value of an empty cell (NaN: an empty cell is an error). */
  defaults: Float64Array;
  /** The target's field, or -1. */
  targetField: number;
  targetMode: TargetMode;
  /** Labels → class index ('labels' mode): raw label text, and numbers for numeric labels. */
  labelIndex?: Map<string, number>;
  numericLabelIndex?: Map<number, number>;
  /** Whether labels are numeric (then '1' and '1.0' are the same class, as loadCsv has it). */
  numericLabels?: boolean;
  /** Skip bad records (counted) instead of stopping at the first. */
  skipBadRows: boolean;
  /** Collect the target's distinct texts instead of rows (the scan that finds the classes). */
  scan: boolean;
  /** Most distinct targets a scan keeps before it stops collecting them. */
  maxDistinct: number;
}

/** A bad record: where (relative to the chunk), which field, the cell's text and why. */
export interface BadRecord {
  /** Record index in the chunk (every record counts, good or bad). */
  record: number;
  /** Line index in the chunk (0 = the chunk's first line). */
  line: number;
  /** The field, or -1 when the record as a whole is wrong (field count, quoting). */
  field: number;
  cell: string;
  why: string;
}

/** Output of one chunk: rows in `x` / `y`, and what else the loader needs. */
export interface ChunkResult {
  rows: number;
  records: number;
  /** Newlines in the chunk (to number the lines of the chunks after it). */
  newlines: number;
  badCount: number;
  /** The first few bad records (and with skipBadRows false, the one that stopped the chunk). */
  bad: BadRecord[];
  /** Record indexes (in the chunk) of skipped records, so splits can number the records that remain. */
  skipped: number[];
  /** For scans: distinct target texts, and whether every one was a number / an integer. */
  distinct?: string[];
  allNumeric?: boolean;
  allInteger?: boolean;
  distinctOverflow?: boolean;
}

const MAX_REPORTED = 5;

/** A cell as a finite number, or undefined: the rules of loadCsv (Number(), '' is not 0). */
function cellNumber(s: string): number | undefined {
  if (s === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** A field's text: short ASCII fields (labels) without the decoder's per-call cost, the rest as UTF-8. */
function fieldText(b: Uint8Array, from: number, to: number): string {
  const n = to - from;
  if (n <= 0) return '';
  if (n <= 32) {
    let ascii = true;
    for (let k = from; k < to; k++) if (b[k] >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, b.subarray(from, to) as unknown as number[]);
  }
  return utf8.decode(b.subarray(from, to));
}

/** The state of one chunk's parse besides the hot loop's locals: the plan, outputs, the record's error, scans. */
interface Ctx {
  plan: ParsePlan;
  x: Float32Array | Float64Array;
  y: Int32Array | Float32Array | Float64Array | null;
  /** The current record's bad field (-1: the record as a whole), its cell and why. */
  badField: number;
  badCell: string;
  badWhy: string;
  distinct: Set<string> | undefined;
  allNumeric: boolean;
  allInteger: boolean;
  overflow: boolean;
}

function fail(c: Ctx, field: number, cell: string, why: string): false {
  c.badField = field;
  c.badCell = cell;
  c.badWhy = why;
  return false;
}

/** The target cell of a record (as text): a label, a regression value, or a scan's observation. */
function takeTarget(c: Ctx, text: string, row: number): boolean {
  const plan = c.plan;
  if (plan.scan) {
    if (!c.overflow) {
      c.distinct!.add(text);
      if (c.distinct!.size > plan.maxDistinct) c.overflow = true;
    }
    const v = cellNumber(text);
    if (v === undefined) c.allNumeric = false;
    else if (!Number.isInteger(v)) c.allInteger = false;
    return true;
  }
  if (plan.targetMode === 'numbers') {
    const v = cellNumber(text);
    if (v === undefined) return fail(c, plan.targetField, text, 'is not a number (regression target)');
    c.y![row] = v;
    return true;
  }
  if (text === '') return fail(c, plan.targetField, text, 'is an empty label; every row needs a class label');
  let k = plan.labelIndex!.get(text);
  if (k === undefined && plan.numericLabels) {
    const v = cellNumber(text);
    if (v !== undefined) k = plan.numericLabelIndex!.get(v);
  }
  if (k === undefined) return fail(c, plan.targetField, text, 'is not one of the known classes');
  c.y![row] = k;
  return true;
}

/** A feature cell given as text (the fast path did not take it): a number, or the column's default if empty. */
function takeFeature(c: Ctx, text: string, f: number, slot: number, base: number): boolean {
  let v = cellNumber(text);
  if (v === undefined && text === '' && !Number.isNaN(c.plan.defaults[slot])) v = c.plan.defaults[slot];
  if (v === undefined) return fail(c, f, text, 'is not a number');
  c.x[base + slot] = v;
  return true;
}

/** The end of the record starting at `from` (the index of its \n, or `end`), honouring quotes. */
function recordEnd(b: Uint8Array, from: number, end: number): number {
  let inQuote = false;
  for (let k = from; k < end; k++) {
    const ch = b[k];
    if (ch === QUOTE) inQuote = !inQuote;
    else if (ch === LF && !inQuote) return k;
  }
  return end;
}

/** The string path for one record (quotes, a multi-byte delimiter): loadCsv's tokenizer, then the fields. */
function slowRecord(c: Ctx, b: Uint8Array, from: number, stop: number, row: number): boolean {
  const { width, featureOf, features, targetField, delimiter } = c.plan;
  const got: { fields?: string[] } = {};
  try {
    forEachRecord(
      utf8.decode(b.subarray(from, stop)),
      delimiter,
      (rec) => {
        if (got.fields) throw new Error('junk');
        got.fields = rec;
      },
      width + 1,
    );
  } catch (e) {
    // A second record inside one line can only come from a bare \r (a \n outside quotes ends the line).
    const m = (e as Error).message.replace(/^line \d+: /, '');
    return fail(c, -1, '', m === 'junk' ? BARE_CR : m.includes('more than') ? `has more than ${width} fields` : m);
  }
  const fields = got.fields;
  if (!fields) return fail(c, -1, '', 'is empty');
  if (fields.length !== width) return fail(c, -1, '', fieldCount(fields.length, width));
  const base = row * features;
  for (let f = 0; f < width; f++) {
    const slot = featureOf[f];
    if (slot >= 0) {
      if (!takeFeature(c, fields[f], f, slot, base)) return false;
    } else if (f === targetField && !takeTarget(c, fields[f], row)) return false;
  }
  return true;
}

const BARE_CR = 'has a bare carriage return (\\r) line end; use \\n or \\r\\n line ends';
const fieldCount = (n: number, width: number) =>
  `has ${n} fields but the header has ${width}; every row needs ${width}`;

/**
 * Why a bad record is bad, once the fast path stopped on it: a wrong field count (counted quote-aware) comes
 * before any cell's problem, as in loadCsv, whose tokenizer checks the count first.
 */
function explain(c: Ctx, b: Uint8Array, from: number, stop: number): void {
  let n = -1;
  try {
    forEachRecord(utf8.decode(b.subarray(from, stop)), c.plan.delimiter, (rec) => (n = rec.length), Infinity);
  } catch {
    n = -1;
  }
  if (n === c.plan.width && c.badWhy !== 'count') return;
  c.badField = -1;
  c.badWhy = n >= 0 ? fieldCount(n, c.plan.width) : `does not have the header's ${c.plan.width} fields`;
}

/**
 * Parses records from `b[start, end)` (whole records: the loader cut the chunk at a record end, and
 * `b[end - 1]` is a \n) into `x` (rows × plan.features) and `y` (a label or value per row). `x` and `y`
 * must hold `maxRows(end - start, plan.width)` rows.
 * @example parseRecords(bytes, 0, bytes.length, plan, x, y)
 */
export function parseRecords(
  b: Uint8Array,
  start: number,
  end: number,
  plan: ParsePlan,
  x: Float32Array | Float64Array,
  y: Int32Array | Float32Array | Float64Array | null,
): ChunkResult {
  // The hot loop keeps its state in locals (no closures capture them, so they stay in registers).
  const width = plan.width,
    featureOf = plan.featureOf,
    features = plan.features,
    targetField = plan.targetField,
    d = plan.delimiterByte;
  const numbersTarget = plan.targetMode === 'numbers' && !plan.scan;
  // Numeric class labels are read as numbers too, and mapped by value (as loadCsv maps '1.0' to class '1').
  const numericLabels = plan.targetMode === 'labels' && !!plan.numericLabels && !plan.scan;
  const byNumber = plan.numericLabelIndex;
  const res: ChunkResult = { rows: 0, records: 0, newlines: 0, badCount: 0, bad: [], skipped: [] };
  const c: Ctx = {
    plan,
    x,
    y,
    badField: -1,
    badCell: '',
    badWhy: '',
    distinct: plan.scan ? new Set<string>() : undefined,
    allNumeric: true,
    allInteger: true,
    overflow: false,
  };
  let line = 0;
  let i = start;
  while (i < end) {
    // Blank (whitespace-only) lines are not records.
    let j = i;
    while (j < end && (b[j] === SPACE || b[j] === TAB)) j++;
    if (j >= end) break;
    if (b[j] === LF || (b[j] === CR && b[j + 1] === LF)) {
      i = b[j] === LF ? j + 1 : j + 2;
      line++;
      res.newlines++;
      continue;
    }
    const recStart = i;
    const row = res.rows;
    const base = row * features;
    c.badField = -1;
    let ok = true;
    let slow = d < 0;
    // The fast path: field by field, numbers parsed from the bytes.
    for (let f = 0; f < width && !slow; f++) {
      while (b[i] === SPACE || b[i] === TAB) i++;
      const fieldStart = i;
      const slot = featureOf[f];
      let ch = b[i];
      if (ch === QUOTE) {
        slow = true;
        break;
      }
      let parsed = false;
      if (slot >= 0 || (f === targetField && (numbersTarget || numericLabels))) {
        // [+-]digits[.digits][(e|E)[+-]digits], then blanks, then a delimiter or the line end.
        let neg = false;
        if (ch === MINUS) {
          neg = true;
          ch = b[++i];
        } else if (ch === PLUS) ch = b[++i];
        let m = 0,
          exp = 0,
          any = false;
        while (ch >= ZERO && ch <= NINE) {
          m = m * 10 + (ch - ZERO);
          any = true;
          ch = b[++i];
        }
        if (ch === DOT) {
          ch = b[++i];
          while (ch >= ZERO && ch <= NINE) {
            m = m * 10 + (ch - ZERO);
            exp--;
            any = true;
            ch = b[++i];
          }
        }
        if (any && (ch === LOWER_E || ch === UPPER_E)) {
          ch = b[++i];
          let eneg = false;
          if (ch === MINUS) {
            eneg = true;
            ch = b[++i];
          } else if (ch === PLUS) ch = b[++i];
          let e = 0,
            edigits = 0;
          while (ch >= ZERO && ch <= NINE) {
            if (e < 100000) e = e * 10 + (ch - ZERO);
            edigits++;
            ch = b[++i];
          }
          if (edigits === 0) any = false;
          exp += eneg ? -e : e;
        }
        while (ch === SPACE || ch === TAB) ch = b[++i];
        // m grew digit by digit, so if it ends at most 2^53 every step was exact.
        if (any && m <= MAX_EXACT && exp >= -22 && exp <= 22 && (ch === d || ch === LF || ch === CR || i >= end)) {
          const v = exp < 0 ? m / POW10[-exp] : m * POW10[exp];
          if (slot >= 0) {
            x[base + slot] = neg ? -v : v;
            parsed = true;
          } else if (numbersTarget) {
            y![row] = neg ? -v : v;
            parsed = true;
          } else {
            // A label that is no class goes the text path, which names it.
            const k = byNumber!.get(neg ? -v : v);
            if (k !== undefined) {
              y![row] = k;
              parsed = true;
            }
          }
        }
      } else if (f !== targetField) {
        // A column not used: skip to its end.
        while (i < end && ch !== d && ch !== LF && ch !== CR && ch !== QUOTE) ch = b[++i];
        if (ch === QUOTE) {
          slow = true;
          break;
        }
        parsed = true;
      }
      if (!parsed) {
        // The cell's text: a label, an empty cell, or a number the fast path does not take.
        let k = fieldStart;
        ch = b[k];
        while (k < end && ch !== d && ch !== LF && ch !== CR && ch !== QUOTE) ch = b[++k];
        if (ch === QUOTE) {
          slow = true;
          break;
        }
        let stop = k;
        while (stop > fieldStart && (b[stop - 1] === SPACE || b[stop - 1] === TAB)) stop--;
        const text = fieldText(b, fieldStart, stop);
        i = k;
        ok = slot >= 0 ? takeFeature(c, text, f, slot, base) : takeTarget(c, text, row);
        if (!ok) break;
      }
      // After the field: a delimiter before every field but the last, the line end after it.
      ch = b[i];
      const atLineEnd = i >= end || ch === LF || (ch === CR && (i + 1 >= end || b[i + 1] === LF));
      if (ch === CR && !atLineEnd) ok = fail(c, -1, '', BARE_CR);
      else if (f < width - 1) {
        if (ch === d && i < end) i++;
        else ok = fail(c, -1, '', 'count');
      } else if (!atLineEnd) ok = fail(c, -1, '', ch === d ? 'count' : 'has text after its last field');
      if (!ok) break;
    }
    // Where the record ends (its \n, or the chunk's end), for both paths.
    const stop = slow || !ok ? recordEnd(b, recStart, end) : b[i] === CR ? i + 1 : i;
    if (slow) ok = slowRecord(c, b, recStart, stop, row);
    else if (!ok && c.badWhy !== BARE_CR) explain(c, b, recStart, stop);
    let recLines = 0;
    if (slow) for (let k = recStart; k < stop; k++) if (b[k] === LF) recLines++;
    const recordLine = line;
    line += recLines;
    res.newlines += recLines;
    // Past the record's line end.
    i = stop < end ? stop + 1 : end;
    if (stop < end) {
      line++;
      res.newlines++;
    }
    const record = res.records++;
    if (ok) {
      res.rows++;
      continue;
    }
    res.badCount++;
    if (res.bad.length < MAX_REPORTED)
      res.bad.push({ record, line: recordLine, field: c.badField, cell: c.badCell, why: c.badWhy });
    if (!plan.skipBadRows) return res;
    res.skipped.push(record);
  }
  if (c.distinct) {
    res.distinct = [...c.distinct];
    res.allNumeric = c.allNumeric;
    res.allInteger = c.allInteger;
    res.distinctOverflow = c.overflow;
  }
  return res;
}

/** Most rows the records in `length` bytes can make (each record takes at least `width` bytes). */
export function maxRows(length: number, width: number): number {
  return Math.floor(length / Math.max(1, width)) + 1;
}

/**
 * The index just past the last complete record in `b[start, end)` (0 records: `start`), honouring quotes:
 * a chunk ends there and the rest starts the next one. Quote state is known at `start`, a record boundary.
 * `b` is a Buffer: its indexOf and lastIndexOf search with memchr, so a file without quotes costs two
 * native scans per chunk.
 */
export function lastRecordEnd(b: Buffer, start: number, end: number): number {
  let inQuote = false;
  let last = -1;
  let i = start;
  for (;;) {
    let q = b.indexOf(QUOTE, i);
    if (q >= end) q = -1;
    if (!inQuote) {
      const segEnd = q < 0 ? end : q;
      if (segEnd > i) {
        const nl = b.lastIndexOf(LF, segEnd - 1);
        if (nl >= i) last = nl;
      }
    }
    if (q < 0) break;
    inQuote = !inQuote;
    i = q + 1;
  }
  return last < 0 ? start : last + 1;
}
