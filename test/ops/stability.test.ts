/**
 * Numerical stability: extreme pre-activations and logits give finite values and gradients on both
 * backends, in float32 and float64.
 */
import { Activation, ACTIVATION_NAMES, type FloatArray } from '../../src/backend/ops';
import { testBackends } from '../support/backends';

const EXTREMES = [-1e4, -1000, -100, 0, 100, 1000, 1e4];
const allFinite = (a: ArrayLike<number>) => Array.from(a).every(Number.isFinite);

describe.each(testBackends())('%s backend: numerical stability', (_name, b) => {
  for (const C of [Float32Array, Float64Array]) {
    const kind = C.name;
    test.each(ACTIVATION_NAMES.map((a) => [a]))(`${kind} activation %s at ±1e4, ±1000, ±100, 0`, (name) => {
      const act = Activation[name];
      const cols = EXTREMES.length;
      const z = C.from(EXTREMES) as FloatArray,
        y = new C(cols) as FloatArray,
        dz = new C(cols) as FloatArray;
      b.activationForward(act, 0.3, z, y, 1, cols);
      b.activationBackward(act, 0.3, z, y, C.from(EXTREMES.map(() => 1)) as FloatArray, dz, 1, cols);
      expect(allFinite(y)).toBe(true);
      expect(allFinite(dz)).toBe(true);
    });

    test(`${kind} softmax is shift-invariant: softmax([1000,1001,1002]) = softmax([0,1,2])`, () => {
      const a = new C(3) as FloatArray,
        c = new C(3) as FloatArray;
      b.activationForward(Activation.softmax, 0, C.from([1000, 1001, 1002]) as FloatArray, a, 1, 3);
      b.activationForward(Activation.softmax, 0, C.from([0, 1, 2]) as FloatArray, c, 1, 3);
      for (let i = 0; i < 3; i++) expect(a[i]).toBeCloseTo(c[i], 6);
    });

    test(`${kind} losses at extreme inputs are finite, with finite gradients`, () => {
      const n = EXTREMES.length;
      const x = () => C.from(EXTREMES) as FloatArray;
      const g = new C(n) as FloatArray;
      const onehot = C.from(EXTREMES.map((_, i) => (i === 2 ? 1 : 0))) as FloatArray;
      const half = C.from(EXTREMES.map(() => 0.5)) as FloatArray;
      const probsTarget = C.from(EXTREMES.map((_, i) => i % 2)) as FloatArray;
      const results: [string, number][] = [
        ['mse', b.meanSquaredError(x(), half, g, 1, n)],
        ['mae', b.meanAbsoluteError(x(), half, g, 1, n)],
        ['huber', b.huber(x(), half, g, 1, n, 1)],
        ['bce (probabilities outside [0,1] are clamped)', b.binaryCrossentropy(x(), probsTarget, g, 1, n)],
        ['bce from logits', b.sigmoidCrossEntropyWithLogits(x(), probsTarget, g, 1, n)],
        ['cce', b.categoricalCrossentropy(x(), onehot, g, 1, n)],
        ['softmax ce', b.softmaxCrossEntropy(x(), onehot, g, 1, n)],
        ['sparse softmax ce', b.softmaxCrossEntropySparse(x(), Int32Array.of(0), g, 1, n)],
      ];
      for (const [name, value] of results)
        expect({ name, finite: Number.isFinite(value) }).toEqual({ name, finite: true });
      expect(allFinite(g)).toBe(true);
    });

    test(`${kind} gemm with beta = 0 does not read c: NaN and Infinity in c do not propagate`, () => {
      for (const [m, n, k] of [
        [3, 4, 5],
        [70, 65, 130],
      ]) {
        const a = new C(m * k).fill(1) as FloatArray,
          bb = new C(k * n).fill(1) as FloatArray;
        const c = new C(m * n).map((_, i) => (i % 2 ? NaN : Infinity)) as FloatArray;
        b.gemm(false, false, m, n, k, 1, a, bb, 0, c);
        expect(Array.from(c).every((v) => v === k)).toBe(true);
      }
    });

    test(`${kind} softmax cross-entropy from logits [1000, 1001, 1002] equals that of [0, 1, 2]`, () => {
      const t = C.from([0, 0, 1]) as FloatArray;
      const a = b.softmaxCrossEntropy(C.from([1000, 1001, 1002]) as FloatArray, t, null, 1, 3);
      const c = b.softmaxCrossEntropy(C.from([0, 1, 2]) as FloatArray, t, null, 1, 3);
      expect(a).toBeCloseTo(c, 5);
    });
  }
});
