/** Metrics on hand examples (streaming over batches), and getMetric's Keras-style choice of accuracy. */
import * as M from '../../src/training/metrics';
import { getLoss } from '../../src/training/losses';

const f64 = (...v: number[]) => Float64Array.from(v);
const i32 = (...v: number[]) => Int32Array.from(v);

describe('metrics', () => {
  test('binaryAccuracy: threshold 0.5, streamed over batches, reset', () => {
    const m = M.binaryAccuracy();
    expect(m.name).toBe('accuracy');
    expect(m.result()).toBe(0);
    m.update(f64(0.9, 0.4, 0.6, 0.1), f64(1, 0, 0, 0), 4, 1); // 3 of 4
    expect(m.result()).toBeCloseTo(0.75, 15);
    m.update(f64(0.2, 0.7), f64(1, 1), 1, 2); // 1 of 2 → 4 of 6 elements
    expect(m.result()).toBeCloseTo(4 / 6, 15);
    m.reset();
    expect(m.result()).toBe(0);
    const t = M.binaryAccuracy(0.8);
    t.update(f64(0.7), f64(1), 1, 1);
    expect(t.result()).toBe(0);
  });
  test('categoricalAccuracy: argmax vs argmax of the one-hot target', () => {
    const m = M.categoricalAccuracy();
    m.update(f64(0.1, 0.9, 0.8, 0.2, 0.3, 0.7), f64(0, 1, 0, 1, 1, 0), 3, 2);
    expect(m.result()).toBeCloseTo(1 / 3, 15);
    m.update(f64(0.2, 0.5, 0.3), f64(0, 1, 0), 1, 3);
    expect(m.result()).toBeCloseTo(2 / 4, 15);
  });
  test('sparseCategoricalAccuracy: argmax vs label', () => {
    const m = M.sparseCategoricalAccuracy();
    m.update(f64(0.1, 0.9, 0.8, 0.2, 0.3, 0.7), i32(1, 1, 0), 3, 2);
    expect(m.result()).toBeCloseTo(1 / 3, 15);
    expect(() => m.update(f64(1, 0), f64(1, 0), 1, 2)).toThrow(/labels/);
  });
  test('precision and recall, binary (one column)', () => {
    // predicted positive: 0, 1, 3; actual positive: 0, 2, 3, 4 → tp 2, fp 1, fn 2
    const y = f64(0.9, 0.8, 0.3, 0.6, 0.2),
      t = f64(1, 0, 1, 1, 1);
    const p = M.precision(),
      r = M.recall();
    p.update(y, t, 5, 1);
    r.update(y, t, 5, 1);
    expect(p.name).toBe('precision');
    expect(r.name).toBe('recall');
    expect(p.result()).toBeCloseTo(2 / 3, 15);
    expect(r.result()).toBeCloseTo(2 / 4, 15);
    // streaming: one more false positive
    p.update(f64(0.7), f64(0), 1, 1);
    expect(p.result()).toBeCloseTo(2 / 4, 15);
    // integer 0/1 labels work for one column too
    const q = M.precision();
    q.update(f64(0.9, 0.8), i32(1, 0), 2, 1);
    expect(q.result()).toBeCloseTo(0.5, 15);
    expect(M.recall().result()).toBe(0); // no positives yet: 0, not NaN
  });
  test('precision and recall, several columns: micro-averaged over argmax predictions (= accuracy for single-label data)', () => {
    const y = f64(0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4),
      onehot = f64(0, 1, 0, 1, 1, 0, 1, 0);
    for (const m of [M.precision(), M.recall()]) {
      m.update(y, onehot, 4, 2);
      expect(m.result()).toBeCloseTo(2 / 4, 15);
      m.reset();
      m.update(y, i32(1, 1, 0, 0), 4, 2);
      expect(m.result()).toBeCloseTo(2 / 4, 15);
    }
  });
  test('mse and mae over all elements, weighted by element count across batches', () => {
    const mse = M.mse(),
      mae = M.mae();
    mse.update(f64(1, 2), f64(0, 4), 1, 2);
    mae.update(f64(1, 2), f64(0, 4), 1, 2);
    expect(mse.result()).toBeCloseTo(2.5, 15);
    expect(mae.result()).toBeCloseTo(1.5, 15);
    mse.update(f64(3), f64(0), 1, 1); // (1 + 4 + 9) / 3
    mae.update(f64(3), f64(0), 1, 1); // (1 + 2 + 3) / 3
    expect(mse.result()).toBeCloseTo(14 / 3, 14);
    expect(mae.result()).toBeCloseTo(2, 14);
    expect(mse.name).toBe('mse');
    expect(mae.name).toBe('mae');
    expect(() => mse.update(f64(1), i32(1), 1, 1)).toThrow(/labels/);
  });
});

describe('getMetric', () => {
  test.each([
    ['binaryCrossentropy', 1, M.BinaryAccuracy],
    ['binaryCrossentropy', 3, M.BinaryAccuracy],
    ['sparseCategoricalCrossentropy', 10, M.SparseCategoricalAccuracy],
    ['categoricalCrossentropy', 10, M.CategoricalAccuracy],
    ['meanSquaredError', 3, M.CategoricalAccuracy],
    ['meanSquaredError', 1, M.BinaryAccuracy],
    ['huber', 1, M.BinaryAccuracy],
  ] as const)('accuracy with %s and %i output columns', (loss, cols, cls) => {
    for (const name of ['accuracy', 'acc']) {
      const m = M.getMetric(name, getLoss(loss), cols);
      expect(m).toBeInstanceOf(cls);
      expect(m.name).toBe('accuracy');
    }
  });
  test.each([
    ['precision', 'precision'],
    ['recall', 'recall'],
    ['mse', 'mse'],
    ['meanSquaredError', 'mse'],
    ['mean_squared_error', 'mse'],
    ['mae', 'mae'],
    ['meanAbsoluteError', 'mae'],
    ['mean_absolute_error', 'mae'],
  ])('%s → logs key %s', (name, key) => {
    expect(M.getMetric(name, getLoss('mse'), 1).name).toBe(key);
  });
  test('each call gives a fresh metric', () => {
    const loss = getLoss('mse');
    expect(M.getMetric('mse', loss, 1)).not.toBe(M.getMetric('mse', loss, 1));
  });
  test('unknown names throw, listing the valid ones', () => {
    expect(() => M.getMetric('f1', getLoss('mse'), 1)).toThrow(
      /unknown metric 'f1'.*accuracy.*precision.*recall.*mse.*mae/,
    );
  });
});
