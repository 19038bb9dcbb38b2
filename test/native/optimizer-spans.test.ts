/**
 * Large optimizer updates run in fixed spans on the thread pool: every weight gets the same arithmetic with
 * one thread or two (bit for bit), so a resumed or re-run training does not depend on the thread count.
 * Agreement with the JS reference at these sizes is in test/ops (op-cases: n = 70001).
 */
import { Rng } from '../../src';
import { describeNative, native } from './native-backend';

describeNative('optimizer updates over several spans', () => {
  const n = 3 * 32768 + 17;
  const init = (seed: number, lo = -1) => {
    const rng = new Rng(seed);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, 1);
    return a;
  };
  const run = (threads: number) => {
    native!.setThreads(threads);
    const w = init(1),
      g = init(2),
      m = init(3),
      v = init(4, 0),
      vel = init(5),
      w2 = init(1);
    for (let t = 1; t <= 3; t++) {
      native!.adamStep(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7, t, 0.01, true);
      native!.momentumStep(w2, g, vel, 0.1, 0.9, true, 0.001);
    }
    return [w, m, v, w2, vel];
  };
  afterAll(() => native!.setThreads(2));

  test('the same bits with 1 and 2 threads', () => {
    const one = run(1),
      two = run(2);
    one.forEach((a, i) => expect(Buffer.from(two[i].buffer).equals(Buffer.from(a.buffer))).toBe(true));
    expect(one[0].some((x, i) => x !== init(1)[i])).toBe(true); // the update did something
  });
});
