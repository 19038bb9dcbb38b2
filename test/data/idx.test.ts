/** bp.data IDX: round trip of every type, header/size validation, and loadIdx. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readIdx, writeIdx, encodeIdx, loadIdx, type IdxType } from '../../src/data/idx';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-idx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CASES: [IdxType, number[], new (values: number[]) => ArrayLike<number>][] = [
  ['uint8', [0, 7, 255, 3, 9, 1], Uint8Array],
  ['int8', [-128, 7, 127, 3, 9, -1], Int8Array],
  ['int16', [-32768, 7, 32767, 300, 9, -1], Int16Array],
  ['int32', [-(2 ** 31), 7, 2 ** 31 - 1, 70000, 9, -1], Int32Array],
  ['float32', [0.5, -1.25, 3, 2 ** 100, 5, -6], Float32Array],
  ['float64', [0.1, -1.25, Math.PI, 1e300, 5, -6], Float64Array],
];

describe('readIdx / writeIdx', () => {
  test.each(CASES)('round trip of %s (file and buffer)', (type, values, Ctor) => {
    const p = path.join(tmp, `t-${type}.idx`);
    writeIdx(p, [2, 3], values, type);
    const r = readIdx(p);
    expect(r.shape).toEqual([2, 3]);
    expect(r.type).toBe(type);
    expect(r.data).toBeInstanceOf(Ctor);
    expect(Array.from(r.data)).toEqual(values);
    expect(Array.from(readIdx(fs.readFileSync(p)).data)).toEqual(values);
  });
  test('the exact MNIST byte layout: magic, big-endian dims and values', () => {
    const bytes = encodeIdx([2], Int16Array.of(258, -2));
    expect(Array.from(bytes)).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 2, 1, 2, 0xff, 0xfe]);
    const u = encodeIdx([1, 2, 2], Uint8Array.of(1, 2, 3, 4));
    expect(Array.from(u)).toEqual([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
    expect(readIdx(u).shape).toEqual([1, 2, 2]);
  });
  test('the type defaults to the typed array type; number[] → float64', () => {
    expect(readIdx(encodeIdx([2], Int32Array.of(1, 2))).type).toBe('int32');
    expect(readIdx(encodeIdx([2], Float32Array.of(1, 2))).type).toBe('float32');
    expect(readIdx(encodeIdx([2], [0.1, 2])).type).toBe('float64');
  });
  test('a buffer view at an offset reads correctly', () => {
    const bytes = encodeIdx([3], Float64Array.of(1.5, -2, 3));
    const big = new Uint8Array(bytes.length + 5);
    big.set(bytes, 5);
    expect(Array.from(readIdx(big.subarray(5)).data)).toEqual([1.5, -2, 3]);
  });
  test('rejects bad magic, unknown types, truncation at every length, trailing bytes, huge dims', () => {
    expect(() => readIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/not an IDX file \(its first two bytes/);
    expect(() => readIdx(Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 0]))).toThrow(/unknown IDX data type 0x42/);
    expect(() => readIdx(Uint8Array.from([0, 0, 8, 0]))).toThrow(/at least 1 dimension/);
    const bytes = encodeIdx([2, 2], Int32Array.of(1, 2, 3, 4));
    for (let len = 0; len < bytes.length; len++) expect(() => readIdx(bytes.subarray(0, len))).toThrow(/truncated/);
    expect(() => readIdx(bytes.subarray(0, bytes.length - 1))).toThrow(
      '<idx buffer>: truncated: 15 data bytes but dimensions [2, 2] of int32 need 16',
    );
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => readIdx(longer)).toThrow(/has trailing bytes: 17 data bytes/);
    // 2^31-1 cubed overflows a double's exact integers; the check must not wrap or round to a match.
    const huge = Uint8Array.from([0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]);
    expect(() => readIdx(huge)).toThrow(
      /truncated: 0 data bytes but dimensions \[2147483647, 2147483647, 2147483647\] of uint8 need 9903520300447984150353281023/,
    );
    expect(() => readIdx(Uint8Array.from([0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff]))).toThrow(/dimension 0 is -1/);
    const f = path.join(tmp, 'nope.idx');
    expect(() => readIdx(f)).toThrow(`${f}: cannot read the file (ENOENT)`);
  });
  test('writeIdx validates shape, length and value ranges', () => {
    const p = path.join(tmp, 'w.idx');
    expect(() => writeIdx(p, [2, 2], [1, 2, 3])).toThrow(/shape \[2,2\] needs 4 values, got 3/);
    expect(() => writeIdx(p, [2], [1, 256], 'uint8')).toThrow(/value 256 at index 1 does not fit uint8/);
    expect(() => writeIdx(p, [1], [0.5], 'int16')).toThrow(/value 0.5 at index 0 does not fit int16/);
    expect(() => writeIdx(p, [-1], [])).toThrow(/'shape' must be/);
    expect(() => writeIdx(p, [1], [1], 'uint16' as never)).toThrow(/unknown type 'uint16'/);
  });
});

describe('loadIdx', () => {
  const ip = path.join(tmp, 'img.idx'),
    lp = path.join(tmp, 'lab.idx');
  beforeEach(() => {
    writeIdx(ip, [2, 2, 2], [0, 255, 51, 102, 0, 0, 0, 255], 'uint8');
    writeIdx(lp, [2], [3, 7], 'uint8');
  });
  test('images flattened to rows and scaled to [0, 1]; labels as Int32Array', () => {
    const d = loadIdx(ip, lp);
    expect(d.x.shape).toEqual([2, 4]);
    expect(d.x.dtype).toBe('float32');
    expect(Array.from(d.x.data)).toEqual([0, 1, 0.2, 0.4, 0, 0, 0, 1].map((v) => Math.fround(v)));
    expect(d.y).toBeInstanceOf(Int32Array);
    expect(Array.from(d.y)).toEqual([3, 7]);
    expect(Array.from(loadIdx(ip, lp, { normalize: false }).x.data)).toEqual([0, 255, 51, 102, 0, 0, 0, 255]);
  });
  test('count mismatch and bad labels', () => {
    writeIdx(lp, [3], [3, 7, 1], 'uint8');
    expect(() => loadIdx(ip, lp)).toThrow(`${lp}: has 3 labels but ${ip} has 2 images; they must match`);
    writeIdx(lp, [2], [1, -1], 'int8');
    expect(() => loadIdx(ip, lp)).toThrow(`${lp}: label 1 is -1; labels must be non-negative integers`);
    writeIdx(lp, [2], [1, 0.5], 'float32');
    expect(() => loadIdx(ip, lp)).toThrow(/label 1 is 0.5/);
    writeIdx(lp, [2, 2], [1, 2, 3, 4], 'uint8');
    expect(() => loadIdx(ip, lp)).toThrow(/labels must be 1-D/);
  });
});
