/**
 * Optimizers against hand-computed values (2-3 steps), clipping by value and by global norm, state
 * allocation and save/restore, lookup; on both backends.
 */
import * as O from '../../src/optimizers';
import type { Param } from '../../src/training/contracts';
import { testBackends, expectClose } from '../support/backends';

const BACKENDS = testBackends();

function param(name: string, w: number[], g: number[], kind: 'f32' | 'f64' = 'f64'): Param {
  const C = kind === 'f64' ? Float64Array : Float32Array;
  return { name, shape: [w.length], value: C.from(w), grad: C.from(g) };
}
const EPS = 1e-7;

describe.each(BACKENDS)('optimizers on %s', (_name, b) => {
  test('sgd: w -= lr·g, two steps; weightDecay folds L2 into g', () => {
    const p = param('p', [1, -2], [0.5, -1]);
    const o = O.sgd({ learningRate: 0.1 });
    expect(o.className).toBe('SGD');
    o.step(b, [p]);
    expectClose(p.value, [0.95, -1.9], 14);
    o.step(b, [p]);
    expectClose(p.value, [0.9, -1.8], 14);
    expect(o.iterations).toBe(2);
    const q = param('q', [1, -2], [0.5, -1]);
    O.sgd({ learningRate: 0.1, weightDecay: 0.1 }).step(b, [q]); // g' = [0.6, -1.2]
    expectClose(q.value, [0.94, -1.88], 14);
  });
  test('sgd default learning rate 0.01', () => {
    const p = param('p', [1], [1]);
    O.sgd().step(b, [p]);
    expectClose(p.value, [0.99], 14);
  });
  test('momentum (Keras form), three steps', () => {
    const p = param('p', [1], [1]);
    const o = O.sgd({ learningRate: 0.1, momentum: 0.9 });
    expect(o.className).toBe('Momentum');
    o.step(b, [p]); // v = -0.1, w = 0.9
    expectClose(p.value, [0.9], 14);
    o.step(b, [p]); // v = -0.09 - 0.1 = -0.19, w = 0.71
    expectClose(p.value, [0.71], 14);
    p.grad[0] = -1;
    o.step(b, [p]); // v = -0.171 + 0.1 = -0.071, w = 0.639
    expectClose(p.value, [0.639], 14);
    expect(o.getWeights().map((w) => w.name)).toEqual(['p/velocity']);
    expectClose(o.getWeights()[0].value, [-0.071], 14);
  });
  test('nesterov momentum, two steps', () => {
    const p = param('p', [1], [1]);
    const o = O.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true });
    o.step(b, [p]); // v = -0.1; w += 0.9·(-0.1) - 0.1 = -0.19 → 0.81
    expectClose(p.value, [0.81], 14);
    o.step(b, [p]); // v = -0.19; w += 0.9·(-0.19) - 0.1 = -0.271 → 0.539
    expectClose(p.value, [0.539], 14);
  });
  test('rmsprop: ms = ρ·ms + (1-ρ)g², w -= lr·g/√(ms+ε), two steps', () => {
    const p = param('p', [1], [2]);
    const o = O.rmsprop({ learningRate: 0.01 });
    expect(o.className).toBe('RMSProp');
    o.step(b, [p]); // ms = 0.4
    const w1 = 1 - 0.02 / Math.sqrt(0.4 + EPS);
    expectClose(p.value, [w1], 13);
    o.step(b, [p]); // ms = 0.36 + 0.4 = 0.76
    expectClose(p.value, [w1 - 0.02 / Math.sqrt(0.76 + EPS)], 13);
    expectClose(o.getWeights()[0].value, [0.76], 13);
    expect(o.getWeights()[0].name).toBe('p/rms');
  });
  test('adagrad: accumulator starts at 0.1; acc += g², w -= lr·g/√(acc+ε), two steps', () => {
    const p = param('p', [1], [2]);
    const o = O.adagrad({ learningRate: 0.01 });
    expect(o.className).toBe('Adagrad');
    o.step(b, [p]); // acc = 4.1
    const w1 = 1 - 0.02 / Math.sqrt(4.1 + EPS);
    expectClose(p.value, [w1], 13);
    o.step(b, [p]); // acc = 8.1
    expectClose(p.value, [w1 - 0.02 / Math.sqrt(8.1 + EPS)], 13);
    expect(o.getWeights()[0].name).toBe('p/accumulator');
  });
  test('adam: first step moves each weight by ≈ lr·sign(g); second step by the bias-corrected moments', () => {
    const p = param('p', [1, -2], [0.5, -4]);
    const o = O.adam({ learningRate: 0.1 });
    expect(o.className).toBe('Adam');
    o.step(b, [p]);
    // m̂ = g, v̂ = g² at t = 1 → Δ = lr·g/(|g| + ε)
    expectClose(p.value, [1 - (0.1 * 0.5) / (0.5 + EPS), -2 + (0.1 * 4) / (4 + EPS)], 13);
    expectClose(p.value, [0.9, -1.9], 6);
    const w1 = Array.from(p.value);
    p.grad.set([1, 0]);
    o.step(b, [p]); // t = 2
    const m = [0.9 * 0.05 + 0.1 * 1, 0.9 * -0.4 + 0],
      v = [0.999 * 0.00025 + 0.001 * 1, 0.999 * 0.016];
    const c1 = 1 - 0.9 ** 2,
      c2 = 1 - 0.999 ** 2;
    expectClose(
      p.value,
      [0, 1].map((i) => w1[i] - (0.1 * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + EPS)),
      12,
    );
    const [mW, vW] = o.getWeights();
    expect([mW.name, vW.name]).toEqual(['p/m', 'p/v']);
    expectClose(mW.value, m, 14);
    expectClose(vW.value, v, 14);
  });
  test('adam on float32', () => {
    const p = param('p', [1, -2], [0.5, -4], 'f32');
    O.adam({ learningRate: 0.1 }).step(b, [p]);
    expect(p.value).toBeInstanceOf(Float32Array);
    expectClose(p.value, [0.9, -1.9], 5);
  });
  test('adamw: decoupled decay w -= lr·wd·w, then Adam with the raw gradient', () => {
    const p = param('p', [1, -2], [0.5, -4]);
    const o = O.adamw({ learningRate: 0.1, weightDecay: 0.1 });
    expect(o.className).toBe('AdamW');
    o.step(b, [p]);
    expectClose(p.value, [0.99 - (0.1 * 0.5) / (0.5 + EPS), -1.98 + (0.1 * 4) / (4 + EPS)], 13);
    expect(O.adamw().weightDecay).toBe(0.004);
    expect(O.adam().weightDecay).toBe(0);
  });
  test('clipValue clips each gradient element before the update', () => {
    const p = param('p', [0, 0, 0], [2, -3, 0.1]);
    O.sgd({ learningRate: 1, clipValue: 0.5 }).step(b, [p]);
    expectClose(p.value, [-0.5, 0.5, -0.1], 14);
  });
  test('clipNorm scales all gradients by clipNorm/globalNorm when the global norm is larger', () => {
    const p = param('a', [0], [3]),
      q = param('b', [0, 0], [0, 4]); // global norm 5
    O.sgd({ learningRate: 1, clipNorm: 1 }).step(b, [p, q]);
    expectClose(p.value, [-0.6], 14);
    expectClose(q.value, [0, -0.8], 14);
    const r = param('a', [0], [3]),
      s = param('b', [0], [4]);
    O.sgd({ learningRate: 1, clipNorm: 10 }).step(b, [r, s]); // norm 5 ≤ 10: untouched
    expectClose(r.value, [-3], 14);
    expectClose(s.value, [-4], 14);
  });
  test('clipValue is applied before clipNorm', () => {
    const p = param('p', [0, 0], [3, 4]); // → [3, 3], norm 3√2 → [1/√2, 1/√2]
    O.sgd({ learningRate: 1, clipValue: 3, clipNorm: 1 }).step(b, [p]);
    expectClose(p.value, [-Math.SQRT1_2, -Math.SQRT1_2], 14);
  });
  test('adam with clipNorm: clipping changes the moments, not just the step', () => {
    const p = param('p', [0], [10]);
    const o = O.adam({ learningRate: 0.1, clipNorm: 2 });
    o.step(b, [p]);
    expectClose(o.getWeights()[0].value, [0.1 * 2], 14); // m = (1-β1)·clipped g
  });
  test('state is allocated once per param on the first step and reused', () => {
    const k = param('dense_1/kernel', [1, 2], [0.1, 0.2]),
      bias = param('dense_1/bias', [0], [0.3]);
    const o = O.adam();
    expect(o.getWeights()).toEqual([]);
    o.step(b, [k, bias]);
    const first = o.getWeights();
    expect(first.map((w) => w.name)).toEqual([
      'dense_1/kernel/m',
      'dense_1/kernel/v',
      'dense_1/bias/m',
      'dense_1/bias/v',
    ]);
    o.step(b, [k, bias]);
    const second = o.getWeights();
    second.forEach((w, i) => expect(w.value).toBe(first[i].value));
    expect(first[0].value.length).toBe(2);
    expect(o.iterations).toBe(2);
  });
  test('setWeights + iterations restore a run exactly', () => {
    const run = (steps: number, o = O.adam({ learningRate: 0.05 }), p = param('w', [1, -1], [0, 0])) => {
      for (let s = 0; s < steps; s++) {
        p.grad.set([Math.sin(s + 1), Math.cos(s + 1)]);
        o.step(b, [p]);
      }
      return { o, p };
    };
    const full = run(3);
    const part = run(2);
    const fresh = O.adam({ learningRate: 0.05 });
    fresh.setWeights(
      [part.p],
      part.o.getWeights().map((w) => ({ name: w.name, value: w.value.slice() })),
    );
    fresh.iterations = part.o.iterations;
    part.p.grad.set([Math.sin(3), Math.cos(3)]);
    fresh.step(b, [part.p]);
    expectClose(part.p.value, full.p.value, 15);
    expect(() => fresh.setWeights([part.p], [])).toThrow(/missing/);
    expect(() =>
      fresh.setWeights(
        [part.p],
        [
          { name: 'w/m', value: new Float64Array(1) },
          { name: 'w/v', value: new Float64Array(2) },
        ],
      ),
    ).toThrow(/has 1 values/);
  });
  test('a schedule is evaluated at `iterations` each step and visible as learningRate', () => {
    const o = O.sgd({ learningRate: O.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 }) });
    const p = param('p', [0], [1]);
    o.step(b, [p]); // lr 0.1
    expect(o.learningRate).toBeCloseTo(0.1, 15);
    o.step(b, [p]); // lr 0.05
    expect(o.learningRate).toBeCloseTo(0.05, 15);
    o.step(b, [p]); // lr 0.025
    expectClose(p.value, [-0.175], 14);
    const a = O.adam({
      learningRate: O.stepDecay({ initialLearningRate: 0.1, dropEvery: 1, factor: 0.1, stepsPerEpoch: 2 }),
    });
    const q = param('q', [0], [1]);
    a.step(b, [q]);
    a.step(b, [q]);
    a.step(b, [q]);
    expect(a.learningRate).toBeCloseTo(0.01, 15); // step 2 is in epoch 1
  });
});

