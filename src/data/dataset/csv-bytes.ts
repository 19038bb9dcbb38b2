/**
 * CSV records parsed straight from UTF-8 bytes into float rows, for the parser threads of csvDataset. The
 * common case — unquoted numeric fields and a one-byte delimiter — is read digit by digit without making
 * strings: a number with at most 15 significant digits and a decimal exponent within ±22 is an exact integer
 * times or divided by an exact power of ten, so one IEEE operation gives the correctly rounded double, the
 * same double `Number(text)` gives (Clinger's fast path). Anything else — more digits, hex, quotes, a
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

/**
 * Parses records from `b[start, end)` (whole records: the loader cut the chunk at a record end) into `x`
 * (rows × plan.features) and `y` (a label or value per row). `x` and `y` must hold `maxRows(…)` rows.
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
  const { width, featureOf, features, defaults, targetField, delimiterByte } = plan;
  const d = delimiterByte;
  const res: ChunkResult = { rows: 0, records: 0, newlines: 0, badCount: 0, bad: [], skipped: [] };
  const distinct = plan.scan ? new Set<string>() : undefined;
  let allNumeric = true,
    allInteger = true,
    overflow = false;
  let line = 0;
  let i = start;
  // Per record: the field being read and its text when it is a bad cell.
  let badField = -1,
    badCell = '',
    badWhy = '';
  const fail = (field: number, cell: string, why: string) => {
    badField = field;
    badCell = cell;
    badWhy = why;
    return false;
  };

  // The target cell of the current record (text), for labels and scans.
  const takeTarget = (text: string, row: number): boolean => {
    if (plan.scan) {
      if (!overflow) {
        distinct!.add(text);
        if (distinct!.size > plan.maxDistinct) overflow = true;
      }
      const v = cellNumber(text);
      if (v === undefined) allNumeric = false;
      else if (!Number.isInteger(v)) allInteger = false;
      return true;
    }
    if (plan.targetMode === 'numbers') {
      const v = cellNumber(text);
      if (v === undefined) return fail(targetField, text, 'is not a number (regression target)');
      y![row] = v;
      return true;
    }
    if (text === '') return fail(targetField, text, 'is an empty label; every row needs a class label');
    let k = plan.labelIndex!.get(text);
    if (k === undefined && plan.numericLabels) {
      const v = cellNumber(text);
      if (v !== undefined) k = plan.numericLabelIndex!.get(v);
    }
    if (k === undefined) return fail(targetField, text, 'is not one of the known classes');
    y![row] = k;
    return true;
  };

  /** The string path for one record's fields (quotes, odd numbers, multi-byte delimiters). */
  const slowRecord = (fields: string[], row: number): boolean => {
    if (fields.length !== width)
      return fail(-1, '', `has ${fields.length} fields but the header has ${width}; every row needs ${width}`);
    const base = row * features;
    for (let f = 0; f < width; f++) {
      const slot = featureOf[f];
      if (slot >= 0) {
        const text = fields[f];
        let v = cellNumber(text);
        if (v === undefined && text === '' && !Number.isNaN(defaults[slot])) v = defaults[slot];
        if (v === undefined) return fail(f, text, 'is not a number');
        x[base + slot] = v;
      } else if (f === targetField && !takeTarget(fields[f], row)) return false;
    }
    return true;
  };

  /** The end of the record starting at `from` (the index of its \n, or `end`), honouring quotes. */
  const recordEnd = (from: number): number => {
    let inQuote = false;
    for (let k = from; k < end; k++) {
      const c = b[k];
      if (c === QUOTE) inQuote = !inQuote;
      else if (c === LF && !inQuote) return k;
    }
    return end;
  };

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
    badField = -1;
    let ok = true;
    let slow = d < 0;
    // The fast path: field by field, numbers parsed from the bytes.
    if (!slow) {
      for (let f = 0; f < width && ok && !slow; f++) {
        // i is at the field's first byte.
        while (b[i] === SPACE || b[i] === TAB) i++;
        const fieldStart = i;
        const slot = featureOf[f];
        const isTarget = f === targetField;
        if (b[i] === QUOTE) {
          slow = true;
          break;
        }
        let parsed = false;
        const numericTarget = isTarget && plan.targetMode === 'numbers' && !plan.scan;
        if (slot >= 0 || numericTarget) {
          // [+-]digits[.digits][(e|E)[+-]digits], then blanks, then a delimiter or the line end.
          let c = b[i];
          let neg = false;
          if (c === MINUS) {
            neg = true;
            c = b[++i];
          } else if (c === PLUS) c = b[++i];
          let m = 0,
            digits = 0,
            exp = 0,
            any = false;
          while (c >= ZERO && c <= NINE) {
            if (digits > 0 || c !== ZERO) digits++;
            m = m * 10 + (c - ZERO);
            any = true;
            c = b[++i];
          }
          if (c === DOT) {
            c = b[++i];
            while (c >= ZERO && c <= NINE) {
              if (digits > 0 || c !== ZERO) digits++;
              m = m * 10 + (c - ZERO);
              exp--;
              any = true;
              c = b[++i];
            }
          }
          if (any && (c === LOWER_E || c === UPPER_E)) {
            c = b[++i];
            let eneg = false;
            if (c === MINUS) {
              eneg = true;
              c = b[++i];
            } else if (c === PLUS) c = b[++i];
            let e = 0,
              edigits = 0;
            while (c >= ZERO && c <= NINE) {
              if (e < 100000) e = e * 10 + (c - ZERO);
              edigits++;
              c = b[++i];
            }
            if (edigits === 0) any = false;
            exp += eneg ? -e : e;
          }
          while (c === SPACE || c === TAB) c = b[++i];
          const atEnd = i >= end || c === d || c === LF || c === CR;
          if (any && atEnd && digits <= 15 && exp >= -22 && exp <= 22) {
            const v = exp < 0 ? m / POW10[-exp] : m * POW10[exp];
            if (slot >= 0) x[base + slot] = neg ? -v : v;
            else y![row] = neg ? -v : v;
            parsed = true;
          }
        } else if (!isTarget) {
          // A column not used: skip to its end.
          let c = b[i];
          while (i < end && c !== d && c !== LF && c !== CR && c !== QUOTE) c = b[++i];
          if (c === QUOTE) {
            slow = true;
            break;
          }
          parsed = true;
        }
        if (!parsed) {
          // The cell's text, for a label, an empty cell, or a number the fast path does not take.
          let k = fieldStart;
          let c = b[k];
          while (k < end && c !== d && c !== LF && c !== CR && c !== QUOTE) c = b[++k];
          if (c === QUOTE) {
            slow = true;
            break;
          }
          let stop = k;
          while (stop > fieldStart && (b[stop - 1] === SPACE || b[stop - 1] === TAB)) stop--;
          const text = stop > fieldStart ? utf8.decode(b.subarray(fieldStart, stop)) : '';
          i = k;
          if (slot >= 0) {
            let v = cellNumber(text);
            if (v === undefined && text === '' && !Number.isNaN(defaults[slot])) v = defaults[slot];
            if (v === undefined) ok = fail(f, text, 'is not a number');
            else x[base + slot] = v;
          } else ok = takeTarget(text, row);
        }
        if (!ok) break;
        // After the field: a delimiter before every field but the last, the line end after it.
        const c = b[i];
        const atLineEnd = i >= end || c === LF || (c === CR && (i + 1 >= end || b[i + 1] === LF));
        if (c === CR && !atLineEnd) ok = fail(-1, '', 'bare CR');
        else if (f < width - 1) {
          if (c === d && i < end) i++;
          else ok = fail(-1, '', 'too few');
        } else if (!atLineEnd) ok = fail(-1, '', c === d ? 'too many' : 'junk');
      }
    }
    // Where the record ends (its \n, or the chunk's end), for both paths.
    const stop = slow || !ok ? recordEnd(recStart) : b[i] === CR ? i + 1 : i;
    let recLines = 0;
    if (slow) {
      badField = -1;
      const text = utf8.decode(b.subarray(recStart, stop));
      const got: { fields?: string[] } = {};
      try {
        forEachRecord(
          text,
          plan.delimiter,
          (rec) => {
            if (got.fields) throw new Error('junk');
            got.fields = rec;
          },
          width + 1,
        );
        ok = got.fields ? slowRecord(got.fields, row) : fail(-1, '', 'junk');
      } catch (e) {
        // A second record inside one line can only come from a bare \r (a \n outside quotes ends the line).
        const m = (e as Error).message.replace(/^line \d+: /, '');
        ok = fail(-1, '', m === 'junk' ? 'bare CR' : m.includes('more than') ? 'too many fields' : m);
      }
    } else if (!ok && badField < 0 && badWhy !== 'bare CR') {
      // A wrong field count: count the fields (quote-aware) for the message.
      const text = utf8.decode(b.subarray(recStart, stop));
      let n = 0;
      try {
        forEachRecord(text, plan.delimiter, (rec) => (n = rec.length), Infinity);
      } catch {
        n = -1;
      }
      badWhy =
        n >= 0
          ? `has ${n} fields but the header has ${width}; every row needs ${width}`
          : `does not have the header's ${width} fields`;
    }
    for (let k = recStart; k < stop; k++) if (b[k] === LF) recLines++;
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
    if (badWhy === 'bare CR') badWhy = 'has a bare carriage return (\\r) line end; use \\n or \\r\\n line ends';
    else if (badWhy === 'junk') badWhy = 'has text after its last field';
    else if (badWhy === 'too many fields') badWhy = `has more than ${width} fields, the header's count`;
    if (res.bad.length < MAX_REPORTED) res.bad.push({ record, line: recordLine, field: badField, cell: badCell, why: badWhy });
    if (!plan.skipBadRows) return res;
    res.skipped.push(record);
  }
  if (distinct) {
    res.distinct = [...distinct];
    res.allNumeric = allNumeric;
    res.allInteger = allInteger;
    res.distinctOverflow = overflow;
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
 */
export function lastRecordEnd(b: Uint8Array, start: number, end: number): number {
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
