/** bp.data preprocessing: oneHot, scalers, trainTestSplit, shuffle. */
import { oneHot, standardScaler, minMaxScaler, Scaler, trainTestSplit, shuffle } from '../../src/data/preprocess';
import { tensor2d, type Tensor2D } from '../../src/data/tensor';

const round = (a: ArrayLike<number>, d = 5) => Array.from(a, (v) => +v.toFixed(d) + 0);

describe('oneHot', () => {
  test('rows with a single 1; numClasses inferred or given', () => {
    const t = oneHot([0, 2, 1], 3);
    expect(t.shape).toEqual([3, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(oneHot(Int32Array.of(1, 3)).shape).toEqual([2, 4]);
    expect(Array.from(oneHot([1], 2).data)).toEqual([0, 1]);
    expect(oneHot([], 4).shape).toEqual([0, 4]);
  });
  test('errors name the index of the bad label', () => {
    expect(() => oneHot([0, 3], 3)).toThrow('oneHot(): label at index 1 is 3; labels must be integers in [0, 3)');
    expect(() => oneHot([0, 1, -1])).toThrow(/label at index 2 is -1/);
    expect(() => oneHot([0, 1.5], 3)).toThrow(/label at index 1 is 1.5/);
    expect(() => oneHot([0, NaN], 3)).toThrow(/label at index 1 is NaN/);
    // Not sized by a label out of the Int32 range (that would allocate 2^32 columns per row).
    expect(() => oneHot([1, 2 ** 32 + 1])).toThrow(
      'oneHot(): label at index 1 is 4294967297; labels must be integers in [0, 2)',
    );
    expect(() => oneHot([1.5, 0])).toThrow(/label at index 0 is 1.5; labels must be integers in \[0, 1\)/);
    expect(() => oneHot([0], 0)).toThrow(/'numClasses' must be a positive integer, got 0/);
  });
});

describe('scalers', () => {
  const x = [
    [1, 5, 10],
    [3, 5, 20],
    [5, 5, 30],
  ];
  test('standardScaler: zero mean, unit (population) variance; constant column → 0, not NaN', () => {
    const s = standardScaler().fit(x);
    expect(Array.from(s.offset)).toEqual([3, 5, 20]);
    expect(round(s.scale)).toEqual([1.63299, 1, 8.16497]);
    const t = s.transform(x);
    expect(t.shape).toEqual([3, 3]);
    expect(round(t.data)).toEqual([-1.22474, 0, -1.22474, 0, 0, 0, 1.22474, 0, 1.22474]);
    expect(round(s.inverseTransform(t).data, 4)).toEqual([1, 5, 10, 3, 5, 20, 5, 5, 30]);
    // A large constant whose mean has rounding noise is still constant.
    const big = standardScaler().fitTransform([[0.1 + 1e9], [0.1 + 1e9], [0.1 + 1e9]]);
    expect(Array.from(big.data)).toEqual([0, 0, 0]);
  });
  test('minMaxScaler: [0, 1] per column, constant column → 0, inverse round trip', () => {
    const s = minMaxScaler();
    const t = s.fitTransform(x);
    expect(Array.from(t.data)).toEqual([0, 0, 0, 0.5, 0, 0.5, 1, 0, 1]);
    expect(Array.from(s.inverseTransform(t).data)).toEqual([1, 5, 10, 3, 5, 20, 5, 5, 30]);
    expect(Array.from(s.transform([[7, 6, 0]]).data)).toEqual([1.5, 1, -0.5]);
  });
  test('float64 input stays float64', () => {
    const t = standardScaler().fitTransform(tensor2d([1, 2, 3, 4], [2, 2], 'float64'));
    expect(t.dtype).toBe('float64');
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(Array.from(t.data)).toEqual([-1, -1, 1, 1]);
  });
  test('toJSON / fromJSON round trip, and validation of saved states', () => {
    const s = standardScaler().fit(x);
    const json = JSON.parse(JSON.stringify(s));
    expect(json).toEqual({ kind: 'standard', offset: [3, 5, 20], scale: Array.from(s.scale) });
    for (const again of [Scaler.fromJSON(json), standardScaler.fromJSON(json)]) {
      expect(Array.from(again.transform(x).data)).toEqual(Array.from(s.transform(x).data));
    }
    const m = minMaxScaler().fit(x);
    expect(minMaxScaler.fromJSON(m.toJSON()).kind).toBe('minmax');
    expect(() => minMaxScaler.fromJSON(s.toJSON())).toThrow(
      /minmaxScaler.fromJSON\(\): the saved state is a 'standard' scaler/,
    );
    expect(() => Scaler.fromJSON({ kind: 'standard', offset: [0], scale: [0] })).toThrow(/not a saved scaler state/);
    expect(() => Scaler.fromJSON({ kind: 'standard', offset: [0, 1], scale: [1] })).toThrow(/not a saved scaler state/);
    expect(() => Scaler.fromJSON(null as never)).toThrow(/not a saved scaler state/);
  });
  test('errors: unfitted, wrong column count, empty data, NaN', () => {
    expect(() => standardScaler().transform(x)).toThrow(/not fitted; call fit\(\) first/);
    const s = standardScaler().fit(x);
    expect(() => s.transform([[1, 2]])).toThrow(/'x' has 2 columns but the scaler was fitted on 3/);
    expect(() => minMaxScaler().fit([])).toThrow(/has no rows/);
    expect(() => minMaxScaler().fit([[1], [NaN]])).toThrow(/minmaxScaler.fit\(\): 'x' has NaN at row 1, column 0/);
  });
});

describe('trainTestSplit', () => {
  const n = 100;
  const x = Array.from({ length: n }, (_, i) => [i, -i]);
  const labels = Int32Array.from({ length: n }, (_, i) => (i < 80 ? 0 : 1));

  test('sizes and x/y alignment (Int32Array and Tensor2D targets)', () => {
    const a = trainTestSplit(x, labels, { testSize: 0.25, seed: 1 });
    expect(a.xTrain.shape).toEqual([75, 2]);
    expect(a.xTest.shape).toEqual([25, 2]);
    expect(a.yTrain.length).toBe(75);
    expect(a.yTest.length).toBe(25);
    const seen = new Set<number>();
    for (const [xs, ys] of [
      [a.xTrain, a.yTrain],
      [a.xTest, a.yTest],
    ] as const) {
      for (let r = 0; r < xs.shape[0]; r++) {
        const i = xs.data[2 * r];
        expect(xs.data[2 * r + 1] + 0).toBe(-i + 0); // + 0 turns -0 into 0
        expect(ys[r]).toBe(i < 80 ? 0 : 1);
        seen.add(i);
      }
    }
    expect(seen.size).toBe(100); // a partition: no row lost or duplicated
    const yt = tensor2d(Array.from({ length: n }, (_, i) => [i * 10, i * 100]));
    const b = trainTestSplit(x, yt, { testSize: 10, seed: 2 });
    expect(b.yTest.shape).toEqual([10, 2]);
    for (let r = 0; r < 10; r++) expect(b.yTest.data[2 * r]).toBe(b.xTest.data[2 * r] * 10);
  });
  test('deterministic by seed; different seeds differ; shuffle: false keeps order', () => {
    const a = trainTestSplit(x, labels, { seed: 3 });
    const b = trainTestSplit(x, labels, { seed: 3 });
    const c = trainTestSplit(x, labels, { seed: 4 });
    expect(Array.from(b.xTest.data)).toEqual(Array.from(a.xTest.data));
    expect(Array.from(c.xTest.data)).not.toEqual(Array.from(a.xTest.data));
    const d = trainTestSplit(x, labels, { shuffle: false, testSize: 0.1 });
    expect(Array.from(d.xTest.data).filter((_, i) => i % 2 === 0)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect(d.xTrain.data[0]).toBe(0);
  });
  test('stratification keeps class proportions (labels, one-hot, explicit)', () => {
    const a = trainTestSplit(x, labels, { testSize: 0.2, seed: 3, stratify: true });
    expect(a.xTest.shape[0]).toBe(20);
    expect(Array.from(a.yTest).filter((v) => v === 1).length).toBe(4);
    expect(Array.from(a.yTrain).filter((v) => v === 1).length).toBe(16);
    const y3 = Int32Array.from({ length: 90 }, (_, i) => (i < 60 ? 0 : i < 75 ? 1 : 2)); // 60/15/15
    const x3 = Array.from({ length: 90 }, (_, i) => [i]);
    const s = trainTestSplit(x3, y3, { testSize: 0.3, seed: 5, stratify: true });
    const count = (y: Int32Array, c: number) => Array.from(y).filter((v) => v === c).length;
    expect(s.yTest.length).toBe(27);
    // Shares 18, 4.5, 4.5: the one left-over row goes to the first tied class.
    expect([count(s.yTest, 0), count(s.yTest, 1), count(s.yTest, 2)]).toEqual([18, 5, 4]);
    expect([count(s.yTrain, 0), count(s.yTrain, 1), count(s.yTrain, 2)]).toEqual([42, 10, 11]);
    s.xTest.data.forEach((v, r) => expect(s.yTest[r]).toBe(y3[v]));
    const oh = trainTestSplit(x, oneHot(labels, 2), { testSize: 0.2, seed: 3, stratify: true });
    let ones = 0;
    for (let r = 0; r < 20; r++) ones += oh.yTest.data[2 * r + 1];
    expect(ones).toBe(4);
    const groups = Int32Array.from({ length: n }, (_, i) => i % 2);
    const e = trainTestSplit(x, labels, { testSize: 0.2, seed: 1, stratify: groups });
    expect(Array.from(e.xTest.data).filter((v, i) => i % 2 === 0 && v % 2 === 0).length).toBe(10);
  });
  test('a stratified split of a class of 500,000 rows (its rows were spread as arguments: a stack overflow)', () => {
    const rows = 500_000;
    const big = tensor2d(new Float32Array(rows), [rows, 1]);
    const y = Int32Array.from({ length: rows }, (_, i) => (i < rows - 10 ? 0 : 1));
    const s = trainTestSplit(big, y, { testSize: 0.2, seed: 1, stratify: true });
    expect([s.xTrain.shape[0], s.xTest.shape[0]]).toEqual([400_000, 100_000]);
    expect(Array.from(s.yTest).filter((v) => v === 1).length).toBe(2);
  });
  test('errors', () => {
    expect(() => trainTestSplit(x, labels.subarray(1))).toThrow("trainTestSplit(): 'x' has 100 rows but 'y' has 99");
    expect(() => trainTestSplit(x, labels, { testSize: 1.5 })).toThrow(
      /'testSize' must be a fraction in \(0, 1\) or a row count in \[1, 99\], got 1.5/,
    );
    expect(() => trainTestSplit(x, labels, { testSize: 0 })).toThrow(/'testSize'/);
    expect(() => trainTestSplit([[1]], Int32Array.of(0))).toThrow(/at least 2 rows/);
    expect(() => trainTestSplit(x, tensor2d(Array.from({ length: n }, (_, i) => [i / 3])), { stratify: true })).toThrow(
      /stratify needs class labels/,
    );
    expect(() => trainTestSplit(x, labels, { stratify: [0, 1] })).toThrow(
      /'stratify' has 2 labels but 'x' has 100 rows/,
    );
    expect(() => trainTestSplit(x, [0, 1] as never)).toThrow(/'y' must be an Int32Array of labels or a Tensor2D/);
  });
});

describe('shuffle', () => {
  test('permutes rows of x and y together, deterministically by seed', () => {
    const x: Tensor2D = tensor2d(Array.from({ length: 50 }, (_, i) => [i, i + 0.5]));
    const y = Int32Array.from({ length: 50 }, (_, i) => i * 2);
    const s = shuffle(x, y, 1);
    expect(s.x.shape).toEqual([50, 2]);
    for (let r = 0; r < 50; r++) {
      expect(s.y[r]).toBe(s.x.data[2 * r] * 2);
      expect(s.x.data[2 * r + 1]).toBe(s.x.data[2 * r] + 0.5);
    }
    expect(Array.from(s.y).sort((a, b) => a - b)).toEqual(Array.from(y));
    expect(Array.from(s.y)).not.toEqual(Array.from(y));
    expect(Array.from(shuffle(x, y, 1).y)).toEqual(Array.from(s.y));
    expect(Array.from(shuffle(x, y, 2).y)).not.toEqual(Array.from(s.y));
    expect(x.data[0]).toBe(0); // input untouched
    expect(() => shuffle(x, y.subarray(2), 1)).toThrow(/'x' has 50 rows but 'y' has 48/);
  });
});
