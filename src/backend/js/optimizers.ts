/** Fused optimizer steps, one pass each (formulas in ops.ts). Unchecked: the backend validates first. */
import type { FloatArray } from '../ops';

export function sgd(w: FloatArray, g: FloatArray, lr: number, wd: number): void {
  const n = w.length;
  if (wd === 0) for (let i = 0; i < n; i++) w[i] -= lr * g[i];
  else for (let i = 0; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

export function momentum(
  w: FloatArray,
  g: FloatArray,
  v: FloatArray,
  lr: number,
  mu: number,
  nesterov: boolean,
  wd: number,
): void {
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i] + wd * w[i];
    const vi = mu * v[i] - lr * gi;
    v[i] = vi;
    w[i] += nesterov ? mu * vi - lr * gi : vi;
  }
}

export function rmsprop(
  w: FloatArray,
  g: FloatArray,
  ms: FloatArray,
  lr: number,
  rho: number,
  eps: number,
  wd: number,
): void {
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i] + wd * w[i];
    const m = rho * ms[i] + (1 - rho) * gi * gi;
    ms[i] = m;
    w[i] -= (lr * gi) / Math.sqrt(m + eps);
  }
}

export function adagrad(w: FloatArray, g: FloatArray, acc: FloatArray, lr: number, eps: number, wd: number): void {
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i] + wd * w[i];
    const a = acc[i] + gi * gi;
    acc[i] = a;
    w[i] -= (lr * gi) / Math.sqrt(a + eps);
  }
}

export function adam(
  w: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  t: number,
  wd: number,
  decoupled: boolean,
): void {
  const n = w.length;
  const c1 = 1 / (1 - Math.pow(b1, t)),
    c2 = 1 / (1 - Math.pow(b2, t));
  const fold = decoupled ? 0 : wd;
  const shrink = decoupled ? 1 - lr * wd : 1;
  for (let i = 0; i < n; i++) {
    const wi = w[i] * shrink;
    const gi = g[i] + fold * w[i];
    const mi = b1 * m[i] + (1 - b1) * gi;
    const vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - (lr * mi * c1) / (Math.sqrt(vi * c2) + eps);
  }
}
