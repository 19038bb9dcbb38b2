/** bp.data CSV loading: exact values, target handling, and error messages naming file/line/column/text. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCsv, parseCsv } from '../../src/data/csv';
import type { Tensor2D } from '../../src/data/tensor';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-csv-'));
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('loadCsv / parseCsv', () => {
  test('features and a string label column → sorted classes and indices', () => {
    const p = file('a.csv', 'x1,x2,kind\n1,2,dog\n3,4.5,cat\n-1,0,dog\n2.5e1,-0.25,bird\n');
    const d = loadCsv(p, { target: 'kind' });
    expect(d.featureNames).toEqual(['x1', 'x2']);
    expect(d.targetName).toBe('kind');
    expect(d.x.shape).toEqual([4, 2]);
    expect(d.x.dtype).toBe('float32');
    expect(Array.from(d.x.data)).toEqual([1, 2, 3, 4.5, -1, 0, 25, -0.25]);
    expect(d.classes).toEqual(['bird', 'cat', 'dog']);
    expect(d.y).toBeInstanceOf(Int32Array);
    expect(Array.from(d.y as Int32Array)).toEqual([2, 1, 2, 0]);
    expect(d.task).toBe('classification');
  });
  test('column selection keeps the requested order; no target → no y', () => {
    const text = 'a,b,c\n1,2,3\n4,5,6\n';
    const d = parseCsv(text, { columns: ['c', 'a'] });
    expect(d.featureNames).toEqual(['c', 'a']);
    expect(Array.from(d.x.data)).toEqual([3, 1, 6, 4]);
    expect(d.y).toBeUndefined();
    expect(d.classes).toBeUndefined();
    const all = parseCsv(text);
    expect(all.x.shape).toEqual([2, 3]);
    expect(Array.from(all.x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const withTarget = parseCsv(text, { target: 'a', columns: ['c'] });
    expect(withTarget.x.shape).toEqual([2, 1]);
    expect(Array.from(withTarget.x.data)).toEqual([3, 6]);
  });
  test('header: false names columns by index; other delimiters; quotes; blank lines; BOM', () => {
    const d = parseCsv('1;2;a\n3;4;b\n', { header: false, delimiter: ';', target: '2' });
    expect(d.featureNames).toEqual(['0', '1']);
    expect(Array.from(d.x.data)).toEqual([1, 2, 3, 4]);
    expect(d.classes).toEqual(['a', 'b']);
    const q = parseCsv('\ufeff"a","b"\n\n" 1 ","2"\n\n3,4\n');
    expect(q.featureNames).toEqual(['a', 'b']);
    expect(Array.from(q.x.data)).toEqual([1, 2, 3, 4]);
    const tsv = parseCsv('a\tb\n1\t2\n', { delimiter: '\t' });
    expect(Array.from(tsv.x.data)).toEqual([1, 2]);
  });
  test('auto task: ≤ 20 distinct integers → classes (numeric order), otherwise regression', () => {
    const c = parseCsv('a,y\n1,10\n2,9\n3,2\n4,10\n', { target: 'y' });
    expect(c.task).toBe('classification');
    expect(c.classes).toEqual(['2', '9', '10']);
    expect(Array.from(c.y as Int32Array)).toEqual([2, 1, 0, 2]);
    const r = parseCsv('a,y\n1,0.5\n2,1.25\n', { target: 'y' });
    expect(r.task).toBe('regression');
    expect(r.classes).toBeUndefined();
    const y = r.y as Tensor2D;
    expect(y.shape).toEqual([2, 1]);
    expect(Array.from(y.data)).toEqual([0.5, 1.25]);
    const many = 'a,y\n' + Array.from({ length: 21 }, (_, i) => `${i},${i}`).join('\n');
    expect(parseCsv(many, { target: 'y' }).task).toBe('regression');
    const twenty = 'a,y\n' + Array.from({ length: 20 }, (_, i) => `${i},${i}`).join('\n');
    expect(parseCsv(twenty, { target: 'y' }).task).toBe('classification');
  });
  test('explicit task and given classes', () => {
    const r = parseCsv('a,y\n1,0\n2,1\n', { target: 'y', task: 'regression' });
    expect(r.task).toBe('regression');
    expect(Array.from((r.y as Tensor2D).data)).toEqual([0, 1]);
    const c = parseCsv('a,y\n1,0.5\n2,1.5\n3,0.5\n', { target: 'y', task: 'classification' });
    expect(c.classes).toEqual(['0.5', '1.5']);
    expect(Array.from(c.y as Int32Array)).toEqual([0, 1, 0]);
    const g = parseCsv('a,y\n1,q\n2,q\n', { target: 'y', classes: ['p', 'q', 'r'] });
    expect(g.classes).toEqual(['p', 'q', 'r']);
    expect(Array.from(g.y as Int32Array)).toEqual([1, 1]);
    const n = parseCsv('a,y\n1,1.0\n2,3\n', { target: 'y', classes: ['1', '3'] });
    expect(Array.from(n.y as Int32Array)).toEqual([0, 1]);
  });
  test('a bad feature cell names the file, 1-based line, column and text', () => {
    const p = file('bad.csv', 'a,b,y\n1,2,x\n3,oops,y\n');
    expect(() => loadCsv(p, { target: 'y' })).toThrow(`${p}: line 3, column 'b': 'oops' is not a number`);
    // Blank lines still count, so the line number matches an editor's.
    expect(() => parseCsv('a,b\n\n1,2\n\n5,\n', {}, 'mem.csv')).toThrow(
      "mem.csv: line 5, column 'b': '' is not a number",
    );
    expect(() => parseCsv('a,b\n1,Infinity\n')).toThrow("<csv>: line 2, column 'b': 'Infinity' is not a number");
    expect(() => parseCsv('a,b\n1,NaN\n')).toThrow(/line 2, column 'b': 'NaN' is not a number/);
  });
  test('other errors: missing target lists columns, unreadable file, ragged rows, unknown label, bad regression target', () => {
    const p = file('b.csv', 'a,b,y\n1,2,3\n');
    expect(() => loadCsv(p, { target: 'label' })).toThrow(`${p}: no column named 'label'; columns are: a, b, y`);
    expect(() => loadCsv(p, { columns: ['a', 'zz'] })).toThrow(/no column named 'zz'; columns are: a, b, y/);
    expect(() => loadCsv(p, { target: 'y', columns: ['a', 'y'] })).toThrow(
      /target column 'y' cannot also be a feature/,
    );
    const missing = path.join(tmp, 'missing.csv');
    expect(() => loadCsv(missing)).toThrow(`${missing}: cannot read the file (ENOENT)`);
    expect(() => parseCsv('a,b\n1,2\n3\n', {}, 'r.csv')).toThrow(/r.csv: not valid CSV/);
    expect(() => parseCsv('a,y\n1,z\n', { target: 'y', classes: ['p', 'q'] })).toThrow(
      "<csv>: line 2, column 'y': label 'z' is not one of the known classes (p, q)",
    );
    expect(() => parseCsv('a,y\n1,2\n2,abc\n', { target: 'y', task: 'regression' })).toThrow(
      "line 3, column 'y': 'abc' is not a number (regression target)",
    );
    expect(() => parseCsv('a,y\n1,cat\n2,\n', { target: 'y' })).toThrow("line 3, column 'y': '' is an empty label");
    expect(() => parseCsv('', {}, 'e.csv')).toThrow(/e.csv: the file is empty/);
    expect(() => parseCsv('a,b\n', {}, 'h.csv')).toThrow(/h.csv: has a header but no data rows/);
    expect(() => parseCsv('a,a\n1,2\n')).toThrow(/column 'a' twice/);
    expect(() => parseCsv('a\n1\n', { task: 'nope' as never })).toThrow(/'task' must be/);
  });
});

describe('cost bounds: linear in the columns, limits on columns and rows', () => {
  const wide = (n: number) => {
    const header = Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: n }, (_, i) => String(i % 10)).join(',');
    return `${header}\n${row}\n${row}\n`;
  };
  test('100,000 columns (the default limit) parse (linearly: 0.1 s here; the old tokenizer took 16 s)', () => {
    const text = wide(100_000);
    const d = parseCsv(text, { target: 'c99999' });
    expect(d.x.shape).toEqual([2, 99_999]);
    expect(d.featureNames[54_321]).toBe('c54321');
    expect(d.x.data[99_999 + 54_321]).toBe(1);
  });
  test('a file wider than maxColumns is refused as soon as its first record passes the limit', () => {
    const huge = wide(1_000_000);
    expect(() => parseCsv(huge, {}, 'wide.csv')).toThrow(
      'wide.csv: has more than 100,000 columns, the limit (maxColumns); raise maxColumns if the file really is this wide',
    );
    // Only the first 100,001 fields were split (the whole file would take several times longer).
    const text = wide(100_001);
    expect(() => parseCsv(text)).toThrow(/has more than 100,000 columns/);
    expect(parseCsv(text, { maxColumns: 100_001 }).x.shape).toEqual([2, 100_001]);
    expect(() => parseCsv('a,b,c\n1,2,3\n', { maxColumns: 2 })).toThrow(/more than 2 columns/);
    // A quoted delimiter is part of a cell, not a column.
    expect(parseCsv('"a,b",c\n1,2\n', { maxColumns: 2 }).featureNames).toEqual(['a,b', 'c']);
    expect(() => parseCsv('a\n1\n', { maxColumns: 0 })).toThrow(/'maxColumns' must be a positive integer, got 0/);
  });
  test('maxRows stops at the first row over the limit', () => {
    const text = 'a,b\n1,2\n3,4\n5,6\n';
    expect(parseCsv(text, { maxRows: 3 }).x.shape).toEqual([3, 2]);
    expect(() => parseCsv(text, { maxRows: 2 }, 'r.csv')).toThrow(
      'r.csv: has more than 2 data rows, the limit (maxRows)',
    );
    expect(() => parseCsv(text, { maxRows: 1.5 })).toThrow(/'maxRows' must be a positive integer/);
  });
  test('rows converted as parsed: \\r line ends, trailing blank lines, quoted newlines keep their line numbers', () => {
    const cr = parseCsv('a,b\r1,2\r3,4\r5,6\r');
    expect(Array.from(cr.x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const blank = parseCsv('a,y\n1,p\n2,q\n\n\n\n\n\n', { target: 'y' });
    expect(blank.x.data.length).toBe(2);
    expect(() => parseCsv('a,y\n1,"x\ny"\n2,\n', { target: 'y' })).toThrow("line 4, column 'y': '' is an empty label");
  });
  test('error messages quote at most 40 characters of a cell and 20 column names', () => {
    const long = 'z'.repeat(10_000);
    const msg = (() => {
      try {
        parseCsv(`a,b\n1,${long}\n`);
      } catch (e) {
        return (e as Error).message;
      }
    })()!;
    expect(msg).toBe(`<csv>: line 2, column 'b': '${'z'.repeat(40)}… (10000 characters)' is not a number`);
    expect(() => parseCsv(wide(30), { target: 'nope' })).toThrow(
      /no column named 'nope'; columns are: c0, c1, .*, c19, … \(30 in all\)$/,
    );
  });
  test('quoteContent: false: messages name lines and columns by number and quote nothing of the text', () => {
    const secret = 'SECRET';
    const cases: [string, Record<string, unknown>, string][] = [
      [`a,${secret}\n1,${secret}x\n`, {}, '<csv>: line 2, column 2: the cell is not a number'],
      [`${secret},${secret}\n1,2\n`, {}, '<csv>: columns 1 and 2 of the header have one name; names must be unique'],
      [`${secret},b\n1,2\n`, { target: 'label' }, "<csv>: no column named 'label'; the header has 2 columns"],
      [`a,y\n1,0.5\n2,${secret}\n`, { target: 'y', task: 'regression' }, 'line 3, column'],
      [`a,y\n1,0\n2,${secret}\n`, { target: 'y', classes: ['0', '1'] }, 'the label is not one of the 2 known classes'],
    ];
    for (const [text, options, message] of cases) {
      let msg = '';
      try {
        parseCsv(text, { ...options, quoteContent: false });
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toContain(message);
      expect(msg).not.toContain(secret);
    }
  });
  test('loadCsv reads only regular files (a device could stream forever) and can name the source', () => {
    expect(() => loadCsv('/dev/zero')).toThrow('/dev/zero: not a regular file; give the path of a CSV file');
    expect(() => loadCsv(tmp)).toThrow(/not a regular file/);
    const p = file('named.csv', 'a,b\n1,x\n');
    expect(() => loadCsv(p, { name: 'upload 7' })).toThrow("upload 7: line 2, column 'b': 'x' is not a number");
    expect(() => loadCsv(path.join(tmp, 'gone.csv'), { name: 'upload 8' })).toThrow(
      'upload 8: cannot read the file (ENOENT)',
    );
  });
});
