/**
 * Agreement cases of the attention ops: each runs attentionForward (with `probs`) then attentionBackward and
 * returns every output of both. Shapes cover empty batches, heads and sequences, one key, key length ≠ query
 * length, depths that are not whole vectors, sequences of several key and query tiles (64 keys, 32 queries per
 * native tile), every mask kind alone and together, causal masks, dropout, and rows that see no key at all.
 */
import type { Backend, FloatArray } from '../../src/backend/ops';
import { Rng } from '../../src/random';
import { asKind } from '../support/backends';
import type { Kind, OpCase } from './op-cases';

function values(seed: number, n: number, lo = -1, hi = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi)));
}

/** 0/1 values with about `zeros` of them 0. */
function mask01(seed: number, n: number, zeros: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => (rng.uniform(0, 1) < zeros ? 0 : 1));
}

export interface AttentionShape {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  keyDim: number;
  valueDim: number;
}
export interface AttentionOptions {
  mask?: boolean;
  keyMask?: boolean;
  queryMask?: boolean;
  causal?: boolean;
  dropout?: number;
  scale?: number;
}

/** Forward then backward of one case; lse is returned as e^lse (the row sums: finite, 0 for a row with no key). */
export function runAttention(
  b: Backend,
  kind: Kind,
  off: boolean,
  z: AttentionShape,
  o: AttentionOptions,
  seed = 1,
): Record<string, FloatArray> {
  const { batch: B, heads: H, tq, tk, keyDim: dk, valueDim: dv } = z;
  const arr = (v: number[]) => asKind(v, kind, off);
  const q = arr(values(seed, B * tq * H * dk, -2, 2));
  const k = arr(values(seed + 1, B * tk * H * dk, -2, 2));
  const v = arr(values(seed + 2, B * tk * H * dv));
  const mask = o.mask ? arr(mask01(seed + 3, B * tq * tk, 0.3)) : null;
  const keyMask = o.keyMask ? arr(mask01(seed + 4, B * tk, 0.25)) : null;
  const queryMask = o.queryMask ? arr(mask01(seed + 5, B * tq, 0.2)) : null;
  const out = arr(new Array<number>(B * tq * H * dv).fill(0));
  const lse = arr(new Array<number>(B * H * tq).fill(0));
  const probs = arr(new Array<number>(B * H * tq * tk).fill(0));
  const scale = o.scale ?? 1 / Math.sqrt(Math.max(dk, 1));
  const causal = o.causal ?? false,
    rate = o.dropout ?? 0;
  b.attentionForward(q, k, v, mask, keyMask, queryMask, out, lse, probs, B, H, tq, tk, dk, dv, scale, causal, rate, 7);
  const dOut = arr(values(seed + 6, out.length));
  const dq = arr(new Array<number>(q.length).fill(0));
  const dk_ = arr(new Array<number>(k.length).fill(0));
  const dv_ = arr(new Array<number>(v.length).fill(0));
  b.attentionBackward(
    q,
    k,
    v,
    mask,
    keyMask,
    queryMask,
    out,
    lse,
    dOut,
    dq,
    dk_,
    dv_,
    B,
    H,
    tq,
    tk,
    dk,
    dv,
    scale,
    causal,
    rate,
    7,
  );
  return { out, rowSums: Float64Array.from(lse, Math.exp), probs, dq, dk: dk_, dv: dv_ };
}

const S = (batch: number, heads: number, tq: number, tk: number, keyDim: number, valueDim: number): AttentionShape => ({
  batch,
  heads,
  tq,
  tk,
  keyDim,
  valueDim,
});

export const ATTENTION_CASES: [string, AttentionShape, AttentionOptions][] = [
  ['empty batch', S(0, 2, 3, 4, 2, 3), {}],
  ['no heads', S(2, 0, 3, 4, 2, 3), {}],
  ['no queries', S(2, 2, 0, 4, 2, 3), {}],
  ['no keys', S(2, 2, 3, 0, 2, 3), {}],
  ['key depth 0', S(1, 2, 3, 4, 0, 3), {}],
  ['one key', S(2, 1, 3, 1, 5, 2), {}],
  ['tq < tk, odd depths', S(2, 3, 5, 7, 3, 5), {}],
  ['tq > tk', S(2, 2, 9, 4, 4, 4), { causal: true }],
  ['several tiles', S(2, 2, 70, 130, 33, 17), {}],
  ['several tiles, causal', S(1, 3, 97, 97, 16, 24), { causal: true }],
  ['causal, tq < tk', S(2, 2, 40, 75, 8, 8), { causal: true }],
  ['boolean mask', S(2, 2, 37, 70, 8, 12), { mask: true }],
  ['key mask (padding)', S(3, 2, 20, 20, 8, 8), { keyMask: true }],
  ['query mask', S(3, 2, 20, 20, 8, 8), { queryMask: true }],
  ['every mask and causal', S(2, 2, 66, 66, 12, 10), { mask: true, keyMask: true, queryMask: true, causal: true }],
  ['rows with no key (sparse mask)', S(2, 1, 9, 5, 4, 4), { mask: true, keyMask: true }],
  ['dropout', S(2, 2, 33, 65, 8, 8), { dropout: 0.3 }],
  ['dropout, causal and masks', S(2, 2, 40, 40, 16, 16), { dropout: 0.5, causal: true, keyMask: true }],
  ['large scale', S(1, 2, 12, 12, 8, 8), { scale: 3 }],
];

export function attentionOpCases(): OpCase[] {
  return ATTENTION_CASES.map(([label, shape, options]) => ({
    name: `attention ${label}`,
    compare: 'norm' as const,
    run: (b: Backend, kind: Kind, off: boolean) => ({ outputs: runAttention(b, kind, off, shape, options) }),
  }));
}
