/**
 * The native backend's off-main-thread ops: same results as the synchronous ops, the same argument
 * checks (thrown synchronously, before anything is queued), and the event loop runs while they work.
 */
import type { FloatArray } from '../../src/backend/ops';
import { floatArray } from '../../src/backend/memory';
import { Rng } from '../../src/random';
import { describeNative, native } from './native-backend';

/** Arrays the async ops accept: over a non-growable SharedArrayBuffer. */
const f32 = (n: number) => floatArray('float32', n);
const rand = (n: number, seed: number) => {
  const r = new Rng(seed);
  const a = f32(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(-1, 1);
  return a;
};

describeNative('native async ops', () => {
  const b = native!;
  test('denseForwardAsync / denseBackwardAsync / gemmAsync / adamStepAsync equal their synchronous ops', async () => {
    const m = 33,
      k = 47,
      n = 29;
    const x = rand(m * k, 1),
      w = rand(k * n, 2),
      bias = rand(n, 3);
    const z1 = f32(m * n),
      y1 = f32(m * n),
      z2 = f32(m * n),
      y2 = f32(m * n);
    b.denseForward(x, w, bias, z1, y1, m, k, n, 2, 0);
    await b.denseForwardAsync!(x, w, bias, z2, y2, m, k, n, 2, 0);
    expect(Array.from(y2)).toEqual(Array.from(y1));
    const dy = rand(m * n, 4);
    const outs = () => [f32(m * n), f32(k * n), f32(n), f32(m * k)] as FloatArray[];
    const [dz1, dw1, db1, dx1] = outs(),
      [dz2, dw2, db2, dx2] = outs();
    b.denseBackward(x, w, z1, y1, dy, dz1, dw1, db1, dx1, m, k, n, 2, 0);
    await b.denseBackwardAsync!(x, w, z1, y1, dy, dz2, dw2, db2, dx2, m, k, n, 2, 0);
    for (const [a, c] of [
      [dw1, dw2],
      [db1, db2],
      [dx1, dx2],
    ])
      expect(Array.from(c)).toEqual(Array.from(a));
    const c1 = f32(m * n),
      c2 = f32(m * n);
    b.gemm(false, false, m, n, k, 1, x, w, 0, c1);
    await b.gemmAsync!(false, false, m, n, k, 1, x, w, 0, c2);
    expect(Array.from(c2)).toEqual(Array.from(c1));
    const p1 = rand(100, 5),
      p2 = f32(100),
      g = rand(100, 6);
    p2.set(p1);
    const st = () => [f32(100), f32(100)];
    const [m1, v1] = st(),
      [m2, v2] = st();
    b.adamStep(p1, g, m1, v1, 0.01, 0.9, 0.999, 1e-7, 1, 0, false);
    await b.adamStepAsync!(p2, g, m2, v2, 0.01, 0.9, 0.999, 1e-7, 1, 0, false);
    expect(Array.from(p2)).toEqual(Array.from(p1));
  });

  test('bad arguments throw synchronously with the op name', () => {
    const f = new Float32Array(4);
    expect(() => b.gemmAsync!(false, false, 2, 2, 2, 1, f, f, 0, new Float32Array(3))).toThrow(
      /^gemmAsync\(\): 'c' has length 3 but m\*n = 4/,
    );
    expect(() => (b.denseForwardAsync as unknown as (...a: unknown[]) => unknown)(f)).toThrow(
      /denseForwardAsync\(\): expected 10 arguments/,
    );
    expect(() =>
      b.adamStepAsync!(
        new Float32Array(4),
        new Float32Array(4),
        new Float32Array(4),
        new Float32Array(3),
        0.1,
        0.9,
        0.999,
        1e-7,
        1,
        0,
        false,
      ),
    ).toThrow(/adamStepAsync\(\): 'v' has length 3/);
  });

  test('the event loop runs while a large gemm works off the main thread', async () => {
    const s = 1024,
      a = rand(s * s, 7),
      w = rand(s * s, 8),
      c = f32(s * s);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) await b.gemmAsync!(false, false, s, s, s, 1, a, w, 0, c);
    const ms = performance.now() - t0;
    clearInterval(timer);
    if (ms > 30) expect(ticks).toBeGreaterThan(3);
  });
});
