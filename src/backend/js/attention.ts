/**
 * The attention ops of the JS backend (formulas in ops.ts), the reference the native kernels are checked
 * against. One query row at a time: its scores over the keys live in a scratch row of tk float64 values, so
 * memory stays O(tk) however long the sequences are (no tq×tk matrix, except `probs` when asked for). Backward
 * recomputes each row's probabilities from the saved log-sum-exp. Every call is checked from the op table.
 */
import type { Backend, FloatArray } from '../ops';
import { scratch, SLOT_ATTN_ACC, SLOT_ATTN_DK, SLOT_ATTN_DV, SLOT_ATTN_ROW } from './scratch';
import { checkTableCall } from './table-checks';

type AttentionOps = Pick<Backend, 'attentionForward' | 'attentionBackward'>;

/** murmur3's 32-bit finalizer: a bijection of uint32 that mixes every input bit into every output bit. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The dropout stream (native/attention.h computes the same bits): a row key from (seed, b·heads + h, i), then
 * for key j `bits = mix32(rowKey ^ j·0x9E3779B1)`, all in uint32 arithmetic; the pair is kept when bits ≥
 * the threshold ⌊rate·2³²⌋.
 */
export function dropoutRowKey(seed: number, bh: number, i: number): number {
  return mix32((mix32(mix32(seed ^ 0x2545f491) ^ bh) + i) >>> 0);
}
export function dropoutBits(rowKey: number, j: number): number {
  return mix32((rowKey ^ Math.imul(j, 0x9e3779b1)) >>> 0);
}
export function dropoutThreshold(rate: number): number {
  return Math.floor(rate * 4294967296);
}

function checkAttention(op: 'attentionForward' | 'attentionBackward', args: ArrayLike<unknown>): void {
  checkTableCall(op, args);
  const n = args.length;
  const scale = args[n - 4] as number,
    rate = args[n - 2] as number;
  if (!Number.isFinite(scale)) throw new RangeError(`${op}(): 'scale' must be a finite number, got ${scale}`);
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`${op}(): 'dropout' must be in [0, 1), got ${rate}`);
}

/** Whether key j is allowed for query i of sample b (the masks of ops.ts; queryMask is handled per row). */
function allowed(
  mask: FloatArray | null,
  keyMask: FloatArray | null,
  causal: boolean,
  b: number,
  i: number,
  j: number,
  tq: number,
  tk: number,
): boolean {
  if (causal && j > i) return false;
  if (keyMask && keyMask[b * tk + j] === 0) return false;
  return !mask || mask[(b * tq + i) * tk + j] !== 0;
}

/**
 * The scores of query row (b, h, i) into s[0..tk): scale·q·k for allowed keys, −∞ for the others; returns
 * their maximum (−∞ when no key is allowed).
 */
function scoreRow(
  s: Float64Array,
  q: FloatArray,
  k: FloatArray,
  mask: FloatArray | null,
  keyMask: FloatArray | null,
  causal: boolean,
  b: number,
  h: number,
  i: number,
  H: number,
  tq: number,
  tk: number,
  dk: number,
  scale: number,
): number {
  const qo = ((b * tq + i) * H + h) * dk;
  let max = -Infinity;
  for (let j = 0; j < tk; j++) {
    if (!allowed(mask, keyMask, causal, b, i, j, tq, tk)) {
      s[j] = -Infinity;
      continue;
    }
    const ko = ((b * tk + j) * H + h) * dk;
    let dot = 0;
    for (let c = 0; c < dk; c++) dot += q[qo + c] * k[ko + c];
    s[j] = scale * dot;
    // Math.max lets a NaN score through to the outputs.
    max = Math.max(max, s[j]);
  }
  return max;
}

type Dims = [number, number, number, number, number, number, number, boolean, number, number];

