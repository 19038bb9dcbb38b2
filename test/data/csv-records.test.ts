/** The CSV tokenizer under parseCsv: RFC 4180 quoting, line ends, trimming, widths, and its errors. */
import { CsvSyntaxError, CsvWidthError, forEachRecord } from '../../src/data/csv-records';

const records = (text: string, delimiter = ',', maxFields?: number) => {
  const out: [number, string[]][] = [];
  forEachRecord(text, delimiter, (f, line) => out.push([line, f]), maxFields);
  return out;
};

describe('forEachRecord', () => {
  test('quotes: delimiters, newlines and "" inside; line numbers are where a record starts', () => {
    expect(records('a,b\n"x,1","say ""hi"""\n"two\nlines",3\nlast,4')).toEqual([
      [1, ['a', 'b']],
      [2, ['x,1', 'say "hi"']],
      [3, ['two\nlines', '3']],
      [5, ['last', '4']],
    ]);
    expect(records('"",""\n')).toEqual([[1, ['', '']]]);
  });
  test('\\n, \\r\\n and \\r line ends; BOM; blank and whitespace-only lines skipped but counted', () => {
    expect(records('\ufeffa,b\r\n1,2\r\n\r\n  \n3,4\r5,6\n\n')).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [5, ['3', '4']],
      [6, ['5', '6']],
    ]);
    expect(records('')).toEqual([]);
    expect(records('\n\n')).toEqual([]);
  });
  test('unquoted fields are trimmed, quoted ones keep their spaces; empty fields', () => {
    expect(records(' a , b ,\n  " x " ,y,\n')).toEqual([
      [1, ['a', 'b', '']],
      [2, [' x ', 'y', '']],
    ]);
  });
  test('multi-character and tab delimiters', () => {
    expect(records('a::b::c\n1::"2::3"::4', '::')).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', '2::3', '4']],
    ]);
    expect(records('a\tb\n1\t2\n', '\t')).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
    ]);
  });
  test('malformed input: ragged rows, unclosed or misplaced quotes', () => {
    expect(() => records('a,b\n1,2\n3\n')).toThrow(
      new CsvSyntaxError('line 3: has 1 fields but the first record has 2'),
    );
    expect(() => records('a,b\n"1,2\n')).toThrow('line 2: a quoted field is not closed before the end of the text');
    expect(() => records('a,b\n"1"x,2\n')).toThrow('line 2: field 1 has text after its closing quote');
    expect(() => records('a,b\n1,2"3\n')).toThrow('line 2: field 2 has a quote inside an unquoted value');
  });
  test('maxFields stops a wide record as soon as it passes the limit', () => {
    expect(records('a,b,c\n', ',', 3)).toEqual([[1, ['a', 'b', 'c']]]);
    expect(() => records('a,b,c,d\n', ',', 3)).toThrow(CsvWidthError);
  });
});
