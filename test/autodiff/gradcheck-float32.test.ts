/**
 * Every case of the gradient-check table in float32, on every backend, against the float64 JS reference: the same
 * inputs (float32 values), the same upstream r, gradients of L = Σ f(x)·r through bp.grads. Float32 calls run on
 * each backend's own float32 kernels (the wasm backend's SIMD ones), which central differences in float64 (the
 * other gradcheck) never reach. Agreement is to float32's accuracy: a wrong kernel is off by far more.
 */
import { setBackend } from '../../src/backend/select';
import { grads, ops, Tensor } from '../../src/autodiff';
import { Rng } from '../../src/random';
import { backendNames } from '../support/backends';
import { draw, gradCases, type GradCase } from './grad-cases';

/** Relative to max(|a|, |b|, 1): float32 rounding over a handful of ops, with room for sums of a few terms. */
const TOL = 2e-5;

function tensors(c: GradCase, seed: number, dtype: 'float32' | 'float64'): Tensor[] {
  const rng = new Rng(seed);
  return c.inputs.map((i) => {
    const values = draw(rng, i.shape, i.lo, i.hi, i.ints).map(Math.fround);
    return new Tensor(dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values), i.shape, dtype);
  });
}

function gradients(c: GradCase, i: number, dtype: 'float32' | 'float64'): Tensor[] {
  const xs = tensors(c, 500 + i, dtype);
  const y = c.f(...xs);
  const values = draw(new Rng(9 + i), [...y.shape], -1, 1).map(Math.fround);
  const r = new Tensor(dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values), y.shape, dtype);
  return grads((...a: Tensor[]) => ops.sum(ops.mul(c.f(...a), r)))(xs);
}

const cases = gradCases().filter((c) => !c.expected);
setBackend('js');
const reference = cases.map((c, i) => gradients(c, i, 'float64'));
setBackend('auto');

describe.each(backendNames())('%s backend: float32 gradients agree with the float64 reference', (name) => {
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend('auto'));
  test.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_n, c, i) => {
    const got = gradients(c, i, 'float32');
    got.forEach((g, k) => {
      if (c.constant?.includes(k)) return;
      const want = reference[i][k];
      expect(g.dtype).toBe('float32');
      expect(g.shape).toEqual(want.shape);
      let worst = 0;
      for (let j = 0; j < want.size; j++) {
        const a = g.data[j],
          b = want.data[j];
        const err = Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1);
        worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
      }
      expect({ input: k, worst, ok: worst <= TOL }).toEqual({ input: k, worst, ok: true });
    });
  });
});
