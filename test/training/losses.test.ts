/** Losses: values and gradients on tiny hand examples, fused vs unfused agreement, custom losses, lookup. */
import * as L from '../../src/training/losses';
import { Activation, type Backend } from '../../src/backend/ops';
import { Rng } from '../../src/random';
import { ops } from '../../src/autodiff';
import type { Tensor } from '../../src/autodiff/tensor';
import { testBackends, expectClose } from '../support/backends';

const BACKENDS = testBackends();

const f64 = (...v: number[]) => Float64Array.from(v);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe.each(BACKENDS)('losses on %s', (_name, b) => {
  test('meanSquaredError: mean (p-t)², grad 2(p-t)/n', () => {
    const g = new Float64Array(2);
    expect(L.meanSquaredError().compute(b, f64(1, 2), f64(0, 4), g, 1, 2)).toBeCloseTo(2.5, 14);
    expectClose(g, [1, -2], 14);
  });
  test('meanAbsoluteError: mean |p-t|, grad sign/n', () => {
    const g = new Float64Array(2);
    expect(L.meanAbsoluteError().compute(b, f64(1, 2), f64(0, 4), g, 2, 1)).toBeCloseTo(1.5, 14);
    expectClose(g, [0.5, -0.5], 14);
  });
  test('huber: quadratic inside delta, linear outside', () => {
    const g = new Float64Array(2);
    // e = 0.5 → 0.125; e = -3 → 1·(3 - 0.5) = 2.5; mean 1.3125
    expect(L.huber().compute(b, f64(1.5, 1), f64(1, 4), g, 1, 2)).toBeCloseTo(1.3125, 14);
    expectClose(g, [0.25, -0.5], 14);
    // delta 4: both quadratic, (0.125 + 4.5)/2
    expect(L.huber({ delta: 4 }).compute(b, f64(1.5, 1), f64(1, 4), null, 1, 2)).toBeCloseTo(2.3125, 14);
    expect(L.huber({ delta: 4 }).getConfig()).toEqual({ delta: 4 });
    expect(() => L.huber({ delta: 0 })).toThrow(/delta/);
  });
  test('binaryCrossentropy from probabilities', () => {
    const g = new Float64Array(2);
    const loss = L.binaryCrossentropy();
    expect(loss.compute(b, f64(0.8, 0.3), f64(1, 0), g, 2, 1)).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
    expectClose(g, [-0.2 / 0.16 / 2, 0.3 / 0.21 / 2], 10);
    expect(loss.fusedActivation).toBe('sigmoid');
    expect(loss.sparseTargets).toBe(false);
  });
  test('binaryCrossentropy fromLogits, and the fused path equals sigmoid + BCE', () => {
    const g = new Float64Array(2);
    const want = (Math.log(2) + 2 + Math.log1p(Math.exp(-2))) / 2;
    const logits = L.binaryCrossentropy({ fromLogits: true });
    expect(logits.fusedActivation).toBeUndefined();
    expect(logits.compute(b, f64(0, 2), f64(1, 0), g, 1, 2)).toBeCloseTo(want, 12);
    expectClose(g, [(0.5 - 1) / 2, sigmoid(2) / 2], 12);
    const z = f64(-1.3, 0.2, 2.5, -0.4),
      t = f64(1, 0, 1, 0);
    const p = z.map(sigmoid);
    const gz = new Float64Array(4),
      gp = new Float64Array(4),
      chained = new Float64Array(4);
    const prob = L.binaryCrossentropy();
    const fused = prob.computeFromLogits!(b, z, t, gz, 2, 2);
    expect(prob.compute(b, p, t, gp, 2, 2)).toBeCloseTo(fused, 10);
    b.activationBackward(Activation.sigmoid, 0, z, p, gp, chained, 2, 2);
    expectClose(chained, gz, 9);
  });
  test('categoricalCrossentropy from probabilities', () => {
    const g = new Float64Array(3);
    const loss = L.categoricalCrossentropy();
    expect(loss.compute(b, f64(0.7, 0.2, 0.1), f64(0, 1, 0), g, 1, 3)).toBeCloseTo(-Math.log(0.2), 12);
    expectClose(g, [0, -5, 0], 10);
    expect(loss.fusedActivation).toBe('softmax');
  });
  test('softmax then categoricalCrossentropy ≈ softmaxCrossEntropy from logits (value and chained gradient)', () => {
    const rng = new Rng(9),
      rows = 4,
      cols = 5;
    const z = new Float64Array(rows * cols).map(() => rng.uniform(-3, 3));
    const t = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) t[r * cols + rng.int(cols)] = 1;
    const p = new Float64Array(rows * cols);
    b.activationForward(Activation.softmax, 0, z, p, rows, cols);
    const gp = new Float64Array(rows * cols),
      gz = new Float64Array(rows * cols),
      chained = new Float64Array(rows * cols);
    const prob = L.categoricalCrossentropy();
    const unfused = prob.compute(b, p, t, gp, rows, cols);
    const fused = prob.computeFromLogits!(b, z, t, gz, rows, cols);
    expect(unfused).toBeCloseTo(fused, 10);
    expect(L.categoricalCrossentropy({ fromLogits: true }).compute(b, z, t, null, rows, cols)).toBeCloseTo(fused, 14);
    b.activationBackward(Activation.softmax, 0, z, p, gp, chained, rows, cols);
    expectClose(chained, gz, 9);
    // one-hot: grad = (softmax - t)/rows
    expectClose(
      gz,
      p.map((v, i) => (v - t[i]) / rows),
      12,
    );
  });
  test('sparseCategoricalCrossentropy from probabilities: -log p[label], grad only at the label', () => {
    const y = f64(0.7, 0.2, 0.1, 0.1, 0.1, 0.8),
      labels = Int32Array.from([0, 2]);
    const g = new Float64Array(6).fill(9);
    const loss = L.sparseCategoricalCrossentropy();
    expect(loss.sparseTargets).toBe(true);
    expect(loss.fusedActivation).toBe('softmax');
    expect(loss.compute(b, y, labels, g, 2, 3)).toBeCloseTo(-(Math.log(0.7) + Math.log(0.8)) / 2, 12);
    expectClose(g, [-1 / 0.7 / 2, 0, 0, 0, 0, -1 / 0.8 / 2], 12);
    // matches categoricalCrossentropy on the one-hot targets
    const gc = new Float64Array(6);
    expect(L.categoricalCrossentropy().compute(b, y, f64(1, 0, 0, 0, 0, 1), gc, 2, 3)).toBeCloseTo(
      loss.compute(b, y, labels, null, 2, 3),
      12,
    );
    expectClose(gc, g, 10);
  });
  test('sparse from probabilities: grad may alias the predictions; clamp gives 0 gradient; batch sizes may vary', () => {
    const loss = L.sparseCategoricalCrossentropy();
    const y = f64(0.7, 0.2, 0.1, 0.1, 0.1, 0.8);
    const v = loss.compute(b, y, Int32Array.from([0, 2]), y, 2, 3);
    expect(v).toBeCloseTo(-(Math.log(0.7) + Math.log(0.8)) / 2, 12);
    expectClose(y, [-1 / 0.7 / 2, 0, 0, 0, 0, -1 / 0.8 / 2], 12);
    const g = new Float64Array(2);
    expect(loss.compute(b, f64(0, 1), Int32Array.from([0]), g, 1, 2)).toBeCloseTo(-Math.log(1e-7), 9);
    expectClose(g, [0, 0], 15);
    // grow then shrink: the scratch must not leak rows between calls
    const big = new Float64Array(12).fill(0.25);
    expect(loss.compute(b, big, Int32Array.from([0, 1, 2, 1]), null, 4, 3)).toBeCloseTo(-Math.log(0.25), 12);
    expect(loss.compute(b, f64(0.5, 0.5), Int32Array.from([1]), null, 1, 2)).toBeCloseTo(Math.log(2), 12);
    expect(() => loss.compute(b, f64(0.5, 0.5), Int32Array.from([2]), null, 1, 2)).toThrow(/row 0/);
    expect(() => loss.compute(b, f64(0.5, 0.5), f64(0, 1), null, 1, 2)).toThrow(/Int32Array/);
  });
  test('sparse: fused path and fromLogits are softmaxCrossEntropySparse', () => {
    const z = f64(1, 2, 0.5, -1, 0, 3),
      labels = Int32Array.from([1, 2]),
      onehot = f64(0, 1, 0, 0, 0, 1);
    const gs = new Float64Array(6),
      gd = new Float64Array(6),
      gl = new Float64Array(6);
    const dense = L.categoricalCrossentropy({ fromLogits: true }).compute(b, z, onehot, gd, 2, 3);
    expect(L.sparseCategoricalCrossentropy().computeFromLogits!(b, z, labels, gs, 2, 3)).toBeCloseTo(dense, 12);
    const fromLogits = L.sparseCategoricalCrossentropy({ fromLogits: true });
    expect(fromLogits.fusedActivation).toBeUndefined();
    expect(fromLogits.compute(b, z, labels, gl, 2, 3)).toBeCloseTo(dense, 12);
    expectClose(gs, gd, 12);
    expectClose(gl, gd, 12);
  });
  test('customLoss: value from the function, gradient by central differences ≈ the analytic one', () => {
    const mse = (t: Float64Array, p: Float64Array) => p.reduce((s, v, i) => s + (v - t[i]) ** 2, 0) / p.length;
    const custom = L.customLoss(mse);
    expect(custom.name).toBe('mse');
    const y = f64(0.3, -1.2, 2, 0.5),
      t = f64(0, 1, 2, -0.5);
    const gc = new Float64Array(4),
      ga = new Float64Array(4);
    expect(custom.compute(b, y, t, gc, 2, 2)).toBeCloseTo(L.meanSquaredError().compute(b, y, t, ga, 2, 2), 14);
    expectClose(gc, ga, 7);
    const quartic = L.customLoss((tt, p) => p.reduce((s, v, i) => s + (v - tt[i]) ** 4, 0) / p.length);
    const g4 = new Float64Array(1);
    quartic.compute(b, f64(2), f64(0), g4, 1, 1);
    expect(g4[0]).toBeCloseTo(32, 5); // d/dp p⁴ = 4p³
    expect(() => custom.compute(b, y, Int32Array.from([0, 1]), null, 2, 2)).toThrow(/labels/);
    expect(() => L.customLoss(() => NaN).compute(b, y, t, null, 2, 2)).toThrow(/must return a number/);
  });
});

