/**
 * Model API: weights in TF.js order, summary, trainOnBatch, predict/evaluate shapes, and every bad input
 * at the public API failing with a message that names the argument and the fix, before weights change.
 */
import { BACKENDS, bp, onBackend } from './support';

function model3() {
  const m = bp.sequential({
    seed: 7,
    layers: [
      bp.layers.dense({ units: 5, activation: 'relu', inputShape: [3] }),
      bp.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}
const X = [
  [1, 2, 3],
  [4, 5, 6],
];
const Y = [
  [1, 0],
  [0, 1],
];

describe.each(BACKENDS)('model API on the %s backend', (name) => {
  onBackend(name);

  test('getWeights: kernel [in, out] then bias [units] per dense layer; setWeights round-trips', () => {
    const m = model3();
    const w = m.getWeights();
    expect(w.map((a) => a.shape)).toEqual([[3, 5], [5], [5, 2], [2]]);
    expect(w.map((a) => a.name)).toEqual(['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias']);
    const replaced = w.map((a) => ({ ...a, data: a.data.map((_, i) => i / 10) }));
    m.setWeights(replaced);
    expect(Array.from(m.getWeights()[2].data)).toEqual(Array.from(replaced[2].data));
  });

  test('predict equals a hand computation with set weights', () => {
    const m = bp.sequential({ layers: [bp.layers.dense({ units: 2, activation: 'linear', inputShape: [2] })] });
    m.setWeights([
      [
        [1, 2],
        [3, 4],
      ],
      [0.5, -0.5],
    ]);
    const p = m.predict([
      [1, 1],
      [2, 0],
    ]);
    expect(p.shape).toEqual([2, 2]);
    expect(Array.from(p.data)).toEqual([4.5, 5.5, 2.5, 3.5]);
  });

  test('trainOnBatch returns the loss and changes the weights', () => {
    const m = model3();
    const before = m.getWeights()[0].data.slice();
    const loss = m.trainOnBatch(X, Y);
    expect(loss).toBeGreaterThan(0);
    expect(m.getWeights()[0].data).not.toEqual(before);
  });

  test('summary lists layers, shapes and parameter counts', () => {
    const lines: string[] = [];
    const text = model3().summary((l) => lines.push(l));
    expect(text).toContain('dense_1 (Dense)');
    expect(text).toContain('[null, 5]');
    expect(text).toContain('Total params: 32'); // 3*5+5 + 5*2+2
    expect(lines.join('\n')).toBe(text);
  });

  test('evaluate returns loss and metrics; History has TF.js shape', async () => {
    const m = model3();
    const h = await m.fit(X, Y, { epochs: 2, verbose: 0, validationData: [X, Y] });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(h.val_loss).toBe(h.history.val_loss);
    const r = m.evaluate(X, Y);
    expect(Object.keys(r).sort()).toEqual(['accuracy', 'loss']);
  });

  describe('bad inputs fail with a clear message before any weight changes', () => {
    const cases: [string, (m: ReturnType<typeof model3>) => unknown, RegExp][] = [
      [
        'x with the wrong number of columns',
        (m) => m.trainOnBatch([[1, 2]], [[1, 0]]),
        /'x' has samples of shape \[2\] but the model's input shape is \[3\]/,
      ],
      ['mismatched row counts', (m) => m.trainOnBatch(X, [[1, 0]]), /'x' has 2 rows but 'y' has 1/],
      [
        'y with the wrong number of columns',
        (m) => m.trainOnBatch(X, [[1], [0]]),
        /'y' has samples of shape \[1\] but the model outputs \[2\]/,
      ],
      [
        'NaN in x',
        (m) =>
          m.trainOnBatch(
            [
              [1, NaN, 3],
              [4, 5, 6],
            ],
            Y,
          ),
        /NaN/,
      ],
      [
        'Infinity in y',
        (m) =>
          m.trainOnBatch(X, [
            [1, 0],
            [Infinity, 1],
          ]),
        /Infinity/,
      ],
      [
        'ragged x rows',
        (m) =>
          m.trainOnBatch(
            [
              [1, 2, 3],
              [4, 5],
            ],
            Y,
          ),
        /row 1/,
      ],
      ['missing y', (m) => m.trainOnBatch(X, undefined as never), /'y' is required/],
      ['labels as a list for a categorical loss', (m) => m.trainOnBatch(X, [0, 1]), /One-hot encode it/],
      ['a zero batchSize in predict', (m) => m.predict(X, { batchSize: 0 }), /'batchSize' must be a positive integer/],
    ];
    test.each(cases)('%s', (_label, call, message) => {
      const m = model3();
      const before = m.getWeights().map((w) => Array.from(w.data));
      expect(() => call(m)).toThrow(message);
      expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    });

    test('sparse labels out of range', () => {
      const m = model3();
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      expect(() => m.trainOnBatch(X, [0, 2])).toThrow(/'y'\[1\] = 2 is outside \[0, 2\)/);
      expect(() => m.trainOnBatch(X, [0, 1.5])).toThrow(/not an integer|outside/);
    });

    test('a model used before compile', async () => {
      const m = bp.sequential({ layers: [bp.layers.dense({ units: 1, inputShape: [3] })] });
      expect(() => m.trainOnBatch(X, [[1], [0]])).toThrow(/must be compiled first: model.compile/);
      await expect(m.fit(X, [[1], [0]])).rejects.toThrow(/must be compiled first/);
      expect(() => m.evaluate(X, [[1], [0]])).toThrow(/must be compiled first/);
    });

    test('predict before the input size is known', () => {
      const m = bp.sequential({ layers: [bp.layers.dense({ units: 1 })] });
      expect(() => m.predict(X)).toThrow(/not built yet; give the first layer an inputShape/);
    });

    test('bad layer, compile and fit options', async () => {
      expect(() => bp.layers.dense({ units: 0 })).toThrow(/'units' must be an integer in \[1, 268435456\]/);
      expect(() => bp.layers.dense({ units: 2, activation: 'nope' })).toThrow(
        /unknown activation 'nope'. Supported: linear, sigmoid/,
      );
      expect(() => bp.layers.dropout({ rate: 1 })).toThrow(/'rate' must be a number in \[0, 1\)/);
      const m = model3();
      expect(() => m.compile({ optimizer: 'sgd' } as never)).toThrow(/'loss' is required/);
      await expect(m.fit(X, Y, { epochs: -1 })).rejects.toThrow(/'epochs' must be a non-negative integer/);
      await expect(m.fit(X, Y, { validationSplit: 1.5 })).rejects.toThrow(/'validationSplit' must be in \[0, 1\)/);
      await expect(m.fit(X, Y, { callbacks: [{ onEpochFinish() {} } as never] })).rejects.toThrow(
        /unknown hook 'onEpochFinish'/,
      );
      expect(() => m.setWeights([new Float32Array(3)])).toThrow(/expected 4 arrays/);
    });
  });
});
