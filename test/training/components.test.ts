/**
 * Regularizers (penalty and gradient), losses (values on hand examples, fused vs unfused), metrics (hand
 * examples) through the model API. Initializers are covered in test/components/initializers.test.ts.
 */
import { BACKENDS, bp, onBackend } from '../model/support';

describe.each(BACKENDS)('regularizers, losses, metrics on the %s backend', (name) => {
  onBackend(name);
  test('l1, l2, l1l2: penalty and gradient (Keras definitions)', () => {
    const w = Float64Array.of(1, -2, 0),
      g = Float64Array.of(0, 0, 0);
    expect(bp.regularizers.l1l2({ l1: 0.1, l2: 0.01 }).apply(bp.backend(), w, g)).toBeCloseTo(0.1 * 3 + 0.01 * 5, 12);
    expect(Array.from(g)).toEqual([0.1 + 0.02, -0.1 - 0.04, 0].map((v) => expect.closeTo(v, 12)));
    expect(bp.regularizers.getRegularizer('l2').l2).toBe(0.01);
    expect(() => bp.regularizers.l2({ l2: -1 })).toThrow(/'l2' must be a finite number >= 0/);
  });
  test('loss values on hand examples', () => {
    const b = bp.backend();
    const mse = bp.losses.getLoss('mse').compute(b, Float64Array.of(1, 2), Float64Array.of(0, 0), null, 1, 2);
    expect(mse).toBeCloseTo(2.5, 12);
    const mae = bp.losses
      .getLoss('mean_absolute_error')
      .compute(b, Float64Array.of(1, -2), Float64Array.of(0, 0), null, 1, 2);
    expect(mae).toBeCloseTo(1.5, 12);
    const hub = bp.losses.huber({ delta: 1 }).compute(b, Float64Array.of(0.5, 3), Float64Array.of(0, 0), null, 1, 2);
    expect(hub).toBeCloseTo((0.125 + 2.5) / 2, 12);
    const bce = bp.losses.binaryCrossentropy().compute(b, Float64Array.of(0.8), Float64Array.of(1), null, 1, 1);
    expect(bce).toBeCloseTo(-Math.log(0.8), 6);
    const cce = bp.losses
      .categoricalCrossentropy()
      .compute(b, Float64Array.of(0.2, 0.7, 0.1), Float64Array.of(0, 1, 0), null, 1, 3);
    expect(cce).toBeCloseTo(-Math.log(0.7), 6);
    const sp = bp.losses
      .sparseCategoricalCrossentropy()
      .compute(b, Float64Array.of(0.2, 0.7, 0.1), Int32Array.of(2), null, 1, 3);
    expect(sp).toBeCloseTo(-Math.log(0.1), 6);
  });
  test('fused vs unfused: softmax then cross-entropy equals cross-entropy from logits', () => {
    const b = bp.backend();
    const z = Float64Array.of(1, 2, 0.5, -1, 0, 3),
      p = new Float64Array(6),
      t = Float64Array.of(0, 1, 0, 0, 0, 1);
    b.activationForward(bp.Activation.softmax, 0, z, p, 2, 3);
    const loss = bp.losses.categoricalCrossentropy();
    expect(loss.compute(b, p, t, null, 2, 3)).toBeCloseTo(loss.computeFromLogits!(b, z, t, null, 2, 3), 10);
    expect(bp.losses.categoricalCrossentropy({ fromLogits: true }).compute(b, z, t, null, 2, 3)).toBeCloseTo(
      loss.computeFromLogits!(b, z, t, null, 2, 3),
      12,
    );
    const sp = bp.losses.sparseCategoricalCrossentropy();
    expect(sp.compute(b, p, Int32Array.of(1, 2), null, 2, 3)).toBeCloseTo(
      sp.computeFromLogits!(b, z, Int32Array.of(1, 2), null, 2, 3),
      10,
    );
  });
  test('a custom loss function trains through finite-difference gradients', () => {
    const l = bp.losses.getLoss(
      (t: Float64Array, p: Float64Array) => p.reduce((s, v, i) => s + (v - t[i]) ** 2, 0) / p.length,
    );
    const g = new Float64Array(2);
    const v = l.compute(bp.backend(), Float64Array.of(1, 2), Float64Array.of(0, 0), g, 1, 2);
    expect(v).toBeCloseTo(2.5, 12);
    expect(g[0]).toBeCloseTo(1, 6);
    expect(g[1]).toBeCloseTo(2, 6);
    expect(() => bp.losses.getLoss('kld')).toThrow(/unknown loss "kld"/);
  });
  test('metrics on hand examples, chosen from the loss as Keras does', () => {
    const bce = bp.losses.binaryCrossentropy();
    const acc = bp.metrics.getMetric('accuracy', bce, 1);
    acc.reset();
    acc.update(Float64Array.of(0.9, 0.2, 0.6, 0.4), Float64Array.of(1, 0, 0, 0), 4, 1);
    expect(acc.result()).toBe(0.75);
    const prec = bp.metrics.getMetric('precision', bce, 1),
      rec = bp.metrics.getMetric('recall', bce, 1);
    for (const m of [prec, rec]) {
      m.reset();
      m.update(Float64Array.of(0.9, 0.8, 0.1, 0.2), Float64Array.of(1, 0, 1, 0), 4, 1);
    }
    expect(prec.result()).toBe(0.5); // tp 1, fp 1
    expect(rec.result()).toBe(0.5); // tp 1, fn 1
    const sparse = bp.metrics.getMetric('acc', bp.losses.sparseCategoricalCrossentropy(), 3);
    sparse.reset();
    sparse.update(Float64Array.of(0.1, 0.8, 0.1, 0.5, 0.3, 0.2), Int32Array.of(1, 2), 2, 3);
    expect(sparse.result()).toBe(0.5);
    const cat = bp.metrics.getMetric('accuracy', bp.losses.categoricalCrossentropy(), 3);
    cat.reset();
    cat.update(Float64Array.of(0.1, 0.8, 0.1, 0.5, 0.3, 0.2), Float64Array.of(0, 1, 0, 1, 0, 0), 2, 3);
    expect(cat.result()).toBe(1);
    const mse = bp.metrics.getMetric('mse', bce, 1);
    mse.reset();
    mse.update(Float64Array.of(1, 3), Float64Array.of(0, 0), 2, 1);
    expect(mse.result()).toBe(5);
    expect(() => bp.metrics.getMetric('auc', bce, 1)).toThrow(/unknown metric 'auc'/);
  });
});
