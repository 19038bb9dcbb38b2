/** Regularizers: penalty and gradient (Keras definitions) on both backends, defaults, lookup. */
import * as R from '../../src/training/regularizers';
import { testBackends, expectClose } from '../support/backends';

const BACKENDS = testBackends();

describe.each(BACKENDS)('regularizers on %s', (_name, b) => {
  test('l1l2: penalty l1·Σ|w| + l2·Σw², gradient added to grad: l1·sign(w) + 2·l2·w', () => {
    const w = Float64Array.from([1, -2, 0.5]);
    const g = Float64Array.from([0.1, 0.1, 0.1]);
    const pen = R.l1l2({ l1: 0.1, l2: 0.01 }).apply(b, w, g);
    expect(pen).toBeCloseTo(0.1 * 3.5 + 0.01 * 5.25, 12);
    expectClose(g, [0.1 + 0.1 + 0.02, 0.1 - 0.1 - 0.04, 0.1 + 0.1 + 0.01], 12);
    expectClose(w, [1, -2, 0.5], 15); // weights untouched
  });
  test('l1 and l2 alone, float32', () => {
    const w = Float32Array.from([2, -1]);
    const g1 = new Float32Array(2),
      g2 = new Float32Array(2);
    expect(R.l1({ l1: 0.5 }).apply(b, w, g1)).toBeCloseTo(1.5, 6);
    expectClose(g1, [0.5, -0.5], 6);
    expect(R.l2({ l2: 0.5 }).apply(b, w, g2)).toBeCloseTo(2.5, 6);
    expectClose(g2, [2, -1], 6);
  });
});

describe('regularizer objects and lookup', () => {
  test('defaults 0.01, className L1L2, TF.js config', () => {
    expect(R.l1()).toMatchObject({ className: 'L1L2', l1: 0.01, l2: 0 });
    expect(R.l2()).toMatchObject({ className: 'L1L2', l1: 0, l2: 0.01 });
    expect(R.l1l2()).toMatchObject({ className: 'L1L2', l1: 0.01, l2: 0.01 });
    expect(R.l1l2({ l1: 1e-5, l2: 1e-4 }).getConfig()).toEqual({ l1: 1e-5, l2: 1e-4 });
  });
  test('getRegularizer by name, class object, or Regularizer', () => {
    expect(R.getRegularizer('l1')).toMatchObject({ l1: 0.01, l2: 0 });
    expect(R.getRegularizer('L2')).toMatchObject({ l1: 0, l2: 0.01 });
    expect(R.getRegularizer('l1l2')).toMatchObject({ l1: 0.01, l2: 0.01 });
    expect(R.getRegularizer('l1_l2')).toMatchObject({ l1: 0.01, l2: 0.01 });
    expect(R.getRegularizer({ className: 'L1L2', config: { l2: 1e-4 } })).toMatchObject({ l1: 0, l2: 1e-4 });
    expect(R.getRegularizer({ className: 'L1', config: { l1: 0.2 } })).toMatchObject({ l1: 0.2, l2: 0 });
    const r = R.l2();
    expect(R.getRegularizer(r)).toBe(r);
  });
  test('unknown names and bad strengths throw', () => {
    expect(() => R.getRegularizer('l3')).toThrow(/unknown regularizer "l3".*l1l2/);
    expect(() => R.getRegularizer({ className: 'Dropout' })).toThrow(/unknown regularizer/);
    expect(() => R.l1({ l1: -1 })).toThrow(/'l1' must be/);
    expect(() => R.l2({ l2: NaN })).toThrow(/'l2' must be/);
  });
});
