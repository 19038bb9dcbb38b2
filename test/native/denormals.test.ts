/**
 * The native optimizer steps flush denormals to zero (native/denormals.h), scoped to the call: the
 * thread's floating-point mode is restored afterwards, so other ops keep IEEE gradual underflow.
 */
import type { Backend } from '../../src/backend/ops';
import { js } from '../support/backends';
import { describeNative, native } from './native-backend';

const FLT_MIN = 1.1754943508222875e-38;

describeNative('denormals in the native optimizer steps', () => {
  const b = native!;

  test('Adam: first moment decaying below FLT_MIN becomes 0 natively; JS keeps the denormal', () => {
    const run = (be: Backend) => {
      const w = new Float32Array([0.5, 0.5]),
        g = new Float32Array([0, 0]);
      const m = new Float32Array([2e-38, 1e-3]),
        v = new Float32Array([1e-6, 1e-6]);
      be.adamStep(w, g, m, v, 1e-3, 0.5, 0.999, 1e-7, 1, 0, false);
      return { w, m, v };
    };
    const n = run(b),
      r = run(js);
    expect(r.m[0]).toBeGreaterThan(0);
    expect(r.m[0]).toBeLessThan(FLT_MIN); // the JS reference keeps gradual underflow
    expect(n.m[0]).toBe(0);
    // Normal numbers are untouched by the mode: same results as the reference to float32 rounding.
    expect(n.m[1]).toBeCloseTo(r.m[1], 9);
    expect(Math.abs(n.w[1] - r.w[1])).toBeLessThan(1e-7);
    expect(Math.abs(n.w[0] - r.w[0])).toBeLessThan(1e-7);
  });

  test.each(['sgdStep', 'momentumStep', 'rmspropStep', 'adagradStep'] as const)(
    '%s runs with denormal state and returns finite weights',
    (op) => {
      const w = new Float32Array([1e-39, 0.25]),
        g = new Float32Array([1e-39, 0.5]),
        s = new Float32Array([1e-39, 1e-39]);
      if (op === 'sgdStep') b.sgdStep(w, g, 0.1, 0);
      else if (op === 'momentumStep') b.momentumStep(w, g, s, 0.1, 0.9, false, 0);
      else if (op === 'rmspropStep') b.rmspropStep(w, g, s, 0.1, 0.9, 1e-7, 0);
      else b.adagradStep(w, g, s, 0.1, 1e-7, 0);
      expect(Array.from(w).every(Number.isFinite)).toBe(true);
      expect(Math.abs(w[0])).toBeLessThan(FLT_MIN); // flushed or tiny, never blown up
    },
  );

  test("the caller's mode is restored: a later op still produces denormals", () => {
    b.adamStep(
      new Float32Array(1),
      new Float32Array(1),
      new Float32Array(1),
      new Float32Array(1),
      1e-3,
      0.9,
      0.999,
      1e-7,
      1,
      0,
      false,
    );
    const x = new Float32Array([2e-38]);
    b.scale(x, 0.25);
    expect(x[0]).toBeGreaterThan(0);
    expect(x[0]).toBeCloseTo(5e-39, 44);
  });
});
