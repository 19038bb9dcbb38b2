/** bp.data.loadTextCsv / parseTextCsv: texts as strings (quotes, commas, newlines), labels as loadCsv maps them. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

describe('text CSV', () => {
  test('the text column as strings, the target as sorted classes; bp.data exposes the tokenizer too', () => {
    const d = bp.data.parseTextCsv('id,text,label\n1,"Hello, world",b\n2,"two\nlines",a\n3,plain,b\n', {
      text: 'text',
      target: 'label',
    });
    expect(d.texts).toEqual(['Hello, world', 'two\nlines', 'plain']);
    expect(d.classes).toEqual(['a', 'b']);
    expect(Array.from(d.y as Int32Array)).toEqual([1, 0, 1]);
    expect(bp.data.tokenizer().fit(d.texts).vocabulary).toContain('hello');
    expect(bp.data.Tokenizer.fromJSON(bp.data.tokenizer().toJSON()).vocabularySize).toBe(2);
  });

  test('a test file maps labels onto the training classes; no header names columns by position', () => {
    const d = bp.data.parseTextCsv('x,a\nhi,z\n', { text: '0', target: '1', header: false, classes: ['z', 'a'] });
    expect(d.texts).toEqual(['x', 'hi']);
    expect(Array.from(d.y as Int32Array)).toEqual([1, 0]);
    expect(() => bp.data.parseTextCsv('x,q\n', { text: '0', target: '1', header: false, classes: ['z'] })).toThrow(
      /'q' is not one of the known classes/,
    );
  });

  test('errors name the file and the problem', () => {
    expect(() => bp.data.parseTextCsv('a,b\n1,2\n', { text: 'c' }, 'f.csv')).toThrow(/f.csv: no column named 'c'/);
    expect(() => bp.data.parseTextCsv('a,b\n1,2\n', { text: 'a', target: 'a' }, 'f.csv')).toThrow(
      /cannot also be the target/,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-text-csv-'));
    expect(() => bp.data.loadTextCsv(dir, { text: 'a' })).toThrow(/not a regular file/);
    expect(() => bp.data.loadTextCsv(path.join(dir, 'none.csv'), { text: 'a' })).toThrow(
      /cannot read the file \(ENOENT\)/,
    );
  });
});
