/**
 * A CSV tokenizer (RFC 4180): fields split by a delimiter, records by \n, \r\n or \r; double-quoted
 * fields may hold delimiters, newlines and "" for a quote. Unquoted fields are trimmed; blank lines are
 * skipped; every record must have as many fields as the first. One pass over the text with indexOf and
 * slice, so the cost is linear in its length and each record's strings can be dropped once handled.
 */

const QUOTE = 34,
  LF = 10,
  CR = 13,
  SPACE = 32,
  TAB = 9;

/** A malformed CSV (bad quoting, a ragged row): its message names the line. */
export class CsvSyntaxError extends Error {}
/** A record with more fields than allowed; thrown as soon as the count passes the limit. */
export class CsvWidthError extends Error {}

const isBlank = (c: number) => c === SPACE || c === TAB;

/**
 * Calls `onRecord(fields, line)` for each record (line: 1-based, where the record starts). A record
 * with more than `maxFields` fields throws CsvWidthError before the rest of it is split.
 * @example forEachRecord('a,b\n1,"x,y"\n', ',', (f, line) => console.log(line, f)) // 1 ['a','b'], 2 ['1','x,y']
 */
export function forEachRecord(
  text: string,
  delimiter: string,
  onRecord: (fields: string[], line: number) => void,
  maxFields = Infinity,
): void {
  const n = text.length;
  const d0 = delimiter.charCodeAt(0);
  const dl = delimiter.length;
  const atDelimiter = (i: number) => text.charCodeAt(i) === d0 && (dl === 1 || text.startsWith(delimiter, i));
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let width = -1;
  // After a line end at i: the index past it (\r\n counts once).
  const skipLineEnd = (j: number) => (text.charCodeAt(j) === CR && text.charCodeAt(j + 1) === LF ? j + 2 : j + 1);

  while (i < n) {
    // Blank (or whitespace-only) lines are skipped.
    let j = i;
    while (j < n && isBlank(text.charCodeAt(j))) j++;
    if (j < n && (text.charCodeAt(j) === LF || text.charCodeAt(j) === CR)) {
      i = skipLineEnd(j);
      line++;
      continue;
    }
    if (j >= n) break;
    const start = line;
    const fields: string[] = [];
    for (;;) {
      // One field, starting at i.
      let k = i;
      while (k < n && isBlank(text.charCodeAt(k))) k++;
      let value: string;
      if (text.charCodeAt(k) === QUOTE) {
        let parts = '';
        let from = k + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) throw new CsvSyntaxError(`line ${start}: a quoted field is not closed before the end of the text`);
          for (let p = text.indexOf('\n', from); p >= 0 && p < q; p = text.indexOf('\n', p + 1)) line++;
          if (text.charCodeAt(q + 1) === QUOTE) {
            parts += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          value = parts + text.slice(from, q);
          k = q + 1;
          break;
        }
        while (k < n && isBlank(text.charCodeAt(k))) k++;
        if (k < n && !atDelimiter(k) && text.charCodeAt(k) !== LF && text.charCodeAt(k) !== CR)
          throw new CsvSyntaxError(`line ${line}: field ${fields.length + 1} has text after its closing quote`);
      } else {
        let e = k;
        for (; e < n; e++) {
          const c = text.charCodeAt(e);
          if (c === LF || c === CR || (c === d0 && atDelimiter(e))) break;
          if (c === QUOTE)
            throw new CsvSyntaxError(
              `line ${line}: field ${fields.length + 1} has a quote inside an unquoted value; quote the whole field`,
            );
        }
        let end = e;
        while (end > k && isBlank(text.charCodeAt(end - 1))) end--;
        value = text.slice(k, end);
        k = e;
      }
      fields.push(value);
      if (fields.length > maxFields) throw new CsvWidthError(`line ${start}: more than ${maxFields} fields`);
      if (k < n && atDelimiter(k)) {
        i = k + dl;
        continue;
      }
      i = k < n ? skipLineEnd(k) : n;
      if (k < n) line++;
      break;
    }
    if (width < 0) width = fields.length;
    else if (fields.length !== width)
      throw new CsvSyntaxError(`line ${start}: has ${fields.length} fields but the first record has ${width}`);
    onRecord(fields, start);
  }
}
