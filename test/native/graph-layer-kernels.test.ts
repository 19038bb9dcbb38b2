/**
 * The native kernels of the graph-model layers on the convolution thread pool: the depthwise kernels (float32
 * tiles and the float64 loop) and the transposed convolution give the same bits run after run for a thread count,
 * the same forward and input gradient for any thread count (each sample's arithmetic does not depend on the
 * split), and weight gradients within rounding across counts (summed per chunk, then in chunk order).
 */
import * as bp from '../../src';
import type { FloatArray } from '../../src/backend/ops';
import { nativeBackend } from '../../src/backend/select';

const available = !!nativeBackend().backend;
const describeNative = available ? describe : describe.skip;

function values(n: number, seed: number, F: Float32ArrayConstructor | Float64ArrayConstructor): FloatArray {
  const a = new F(n);
  let s = seed;
  for (let i = 0; i < n; i++) a[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return a;
}

/** Whether two arrays hold the same bits (jest's toEqual walks typed arrays element by element: slow). */
function sameBits(a: FloatArray[], b: FloatArray[]): boolean {
  return a.every((v, i) =>
    Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(
      Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength),
    ),
  );
}

describeNative('graph-model layer kernels on the thread pool', () => {
  const b = nativeBackend().backend!;
  afterAll(() => bp.setThreads(2));

  // 9 samples of 10×9×32, 3×3 depthwise 'same' (float32: the register tiles; float64: the loop).
  const dw = [9, 10, 9, 32, 3, 3, 32, 1, 1, 1, 1, 1, 1, 10, 9, 32] as const;
  function depthwise(threads: number, F: Float32ArrayConstructor | Float64ArrayConstructor): FloatArray[] {
    bp.setThreads(threads);
    const x = values(9 * 90 * 32, 1, F),
      w = values(9 * 32, 2, F),
      dy = values(9 * 90 * 32, 3, F);
    const z = new F(dy.length),
      dz = new F(dy.length),
      dW = new F(w.length),
      db = new F(32),
      dx = new F(x.length);
    b.conv2dForward(x, w, values(32, 4, F), z, z, ...dw, 3, 0);
    b.conv2dBackward(x, w, z, z, dy, dz, dW, db, dx, ...dw, 3, 0);
    return [z, dW, db, dx];
  }

  // 9 samples of 7×6×16 → 14×12×8, 3×3 stride 2 'same' transposed (the direct input-gradient tiles forward).
  const tr = [9, 7, 6, 16, 3, 3, 8, 2, 2, 0, 0, 1, 1, 14, 12] as const;
  function transposed(threads: number): FloatArray[] {
    bp.setThreads(threads);
    const F = Float32Array;
    const x = values(9 * 42 * 16, 5, F),
      w = values(9 * 8 * 16, 6, F),
      dy = values(9 * 168 * 8, 7, F);
    const z = new F(dy.length),
      dz = new F(dy.length),
      dW = new F(w.length),
      db = new F(8),
      dx = new F(x.length);
    b.conv2dTransposeForward(x, w, values(8, 8, F), z, z, ...tr, 3, 0);
    b.conv2dTransposeBackward(x, w, z, z, dy, dz, dW, db, dx, ...tr, 3, 0);
    return [z, dW, db, dx];
  }

  test.each([
    ['depthwise float32', () => depthwise(2, Float32Array), () => depthwise(1, Float32Array)],
    ['depthwise float64', () => depthwise(2, Float64Array), () => depthwise(1, Float64Array)],
    ['transposed float32', () => transposed(2), () => transposed(1)],
  ])('%s: the same bits for a thread count, within rounding across counts', (_name, two, one) => {
    const a = two();
    for (let i = 0; i < 4; i++) expect(sameBits(two(), a)).toBe(true);
    const c = one();
    expect(sameBits([c[0], c[3]], [a[0], a[3]])).toBe(true);
    for (const k of [1, 2]) {
      for (let i = 0; i < c[k].length; i++)
        expect(Math.abs(c[k][i] - a[k][i])).toBeLessThan(1e-4 * (1 + Math.abs(c[k][i])));
    }
  });
});
