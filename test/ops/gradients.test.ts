/**
 * Finite-difference gradient checks in float64, on both backends: every activation, every loss and the
 * dense op. Central differences with h = 1e-6; |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|.
 * Points are kept away from kinks (relu at 0, hardSigmoid at ±2.5, mae/huber at their corners),
 * where the derivative is one-sided.
 */
import type { Backend } from '../../src/backend/ops';
import { Activation, ACTIVATION_NAMES } from '../../src/backend/ops';
import { Rng } from '../../src/random';
import { testBackends } from '../support/backends';

const H = 1e-6;

function expectGradClose(analytic: ArrayLike<number>, numeric: ArrayLike<number>, label: string): void {
  for (let i = 0; i < numeric.length; i++) {
    const tol = 1e-5 + 1e-3 * Math.abs(numeric[i]);
    const diff = Math.abs(analytic[i] - numeric[i]);
    if (!(diff <= tol)) {
      throw new Error(`${label}[${i}]: analytic ${analytic[i]} vs numeric ${numeric[i]} (diff ${diff} > ${tol})`);
    }
  }
}

/** Numeric gradient of f at x (x is perturbed in place and restored). */
function numericGrad(x: Float64Array, f: () => number): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + H;
    const fp = f();
    x[i] = v - H;
    const fm = f();
    x[i] = v;
    g[i] = (fp - fm) / (2 * H);
  }
  return g;
}

function awayFromKinks(rng: Rng, n: number, lo: number, hi: number, kinks: number[]): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = rng.uniform(lo, hi);
    while (kinks.some((k) => Math.abs(v - k) < 0.05));
    a[i] = v;
  }
  return a;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

describe.each(testBackends())('%s backend: finite-difference gradients (float64)', (_name, b: Backend) => {
  const rows = 4,
    cols = 5,
    n = rows * cols;

  test.each(ACTIVATION_NAMES.map((a) => [a]))('activation %s', (name) => {
    const act = Activation[name];
    const alpha = name === 'leakyRelu' ? 0.2 : name === 'elu' ? 0.7 : 0;
    const rng = new Rng(31);
    const z = awayFromKinks(rng, n, -3, 3, [0, -2.5, 2.5]);
    const w = awayFromKinks(rng, n, -1, 1, []);
    const y = new Float64Array(n);
    const f = () => {
      b.activationForward(act, alpha, z, y, rows, cols);
      return dot(y, w);
    };
    const numeric = numericGrad(z, f);
    b.activationForward(act, alpha, z, y, rows, cols);
    const dz = new Float64Array(n);
    b.activationBackward(act, alpha, z, y, w, dz, rows, cols);
    expectGradClose(dz, numeric, `d${name}/dz`);
  });

  type LossCall = (p: Float64Array, t: Float64Array, g: Float64Array | null) => number;
  const rng = new Rng(7);
  const probs = () => awayFromKinks(rng, n, 0.05, 0.95, []);
  const vals = () => awayFromKinks(rng, n, -2, 2, []);
  const onehot = () => {
    const t = new Float64Array(n);
    for (let r = 0; r < rows; r++) t[r * cols + rng.int(cols)] = 1;
    return t;
  };
  const lossTable: [string, LossCall, () => Float64Array, () => Float64Array][] = [
    ['meanSquaredError', (p, t, g) => b.meanSquaredError(p, t, g, rows, cols), vals, vals],
    ['meanAbsoluteError', (p, t, g) => b.meanAbsoluteError(p, t, g, rows, cols), vals, vals],
    ['huber', (p, t, g) => b.huber(p, t, g, rows, cols, 1.0), vals, vals],
    ['binaryCrossentropy', (p, t, g) => b.binaryCrossentropy(p, t, g, rows, cols), probs, probs],
    ['sigmoidCrossEntropyWithLogits', (p, t, g) => b.sigmoidCrossEntropyWithLogits(p, t, g, rows, cols), vals, probs],
    ['categoricalCrossentropy', (p, t, g) => b.categoricalCrossentropy(p, t, g, rows, cols), probs, onehot],
    ['softmaxCrossEntropy (one-hot)', (p, t, g) => b.softmaxCrossEntropy(p, t, g, rows, cols), vals, onehot],
    ['softmaxCrossEntropy (soft labels)', (p, t, g) => b.softmaxCrossEntropy(p, t, g, rows, cols), vals, probs],
  ];
  test.each(lossTable)('loss %s', (name, call, makeP, makeT) => {
    const p = makeP(),
      t = makeT();
    if (name === 'meanAbsoluteError' || name === 'huber') {
      // keep |p - t| away from 0 and from delta = 1, where the loss has corners
      for (let i = 0; i < n; i++) {
        const e = p[i] - t[i];
        if (Math.abs(e) < 0.05 || Math.abs(Math.abs(e) - 1) < 0.05) p[i] += 0.2;
      }
    }
    const g = new Float64Array(n);
    call(p, t, g);
    expectGradClose(
      g,
      numericGrad(p, () => call(p, t, null)),
      `d${name}/dp`,
    );
  });

  test('loss softmaxCrossEntropySparse', () => {
    const x = vals();
    const labels = Int32Array.from({ length: rows }, () => rng.int(cols));
    const g = new Float64Array(n);
    b.softmaxCrossEntropySparse(x, labels, g, rows, cols);
    expectGradClose(
      g,
      numericGrad(x, () => b.softmaxCrossEntropySparse(x, labels, null, rows, cols)),
      'dsparse/dx',
    );
  });

  test.each(ACTIVATION_NAMES.map((a) => [a]))('dense with %s: dx, dw, db', (name) => {
    const act = Activation[name];
    const alpha = name === 'leakyRelu' ? 0.2 : name === 'elu' ? 0.7 : 0;
    const m = 3,
      k = 4,
      nOut = 5;
    const r = new Rng(11);
    const x = awayFromKinks(r, m * k, -1, 1, []),
      w = awayFromKinks(r, k * nOut, -1, 1, []);
    const bias = awayFromKinks(r, nOut, -0.5, 0.5, []),
      up = awayFromKinks(r, m * nOut, -1, 1, []);
    const z = new Float64Array(m * nOut),
      y = new Float64Array(m * nOut);
    const f = () => {
      b.denseForward(x, w, bias, z, y, m, k, nOut, act, alpha);
      return dot(y, up);
    };
    // Move the point off kinks: shift the bias until no pre-activation sits near 0 or ±2.5.
    for (let tries = 0; tries < 50; tries++) {
      f();
      if (!Array.from(z).some((v) => [0, -2.5, 2.5].some((kk) => Math.abs(v - kk) < 0.02))) break;
      for (let j = 0; j < nOut; j++) bias[j] += 0.037;
    }
    const nx = numericGrad(x, f),
      nw = numericGrad(w, f),
      nb = numericGrad(bias, f);
    f();
    const dz = new Float64Array(m * nOut),
      dw = new Float64Array(k * nOut),
      db = new Float64Array(nOut),
      dx = new Float64Array(m * k);
    b.denseBackward(x, w, z, y, up, dz, dw, db, dx, m, k, nOut, act, alpha);
    expectGradClose(dx, nx, 'dx');
    expectGradClose(dw, nw, 'dw');
    expectGradClose(db, nb, 'db');
  });
});