describe('getLoss', () => {
  test.each([
    ['meanSquaredError', 'meanSquaredError'],
    ['mse', 'meanSquaredError'],
    ['mean_squared_error', 'meanSquaredError'],
    ['MSE', 'meanSquaredError'],
    ['meanAbsoluteError', 'meanAbsoluteError'],
    ['mae', 'meanAbsoluteError'],
    ['mean_absolute_error', 'meanAbsoluteError'],
    ['huber', 'huber'],
    ['huber_loss', 'huber'],
    ['binaryCrossentropy', 'binaryCrossentropy'],
    ['binary_crossentropy', 'binaryCrossentropy'],
    ['categoricalCrossentropy', 'categoricalCrossentropy'],
    ['categorical_crossentropy', 'categoricalCrossentropy'],
    ['sparseCategoricalCrossentropy', 'sparseCategoricalCrossentropy'],
    ['sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy'],
  ])('%s → %s', (id, name) => {
    const loss = L.getLoss(id);
    expect(loss.name).toBe(name);
    expect(loss.sparseTargets).toBe(name === 'sparseCategoricalCrossentropy');
  });
  test('a Loss is returned as is; a function of tensors becomes a traced custom loss', () => {
    const l = L.huber({ delta: 2 });
    expect(L.getLoss(l)).toBe(l);
    function myLoss(t: Tensor, p: Tensor): Tensor {
      return ops.mean(ops.abs(ops.sub(t, p)), -1);
    }
    const loss = L.getLoss(myLoss);
    expect(loss.name).toBe('myLoss');
    expect(loss.custom).toBe(true);
  });
  test('unknown names throw, listing the valid ones', () => {
    expect(() => L.getLoss('crossEntropy')).toThrow(
      /unknown loss "crossEntropy".*meanSquaredError.*sparseCategoricalCrossentropy/,
    );
    expect(() => L.getLoss(42 as never)).toThrow(/unknown loss/);
  });
  test('matrix losses reject integer labels', () => {
    expect(() =>
      L.meanSquaredError().compute(BACKENDS[0][1] as Backend, f64(1), Int32Array.from([1]), null, 1, 1),
    ).toThrow(/labels/);
  });
});
