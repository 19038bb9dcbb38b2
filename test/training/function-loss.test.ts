/**
 * Losses and metrics written as functions of tensors: traced, differentiated by the gradient table, reduced by the
 * engine like the built-in ones. An MSE written with ops trains as the built-in meanSquaredError does (float64, both
 * backends); its gradient is exact where the old array form (losses.customLoss) takes finite differences; function
 * metrics are logged under their names.
 */
import * as bp from '../../src';
import { functionLoss } from '../../src/training/function-loss';
import { randomInput } from '../support/layer-checks';
import { testBackends } from '../support/backends';

const { ops } = bp;
type T = bp.ops.Tensor;

function mseOps(yTrue: T, yPred: T): T {
  return ops.mean(ops.square(ops.sub(yTrue, yPred)), -1);
}

function model(loss: bp.CompileArgs['loss'], metrics?: bp.CompileArgs['metrics']) {
  const m = bp.sequential({
    seed: 4,
    dtype: 'float64',
    layers: [bp.layers.dense({ units: 6, activation: 'tanh', inputShape: [3] }), bp.layers.dense({ units: 2 })],
  });
  m.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.02 }), loss, metrics });
  return m;
}

describe.each(testBackends())('%s backend', (name) => {
  beforeAll(() => bp.setBackend(name));
  afterAll(() => bp.setBackend('auto'));

  test('an MSE written with ops trains as the built-in one (loss, weights)', () => {
    const [a, b] = [model(mseOps), model('meanSquaredError')];
    const x = randomInput([3], 12, 1),
      y = randomInput([2], 12, 2);
    for (let i = 0; i < 10; i++) expect(a.trainOnBatch(x, y)).toBeCloseTo(b.trainOnBatch(x, y), 12);
    const wb = b.getWeights();
    a.getWeights().forEach((w, i) => {
      for (let j = 0; j < w.data.length; j++) expect(w.data[j]).toBeCloseTo(wb[i].data[j], 12);
    });
    expect(a.evaluate(x, y).loss).toBeCloseTo(b.evaluate(x, y).loss, 12);
  });

  test('the gradient is exact: the finite-difference customLoss agrees to its own accuracy', () => {
    const backend = bp.getBackend().name === 'js' ? bp.jsReference() : bp.nativeBackend().backend!;
    const loss = functionLoss((t: T, p: T) => ops.mean(ops.pow(ops.sub(p, t), 4), -1));
    const fd = bp.losses.customLoss((t, p) => p.reduce((s, v, i) => s + (v - t[i]) ** 4, 0) / p.length);
    const y = Float64Array.of(0.5, -1, 2, 0.25, 1, -0.5),
      t = Float64Array.of(0, 1, 1, 0, -1, 0);
    const [g1, g2] = [new Float64Array(6), new Float64Array(6)];
    expect(loss.compute(backend, y, t, g1, 3, 2)).toBeCloseTo(fd.compute(backend, y, t, g2, 3, 2), 12);
    // d/dp mean((p − t)⁴) = 4(p − t)³/6, exactly
    g1.forEach((g, i) => expect(g).toBeCloseTo((4 * (y[i] - t[i]) ** 3) / 6, 12));
    g1.forEach((g, i) => expect(g).toBeCloseTo(g2[i], 6));
  });

  test('function metrics: the mean of their values over the epoch, under their names', async () => {
    function meanAbs(t: T, p: T): T {
      return ops.mean(ops.abs(ops.sub(t, p)), -1);
    }
    const m = model('mse', ['mae', meanAbs]);
    const x = randomInput([3], 10, 3),
      y = randomInput([2], 10, 4);
    const h = await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual(['loss', 'mae', 'meanAbs']);
    const e = m.evaluate(x, y, { batchSize: 3 });
    expect(e.meanAbs).toBeCloseTo(e.mae, 12);
  });
});

test('bad functions get errors naming the loss', () => {
  const m = model((() => 3) as never);
  expect(() => m.trainOnBatch([[1, 2, 3]], [[1, 2]])).toThrow(/loss '.*': the function must return a tensor/);
  const n = model(function shapeBug(t: T, p: T) {
    return ops.add(t, ops.slice(p, [0, 0], [1, 1]));
  });
  expect(() =>
    n.trainOnBatch(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [1, 2],
        [3, 4],
      ],
    ),
  ).not.toThrow();
  expect(() => model('mse', [42 as never])).toThrow(/unknown metric 42/);
});
