/**
 * Finite-difference gradient checks of the attention ops in float64, on both backends: the gradients
 * attentionBackward writes for q, k and v against central differences of L = Σ out·w, with masks on and off,
 * causal or not, key length ≠ query length, several native tiles, and dropout (its keep pattern is a function of
 * the seed, so L stays a smooth function of the inputs).
 */
import type { Backend } from '../../src/backend/ops';
import { Rng } from '../../src/random';
import { randArray, testBackends } from '../support/backends';

const H_STEP = 1e-6;

interface Case {
  label: string;
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  dk: number;
  dv: number;
  causal?: boolean;
  masks?: boolean;
  dropout?: number;
}

const CASES: Case[] = [
  { label: 'plain', batch: 2, heads: 2, tq: 3, tk: 3, dk: 4, dv: 3 },
  { label: 'tk ≠ tq, masks', batch: 2, heads: 2, tq: 3, tk: 5, dk: 3, dv: 2, masks: true },
  { label: 'causal', batch: 1, heads: 2, tq: 4, tk: 4, dk: 3, dv: 3, causal: true },
  { label: 'causal, masks, tq > tk', batch: 2, heads: 1, tq: 5, tk: 3, dk: 2, dv: 4, causal: true, masks: true },
  { label: 'dropout', batch: 1, heads: 2, tq: 4, tk: 5, dk: 3, dv: 2, dropout: 0.4 },
  // More keys than a native tile (64) and queries than a query tile (32), few sampled coordinates.
  {
    label: 'several tiles, causal, masks',
    batch: 1,
    heads: 1,
    tq: 40,
    tk: 70,
    dk: 2,
    dv: 2,
    causal: true,
    masks: true,
  },
];

function check(b: Backend, c: Case): void {
  const rng = new Rng(11);
  const { batch: B, heads: H, tq, tk, dk, dv } = c;
  const q = randArray(rng, B * tq * H * dk, -1.5, 1.5);
  const k = randArray(rng, B * tk * H * dk, -1.5, 1.5);
  const v = randArray(rng, B * tk * H * dv);
  const w = randArray(rng, B * tq * H * dv);
  const zeroSome = (n: number, p: number) => Float64Array.from({ length: n }, () => (rng.uniform(0, 1) < p ? 0 : 1));
  const mask = c.masks ? zeroSome(B * tq * tk, 0.25) : null;
  const keyMask = c.masks ? zeroSome(B * tk, 0.2) : null;
  const queryMask = c.masks ? zeroSome(B * tq, 0.2) : null;
  const out = new Float64Array(w.length),
    lse = new Float64Array(B * H * tq);
  const scale = 0.8,
    causal = c.causal ?? false,
    rate = c.dropout ?? 0;
  const loss = () => {
    b.attentionForward(q, k, v, mask, keyMask, queryMask, out, lse, null, B, H, tq, tk, dk, dv, scale, causal, rate, 3);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * w[i];
    return s;
  };
  loss();
  const dq = new Float64Array(q.length),
    dkk = new Float64Array(k.length),
    dvv = new Float64Array(v.length);
  b.attentionBackward(
    q,
    k,
    v,
    mask,
    keyMask,
    queryMask,
    out,
    lse,
    w,
    dq,
    dkk,
    dvv,
    B,
    H,
    tq,
    tk,
    dk,
    dv,
    scale,
    causal,
    rate,
    3,
  );
  for (const [name, x, g] of [
    ['q', q, dq],
    ['k', k, dkk],
    ['v', v, dvv],
  ] as const) {
    // Every coordinate of small cases; an even sample of large ones.
    const step = Math.max(1, Math.floor(x.length / 60));
    for (let i = 0; i < x.length; i += step) {
      const x0 = x[i];
      x[i] = x0 + H_STEP;
      const fp = loss();
      x[i] = x0 - H_STEP;
      const fm = loss();
      x[i] = x0;
      const numeric = (fp - fm) / (2 * H_STEP);
      const tol = 1e-6 + 1e-5 * Math.abs(numeric);
      if (!(Math.abs(g[i] - numeric) <= tol)) {
        throw new Error(`${c.label}: d${name}[${i}] analytic ${g[i]} vs numeric ${numeric}`);
      }
    }
  }
}

describe.each(testBackends())('%s backend: attention gradients (float64)', (_name, b) => {
  test.each(CASES.map((c) => [c.label, c] as const))('%s', (_l, c) => check(b, c));
});
