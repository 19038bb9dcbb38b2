/**
 * The op agreement suite: every op, on every backend, in float32 and float64, over empty, single,
 * odd-sized and offset-view inputs, against the float64 JS reference.
 */
import { guardsIntact, elementwiseRatio, js, normRelError, testBackends } from '../support/backends';
import { AGREEMENT_TOL as TOL, opCases, type Kind, type OpRun } from './op-cases';

const cases = opCases();
const reference = new Map<string, OpRun>(cases.map((c) => [c.name, c.run(js, 'float64', false)]));

describe.each(testBackends())('%s backend agrees with the float64 reference', (_name, backend) => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const ref = reference.get(c.name)!;
    for (const kind of ['float32', 'float64'] as Kind[]) {
      for (const offset of [false, true]) {
        const got = c.run(backend, kind, offset);
        const tol = TOL[kind];
        const where = `${kind}${offset ? ' offset view' : ''}`;
        for (const [key, refArr] of Object.entries(ref.outputs)) {
          const arr = got.outputs[key];
          expect(arr.length).toBe(refArr.length);
          if (offset)
            expect({ where, key, guardsIntact: guardsIntact(arr) }).toEqual({ where, key, guardsIntact: true });
          const err =
            c.compare === 'norm'
              ? normRelError(arr, refArr) / tol.norm
              : elementwiseRatio(arr, refArr, tol.rtol, tol.atol);
          // Reported as a ratio to the tolerance: ≤ 1 passes.
          expect({ where, key, withinTolerance: err <= 1, err }).toMatchObject({ where, key, withinTolerance: true });
        }
        if (ref.value !== undefined) {
          const err = elementwiseRatio([got.value!], [ref.value], tol.rtol, tol.atol);
          expect({ where, value: got.value, ref: ref.value, ok: err <= 1 }).toMatchObject({ ok: true });
        }
      }
    }
  });
});
