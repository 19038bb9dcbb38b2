/** bp.data: CSV, IDX, one-hot, scalers, split/shuffle, built-in datasets. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-data-'));
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('CSV', () => {
  test('features, a label column mapped to sorted classes, and column selection', () => {
    const p = file('a.csv', 'x1,x2,kind\n1,2,dog\n3,4.5,cat\n-1,0,dog\n');
    const d = bp.data.loadCsv(p, { target: 'kind' });
    expect(d.featureNames).toEqual(['x1', 'x2']);
    expect(Array.from(d.x.data)).toEqual([1, 2, 3, 4.5, -1, 0]);
    expect(d.classes).toEqual(['cat', 'dog']);
    expect(Array.from(d.y as Int32Array)).toEqual([1, 0, 1]);
    expect(d.task).toBe('classification');
    expect(bp.data.loadCsv(p, { target: 'kind', columns: ['x2'] }).x.shape).toEqual([3, 1]);
  });
  test('numeric targets: few integers → classes, otherwise regression', () => {
    expect(bp.data.parseCsv('a,y\n1,0\n2,1\n', { target: 'y' }).task).toBe('classification');
    const r = bp.data.parseCsv('a,y\n1,0.5\n2,1.25\n', { target: 'y' });
    expect(r.task).toBe('regression');
    expect(Array.from((r.y as bp.Tensor2D).data)).toEqual([0.5, 1.25]);
  });
  test('errors name the file, line, column and bad text', () => {
    const p = file('bad.csv', 'a,b,y\n1,2,x\n3,oops,y\n');
    expect(() => bp.data.loadCsv(p, { target: 'y' })).toThrow(`${p}: line 3, column 'b': 'oops' is not a number`);
    expect(() => bp.data.loadCsv(p, { target: 'label' })).toThrow(/no column named 'label'; columns are: a, b, y/);
    expect(() => bp.data.loadCsv(path.join(tmp, 'missing.csv'))).toThrow(
      /missing.csv: cannot read the file \(ENOENT\)/,
    );
    expect(() => bp.data.parseCsv('a,y\n1,z\n', { target: 'y', classes: ['p', 'q'] })).toThrow(
      /label 'z' is not one of the known classes \(p, q\)/,
    );
    expect(() => bp.data.parseCsv('a,b\n1,2\n3\n')).toThrow(/not valid CSV/);
  });
});

describe('IDX', () => {
  test.each(['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'] as const)('round trip of %s', (type) => {
    const values =
      type === 'uint8'
        ? [0, 7, 255, 3, 9, 1]
        : type.startsWith('float')
          ? [0.5, -1.25, 3, 4, 5, 6]
          : [-3, 7, 100, 3, 9, -1];
    const p = path.join(tmp, `t-${type}.idx`);
    bp.data.writeIdx(p, [2, 3], values, type);
    const r = bp.data.readIdx(p);
    expect(r.shape).toEqual([2, 3]);
    expect(r.type).toBe(type);
    expect(Array.from(r.data)).toEqual(values);
  });
  test('rejects bad magic, unknown types, truncation', () => {
    const p = path.join(tmp, 'ok.idx');
    bp.data.writeIdx(p, [4], [1, 2, 3, 4], 'uint8');
    const bytes = fs.readFileSync(p);
    expect(() => bp.data.readIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/bad magic/);
    expect(() => bp.data.readIdx(Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 0]))).toThrow(/unknown IDX data type 0x42/);
    for (let len = 0; len < bytes.length; len++) expect(() => bp.data.readIdx(bytes.subarray(0, len))).toThrow();
  });
  test('loadIdx: images scaled to [0,1] and labels', () => {
    const ip = path.join(tmp, 'img.idx'),
      lp = path.join(tmp, 'lab.idx');
    bp.data.writeIdx(ip, [2, 2, 2], [0, 255, 51, 102, 0, 0, 0, 255], 'uint8');
    bp.data.writeIdx(lp, [2], [3, 7], 'uint8');
    const d = bp.data.loadIdx(ip, lp);
    expect(d.x.shape).toEqual([2, 4]);
    expect(Array.from(d.x.data)).toEqual([0, 1, 0.2, 0.4, 0, 0, 0, 1].map((v) => Math.fround(v)));
    expect(Array.from(d.y)).toEqual([3, 7]);
    bp.data.writeIdx(lp, [3], [3, 7, 1], 'uint8');
    expect(() => bp.data.loadIdx(ip, lp)).toThrow(/has 3 labels but .* has 2 images/);
  });
});

describe('preprocessing', () => {
  test('oneHot', () => {
    expect(Array.from(bp.data.oneHot([0, 2, 1], 3).data)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(() => bp.data.oneHot([0, 3], 3)).toThrow(/label at index 1 is 3; labels must be integers in \[0, 3\)/);
  });
  test('scalers: fitted statistics, constant columns, inverse round trip, JSON', () => {
    const x = [
      [1, 5, 10],
      [3, 5, 20],
      [5, 5, 30],
    ];
    const s = bp.data.standardScaler().fit(x);
    const t = s.transform(x);
    expect(Array.from(t.data).map((v) => +v.toFixed(5))).toEqual([-1.22474, 0, -1.22474, 0, 0, 0, 1.22474, 0, 1.22474]);
    expect(Array.from(s.inverseTransform(t).data).map((v) => +v.toFixed(4))).toEqual([1, 5, 10, 3, 5, 20, 5, 5, 30]);
    const mm = bp.data.minMaxScaler().fitTransform(x);
    expect(Array.from(mm.data)).toEqual([0, 0, 0, 0.5, 0, 0.5, 1, 0, 1]);
    const again = bp.data.Scaler.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(Array.from(again.transform(x).data)).toEqual(Array.from(t.data));
    expect(() => s.transform([[1, 2]])).toThrow(/has 2 columns but the scaler was fitted on 3/);
  });
  test('trainTestSplit keeps rows aligned, is deterministic by seed, and stratifies', () => {
    const n = 100;
    const x = Array.from({ length: n }, (_, i) => [i]);
    const y = Int32Array.from({ length: n }, (_, i) => (i < 80 ? 0 : 1));
    const a = bp.data.trainTestSplit(x, y, { testSize: 0.2, seed: 3, stratify: true });
    expect(a.xTrain.shape[0]).toBe(80);
    expect(a.xTest.shape[0]).toBe(20);
    a.xTest.data.forEach((v, i) => expect(a.yTest[i]).toBe(v < 80 ? 0 : 1));
    expect(Array.from(a.yTest).filter((v) => v === 1).length).toBe(4);
    const b = bp.data.trainTestSplit(x, y, { testSize: 0.2, seed: 3, stratify: true });
    expect(Array.from(b.xTest.data)).toEqual(Array.from(a.xTest.data));
    expect(() => bp.data.trainTestSplit(x, y.subarray(1), {})).toThrow(/'x' has 100 rows but 'y' has 99/);
    const sh = bp.data.shuffle(x, y, 1);
    sh.x.data.forEach((v, i) => expect(sh.y[i]).toBe(v < 80 ? 0 : 1));
  });
});

describe('datasets', () => {
  test('xor', () => {
    const { x, y } = bp.data.xor();
    expect(Array.from(y.data)).toEqual([0, 1, 1, 0]);
    expect(x.shape).toEqual([4, 2]);
  });
  test('digits: 10,000 MNIST images, 784 pixels in [0,1], labels 0..9, deterministic split', () => {
    const { train, test, classes } = bp.data.digits({ seed: 0, testFraction: 0.2 });
    expect(classes).toBe(10);
    expect(train.x.shape[0] + test.x.shape[0]).toBe(10000);
    expect(test.x.shape).toEqual([2000, 784]);
    let lo = Infinity,
      hi = -Infinity;
    for (const v of train.x.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(new Set(train.y).size).toBe(10);
    expect(Array.from(bp.data.digits({ seed: 0 }).test.y.subarray(0, 20))).toEqual(Array.from(test.y.subarray(0, 20)));
  });
});
