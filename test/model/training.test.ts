/**
 * End-to-end training on both backends: XOR, the bundled digits, a regression task, and determinism.
 */
import { BACKENDS, bp, onBackend } from './support';

const digitsAccuracy: Record<string, number> = {};

describe.each(BACKENDS)('training on the %s backend', (name) => {
  onBackend(name);

  test('XOR: a 2-8-1 tanh/sigmoid network reaches 100% accuracy from a fixed seed', async () => {
    const model = bp.sequential({
      seed: 3,
      layers: [
        bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
        bp.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    model.compile({
      optimizer: bp.optimizers.adam({ learningRate: 0.05 }),
      loss: 'binaryCrossentropy',
      metrics: ['accuracy'],
    });
    const { x, y } = bp.data.xor();
    const history = await model.fit(x, y, { epochs: 300, batchSize: 4, verbose: 0 });
    expect(history.history.accuracy.at(-1)).toBe(1);
    const p = model.predict(x).data;
    expect(Array.from(p).map((v) => (v > 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
    expect(history.history.loss.at(-1)!).toBeLessThan(0.1);
  });

  test('digits: 784-128-10 relu/softmax with Adam reaches >= 94% test accuracy', async () => {
    const { train, test } = bp.data.digits({ seed: 0, testFraction: 0.2 });
    const model = bp.sequential({
      seed: 1,
      layers: [
        bp.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
        bp.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    model.compile({
      optimizer: bp.optimizers.adam({ learningRate: 0.002 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit(train.x, train.y, { epochs: 12, batchSize: 32, validationSplit: 0.1, verbose: 0 });
    expect(history.history.val_accuracy).toHaveLength(12);
    const result = model.evaluate(test.x, test.y);
    digitsAccuracy[name] = result.accuracy;
    expect(result.accuracy).toBeGreaterThanOrEqual(0.94);
  }, 240000);

  test('regression: a noisy quadratic trained with MSE gets test MSE < 0.02 (noise variance 0.0025)', async () => {
    const rng = new bp.Rng(5);
    const make = (n: number) => {
      const xs: number[][] = [],
        ys: number[][] = [];
      for (let i = 0; i < n; i++) {
        const v = rng.uniform(-1, 1);
        xs.push([v]);
        ys.push([v * v + rng.normal(0, 0.05)]);
      }
      return { xs, ys };
    };
    const tr = make(512),
      te = make(256);
    const model = bp.sequential({
      seed: 2,
      layers: [bp.layers.dense({ units: 32, activation: 'tanh', inputShape: [1] }), bp.layers.dense({ units: 1 })],
    });
    model.compile({
      optimizer: bp.optimizers.adam({ learningRate: 0.01 }),
      loss: 'meanSquaredError',
      metrics: ['mae'],
    });
    await model.fit(tr.xs, tr.ys, { epochs: 60, batchSize: 32, verbose: 0 });
    const { loss, mae } = model.evaluate(te.xs, te.ys);
    expect(loss).toBeLessThan(0.02);
    expect(mae).toBeLessThan(0.12);
  });

  test('determinism: the same seed gives bit-identical weights', async () => {
    if (name === 'native') bp.setThreads(1);
    const run = async () => {
      const model = bp.sequential({
        seed: 42,
        layers: [
          bp.layers.dense({ units: 16, activation: 'relu', inputShape: [4] }),
          bp.layers.dropout({ rate: 0.2 }),
          bp.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      const rng = new bp.Rng(9);
      const x = Array.from({ length: 50 }, () => [0, 1, 2, 3].map(() => rng.normal(0, 1)));
      const y = x.map((r) => {
        const c = r[0] > 0.5 ? 0 : r[1] > 0 ? 1 : 2;
        return [0, 1, 2].map((j) => (j === c ? 1 : 0));
      });
      await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0 });
      return model
        .getWeights()
        .map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('hex'));
    };
    const a = await run(),
      b = await run();
    expect(a).toEqual(b);
    if (name === 'native') bp.setThreads(2);
  });
});

test('digits accuracy agrees across backends within 0.5 points', () => {
  if (Object.keys(digitsAccuracy).length < 2) return; // only one backend available here
  expect(Math.abs(digitsAccuracy.js - digitsAccuracy.native)).toBeLessThanOrEqual(0.005);
});