function attentionForward(
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  mask: FloatArray | null,
  keyMask: FloatArray | null,
  queryMask: FloatArray | null,
  out: FloatArray,
  lse: FloatArray,
  probs: FloatArray | null,
  ...dims: Dims
): void {
  const [B, H, tq, tk, dk, dv, scale, causal, rate, seed] = dims;
  const s = scratch(SLOT_ATTN_ROW, tk);
  const acc = scratch(SLOT_ATTN_ACC, dv);
  const thr = dropoutThreshold(rate);
  const keepScale = 1 / (1 - rate);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      for (let i = 0; i < tq; i++) {
        const oo = ((b * tq + i) * H + h) * dv;
        const po = (bh * tq + i) * tk;
        const rowOn = !queryMask || queryMask[b * tq + i] !== 0;
        const max = rowOn ? scoreRow(s, q, k, mask, keyMask, causal, b, h, i, H, tq, tk, dk, scale) : -Infinity;
        if (max === -Infinity) {
          out.fill(0, oo, oo + dv);
          lse[bh * tq + i] = -Infinity;
          if (probs) probs.fill(0, po, po + tk);
          continue;
        }
        let sum = 0;
        for (let j = 0; j < tk; j++) {
          const e = Math.exp(s[j] - max);
          s[j] = e;
          sum += e;
        }
        acc.fill(0, 0, dv);
        const rowKey = thr > 0 ? dropoutRowKey(seed, bh, i) : 0;
        for (let j = 0; j < tk; j++) {
          const p = s[j] / sum;
          if (probs) probs[po + j] = p;
          if (p === 0 || (thr > 0 && dropoutBits(rowKey, j) < thr)) continue;
          const w = thr > 0 ? p * keepScale : p;
          const vo = ((b * tk + j) * H + h) * dv;
          for (let c = 0; c < dv; c++) acc[c] += w * v[vo + c];
        }
        for (let c = 0; c < dv; c++) out[oo + c] = acc[c];
        lse[bh * tq + i] = max + Math.log(sum);
      }
    }
}

function attentionBackward(
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  mask: FloatArray | null,
  keyMask: FloatArray | null,
  queryMask: FloatArray | null,
  out: FloatArray,
  lse: FloatArray,
  dOut: FloatArray,
  dq: FloatArray,
  dk: FloatArray,
  dv: FloatArray,
  ...dims: Dims
): void {
  const [B, H, tq, tk, kd, vd, scale, causal, rate, seed] = dims;
  const s = scratch(SLOT_ATTN_ROW, tk);
  const gq = scratch(SLOT_ATTN_ACC, kd);
  const gk = scratch(SLOT_ATTN_DK, tk * kd);
  const gv = scratch(SLOT_ATTN_DV, tk * vd);
  const thr = dropoutThreshold(rate);
  const keepScale = 1 / (1 - rate);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      gk.fill(0, 0, tk * kd);
      gv.fill(0, 0, tk * vd);
      for (let i = 0; i < tq; i++) {
        const qo = ((b * tq + i) * H + h) * kd;
        const oo = ((b * tq + i) * H + h) * vd;
        const l = lse[bh * tq + i];
        gq.fill(0, 0, kd);
        if ((!queryMask || queryMask[b * tq + i] !== 0) && l !== -Infinity) {
          scoreRow(s, q, k, mask, keyMask, causal, b, h, i, H, tq, tk, kd, scale);
          let D = 0;
          for (let c = 0; c < vd; c++) D += dOut[oo + c] * out[oo + c];
          const rowKey = thr > 0 ? dropoutRowKey(seed, bh, i) : 0;
          for (let j = 0; j < tk; j++) {
            if (s[j] === -Infinity) continue;
            const p = Math.exp(s[j] - l);
            const keep = thr > 0 ? (dropoutBits(rowKey, j) < thr ? 0 : keepScale) : 1;
            const vo = ((b * tk + j) * H + h) * vd;
            const ko = ((b * tk + j) * H + h) * kd;
            let dp = 0;
            for (let c = 0; c < vd; c++) dp += dOut[oo + c] * v[vo + c];
            const pk = p * keep;
            for (let c = 0; c < vd; c++) gv[j * vd + c] += pk * dOut[oo + c];
            const ds = p * (keep * dp - D) * scale;
            for (let c = 0; c < kd; c++) {
              gq[c] += ds * k[ko + c];
              gk[j * kd + c] += ds * q[qo + c];
            }
          }
        }
        for (let c = 0; c < kd; c++) dq[qo + c] = gq[c];
      }
      for (let j = 0; j < tk; j++) {
        const ko = ((b * tk + j) * H + h) * kd;
        const vo = ((b * tk + j) * H + h) * vd;
        for (let c = 0; c < kd; c++) dk[ko + c] = gk[j * kd + c];
        for (let c = 0; c < vd; c++) dv[vo + c] = gv[j * vd + c];
      }
    }
}

export function createAttentionOps(): AttentionOps {
  return {
    attentionForward(...args) {
      checkAttention('attentionForward', args);
      attentionForward(...args);
    },
    attentionBackward(...args) {
      checkAttention('attentionBackward', args);
      attentionBackward(...args);
    },
  };
}