describe('optimizer objects', () => {
  test.each([
    ['sgd', 'SGD'],
    ['SGD', 'SGD'],
    ['momentum', 'Momentum'],
    ['Momentum', 'Momentum'],
    ['rmsprop', 'RMSProp'],
    ['RMSProp', 'RMSProp'],
    ['adagrad', 'Adagrad'],
    ['AdaGrad', 'Adagrad'],
    ['adam', 'Adam'],
    ['ADAM', 'Adam'],
    ['adamw', 'AdamW'],
    ['AdamW', 'AdamW'],
  ])('getOptimizer(%s) → %s', (id, cls) => {
    expect(O.getOptimizer(id).className).toBe(cls);
  });
  test('default learning rates and configs', () => {
    expect(O.getOptimizer('sgd').learningRate).toBe(0.01);
    expect(O.getOptimizer('adagrad').learningRate).toBe(0.01);
    expect(O.getOptimizer('adam').learningRate).toBe(0.001);
    expect(O.getOptimizer('rmsprop').learningRate).toBe(0.001);
    expect(O.adam().getConfig()).toEqual({
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0,
    });
    expect(O.rmsprop().getConfig()).toMatchObject({ rho: 0.9, epsilon: 1e-7 });
    expect(O.adagrad().getConfig()).toMatchObject({ initialAccumulatorValue: 0.1, epsilon: 1e-7 });
    expect(O.sgd({ momentum: 0.9, clipNorm: 1, clipValue: 2 }).getConfig()).toEqual({
      learningRate: 0.01,
      momentum: 0.9,
      nesterov: false,
      weightDecay: 0,
      clipNorm: 1,
      clipValue: 2,
    });
  });
  test('an Optimizer is returned as is; unknown names throw listing the valid ones', () => {
    const o = O.adam();
    expect(O.getOptimizer(o)).toBe(o);
    expect(() => O.getOptimizer('adamax')).toThrow(
      /unknown optimizer "adamax".*'sgd'.*'momentum'.*'rmsprop'.*'adagrad'.*'adam'.*'adamw'/,
    );
  });
  test('bad hyper-parameters throw', () => {
    expect(() => O.sgd({ learningRate: -1 })).toThrow(/learningRate/);
    expect(() => O.sgd({ momentum: 1 })).toThrow(/momentum/);
    expect(() => O.adam({ beta1: 1 })).toThrow(/beta1/);
    expect(() => O.adam({ clipNorm: 0 })).toThrow(/clipNorm/);
    expect(() => O.rmsprop({ rho: -0.1 })).toThrow(/rho/);
    const o = O.adam();
    expect(() => {
      o.learningRate = NaN;
    }).toThrow(/learningRate/);
  });
});
