/**
 * The memory-bound passes that run on the native thread pool when large (layer normalization forward and backward,
 * the dense layer's bias/activation pass, activation gradient and bias gradient, the sum of two equal vectors, as
 * the residual adds of a transformer block): their split never changes an
 * element's arithmetic, so the results are the same bits at any thread count, run after run. (The dense layer's
 * gemms are OpenBLAS's, whose last bits may depend on its thread count: the dense case has no inputs, inner = 0,
 * so that z is the bias and only the passes remain.)
 */
import * as bp from '../../src';
import { nativeBackend } from '../../src/backend/select';
import { Activation, type Backend, type FloatArray } from '../../src/backend/ops';
import { Binary, Unary } from '../../src/backend/elementwise';
import { jsReference } from '../../src/backend/select';
import { floatArray } from '../../src/backend/memory';

const native = nativeBackend().backend;
const describeNative = native ? describe : describe.skip;

// Large enough to be split (rows·cols ≥ 2¹⁵), with odd sizes: the chunks and row blocks have ragged ends.
const rows = 701,
  cols = 97,
  inner = 0;

function filled(kind: 'float32' | 'float64', n: number, seed: number): FloatArray {
  const rng = new bp.Rng(seed);
  return floatArray(kind, n).map(() => rng.uniform(-2, 2));
}

function run(b: Backend, kind: 'float32' | 'float64'): FloatArray[] {
  const x = filled(kind, rows * cols, 1),
    gamma = filled(kind, cols, 2),
    beta = filled(kind, cols, 3),
    dy = filled(kind, rows * cols, 4);
  const y = floatArray(kind, rows * cols),
    stats = floatArray(kind, rows * 2),
    dx = floatArray(kind, rows * cols),
    dGamma = floatArray(kind, cols),
    dBeta = floatArray(kind, cols);
  b.layerNormForward(x, gamma, beta, y, stats, rows, cols, 1e-5);
  b.layerNormBackward(x, gamma, stats, dy, dx, dGamma, dBeta, rows, cols);
  const xi = filled(kind, rows * inner, 5),
    w = filled(kind, inner * cols, 6),
    bias = filled(kind, cols, 7);
  const z = floatArray(kind, rows * cols),
    a = floatArray(kind, rows * cols),
    dz = floatArray(kind, rows * cols),
    dw = floatArray(kind, inner * cols),
    db = floatArray(kind, cols),
    dxi = floatArray(kind, rows * inner);
  b.denseForward(xi, w, bias, z, a, rows, inner, cols, Activation.relu, 0);
  b.denseBackward(xi, w, z, a, dy, dz, dw, db, dxi, rows, inner, cols, Activation.relu, 0);
  return [y, stats, dx, dGamma, dBeta, z, a, dz, dw, db, dxi];
}

describeNative('native pool passes', () => {
  afterAll(() => bp.setThreads(2));
  test('layerNorm and dense: the same bits at 1, 2, 3 and 8 threads (float32 and float64)', () => {
    for (const kind of ['float32', 'float64'] as const) {
      bp.setThreads(1);
      const one = run(native!, kind);
      for (const t of [2, 3, 8, 2]) {
        bp.setThreads(t);
        expect(run(native!, kind)).toEqual(one);
      }
    }
  });
  test('a large vector sum (with a chain step): the same bits at 1, 2, 3 and 8 threads, and as the JS reference', () => {
    const n = 3 * 2 ** 15 + 7;
    for (const kind of ['float32', 'float64'] as const) {
      const a = filled(kind, n, 8),
        c = filled(kind, n, 9);
      const shape = Int32Array.of(n);
      const chain = Int32Array.of(Unary.relu);
      const params = floatArray(kind, 2);
      const sum = (b: Backend) => {
        const out = floatArray(kind, n);
        b.binary(Binary.add, 1, shape, shape, shape, a, c, out, chain, params, 1);
        return out;
      };
      const ref = sum(jsReference());
      for (const t of [1, 2, 3, 8, 2]) {
        bp.setThreads(t);
        expect(sum(native!)).toEqual(ref);
      }
    }
  });
});
