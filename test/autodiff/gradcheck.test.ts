/**
 * Every rule of the gradient table against central differences, in float64, on both backends: for each case of
 * grad-cases.ts, L = Σ f(x)·r for a fixed random r; bp.grads' gradient of L against (L(x + εe) − L(x − εe))/2ε for
 * every input element. A wrong rule fails here (verified by breaking one; see the closing note of issue 22).
 */
import { setBackend } from '../../src/backend/select';
import { grads, ops, Tensor } from '../../src/autodiff';
import { GRAD_RULE_NAMES } from '../../src/autodiff/grad-table';
import { Rng } from '../../src/random';
import { backendNames } from '../support/backends';
import { draw, gradCases, type GradCase } from './grad-cases';

const EPS = 1e-6;
const TOL = 1e-6;

function inputsOf(c: GradCase, seed: number): Tensor[] {
  const rng = new Rng(seed);
  return c.inputs.map((i) => new Tensor(Float64Array.from(draw(rng, i.shape, i.lo, i.hi, i.ints)), i.shape, 'float64'));
}

/** L(xs) = Σ f(xs)·r. */
function lossOf(c: GradCase, r: Tensor) {
  return (...xs: Tensor[]) => ops.sum(ops.mul(c.f(...xs), r));
}

const cases = gradCases();

test('every rule of the gradient table has a case', () => {
  const covered = new Set(cases.flatMap((c) => c.rules));
  expect(GRAD_RULE_NAMES.filter((r) => !covered.has(r))).toEqual([]);
});

describe.each(backendNames())('%s backend: gradients match central differences (float64)', (name) => {
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend('auto'));
  test.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_n, c, i) => {
    const xs = inputsOf(c, 100 + i);
    const y = c.f(...xs);
    const r = new Tensor(Float64Array.from(draw(new Rng(7 + i), [...y.shape], -1, 1)), y.shape, 'float64');
    const L = lossOf(c, r);
    const analytic = grads(L)(xs);
    if (c.expected) {
      c.expected(r, ...xs).forEach((e, k) => expect(Array.from(analytic[k].data)).toEqual(Array.from(e.data)));
      return;
    }
    xs.forEach((x, k) => {
      if (c.constant?.includes(k)) return;
      const a = analytic[k];
      expect(a.shape).toEqual(x.shape);
      let worst = 0;
      for (let j = 0; j < x.size; j++) {
        const v = x.data[j];
        x.data[j] = v + EPS;
        const lp = L(...xs).data[0];
        x.data[j] = v - EPS;
        const lm = L(...xs).data[0];
        x.data[j] = v;
        const numeric = (lp - lm) / (2 * EPS);
        const err = Math.abs(a.data[j] - numeric) / Math.max(Math.abs(a.data[j]), Math.abs(numeric), 1e-3);
        worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
      }
      expect({ input: k, worst, ok: worst <= (c.tol ?? TOL) }).toEqual({ input: k, worst, ok: true });
    });
  });
});
