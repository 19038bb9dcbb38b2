/**
 * Optimizer steps against hand-computed values, clipping, schedules against their formulas, state
 * save/restore; on both backends.
 */
import { BACKENDS, bp, onBackend } from '../model/support';
import type { Param } from '../../src';

function param(w: number[], g: number[]): Param {
  return { name: 'p', shape: [w.length], value: Float64Array.from(w), grad: Float64Array.from(g) };
}
const close = (a: ArrayLike<number>, b: number[], digits = 10) =>
  b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, digits));

describe.each(BACKENDS)('optimizers on the %s backend', (name) => {
  onBackend(name);
  const be = () => bp.backend();

  test('sgd: w -= lr·g', () => {
    const p = param([1, -2], [0.5, -1]);
    bp.optimizers.sgd({ learningRate: 0.1 }).step(be(), [p]);
    close(p.value, [0.95, -1.9]);
  });

  test('momentum (Keras form) over two steps, and Nesterov', () => {
    const p = param([1], [1]);
    const o = bp.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 });
    o.step(be(), [p]); // v = -0.1, w = 0.9
    o.step(be(), [p]); // v = 0.9·-0.1 - 0.1 = -0.19, w = 0.71
    close(p.value, [0.71]);
    const q = param([1], [1]);
    const n = bp.optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true });
    n.step(be(), [q]); // v = -0.1; w += 0.9·-0.1 - 0.1 = -0.19 → 0.81
    close(q.value, [0.81]);
    expect(n.className).toBe('Momentum');
  });

  test('rmsprop: ms = ρ·ms + (1-ρ)g², w -= lr·g/√(ms+ε)', () => {
    const p = param([1], [2]);
    bp.optimizers.rmsprop({ learningRate: 0.01, rho: 0.9, epsilon: 1e-7 }).step(be(), [p]);
    close(p.value, [1 - (0.01 * 2) / Math.sqrt(0.1 * 4 + 1e-7)]);
  });

  test('adagrad: acc starts at 0.1, acc += g², w -= lr·g/√(acc+ε)', () => {
    const p = param([1], [2]);
    bp.optimizers.adagrad({ learningRate: 0.1 }).step(be(), [p]);
    close(p.value, [1 - (0.1 * 2) / Math.sqrt(0.1 + 4 + 1e-7)]);
  });

  test('adam: the first step moves each weight by ≈ lr·sign(g); the second matches the formula', () => {
    const p = param([1, 1], [3, -0.5]);
    const o = bp.optimizers.adam({ learningRate: 0.01 });
    o.step(be(), [p]);
    close(p.value, [0.99, 1.01], 6);
    const w1 = p.value[0];
    p.grad.set([1, 1]);
    o.step(be(), [p]);
    const m = 0.9 * 0.1 * 3 + 0.1 * 1,
      v = 0.999 * 0.001 * 9 + 0.001 * 1;
    const expected = w1 - (0.01 * m) / (1 - 0.81) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-7);
    close([p.value[0]], [expected], 10);
    expect(o.iterations).toBe(2);
  });

  test('adamw decays the weights by lr·wd·w besides the Adam step', () => {
    const a = param([2], [1]),
      b = param([2], [1]);
    bp.optimizers.adam({ learningRate: 0.01 }).step(be(), [a]);
    bp.optimizers.adamw({ learningRate: 0.01, weightDecay: 0.1 }).step(be(), [b]);
    close([b.value[0]], [a.value[0] - 0.01 * 0.1 * 2], 8);
  });

  test('clipValue clips each element; clipNorm scales by the global norm', () => {
    const p = param([0, 0], [5, -0.5]);
    bp.optimizers.sgd({ learningRate: 1, clipValue: 1 }).step(be(), [p]);
    close(p.value, [-1, 0.5]);
    const a = param([0], [3]),
      b = param([0, 0], [0, 4]); // global norm 5
    bp.optimizers.sgd({ learningRate: 1, clipNorm: 1 }).step(be(), [a, b]);
    close(a.value, [-0.6]);
    close(b.value, [0, -0.8]);
  });

  test('optimizer state round-trips through getWeights/setWeights', () => {
    const p = param([1, 2], [0.1, 0.2]);
    const o = bp.optimizers.adam();
    o.step(be(), [p]);
    const saved = o.getWeights().map((w) => ({ name: w.name, value: w.value.slice() }));
    expect(saved.map((w) => w.name)).toEqual(['p/m', 'p/v']);
    const o2 = bp.optimizers.adam();
    o2.setWeights([p], saved);
    o2.iterations = 1;
    const q = param(Array.from(p.value), [0.1, 0.2]);
    o.step(be(), [p]);
    o2.step(be(), [q]);
    expect(Array.from(q.value)).toEqual(Array.from(p.value));
  });
});

describe('learning-rate schedules', () => {
  test('exponentialDecay, continuous and staircase', () => {
    const s = bp.optimizers.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(s.at(0)).toBeCloseTo(0.1, 12);
    expect(s.at(5)).toBeCloseTo(0.1 * Math.pow(0.5, 0.5), 12);
    expect(s.at(20)).toBeCloseTo(0.025, 12);
    const st = bp.optimizers.exponentialDecay({
      initialLearningRate: 0.1,
      decaySteps: 10,
      decayRate: 0.5,
      staircase: true,
    });
    expect(st.at(19)).toBeCloseTo(0.05, 12);
  });
  test('stepDecay and cosineDecay', () => {
    const s = bp.optimizers.stepDecay({ initialLearningRate: 1, dropEvery: 3, factor: 0.1 });
    expect([0, 2, 3, 6].map((t) => s.at(t))).toEqual(
      [1, 1, 0.1, 1 * 0.1 * 0.1].map((v, i) => (i === 3 ? expect.closeTo(v, 12) : v)),
    );
    const c = bp.optimizers.cosineDecay({ initialLearningRate: 1, decaySteps: 100, alpha: 0.1 });
    expect(c.at(0)).toBeCloseTo(1, 12);
    expect(c.at(50)).toBeCloseTo(0.9 * 0.5 + 0.1, 12);
    expect(c.at(100)).toBeCloseTo(0.1, 12);
    expect(c.at(500)).toBeCloseTo(0.1, 12);
  });
  test('an optimizer evaluates its schedule at each step', () => {
    const o = bp.optimizers.sgd({
      learningRate: bp.optimizers.stepDecay({ initialLearningRate: 1, dropEvery: 2, factor: 0.5 }),
    });
    const p = param([0], [1]);
    const rates: number[] = [];
    for (let i = 0; i < 5; i++) {
      o.step(bp.jsReference(), [p]);
      rates.push(o.learningRate);
    }
    expect(rates).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(p.value[0]).toBeCloseTo(-(1 + 1 + 0.5 + 0.5 + 0.25), 12);
  });
  test('lookup by name, and errors', () => {
    expect(bp.optimizers.getOptimizer('ADAM').className).toBe('Adam');
    expect(bp.optimizers.getOptimizer('adamw').className).toBe('AdamW');
    expect(bp.optimizers.getOptimizer('momentum').className).toBe('Momentum');
    expect(() => bp.optimizers.getOptimizer('lion')).toThrow(/unknown optimizer "lion"; use one of 'sgd', 'momentum'/);
    expect(() => bp.optimizers.adam({ beta1: 1 })).toThrow(/'beta1' must be a finite number >= 0 and < 1, got 1/);
    expect(() => bp.optimizers.sgd({ learningRate: -1 })).toThrow(
      /'learningRate' must be a finite number >= 0, got -1/,
    );
  });
});
