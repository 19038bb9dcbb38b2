/**
 * Reference kernels of the GRU, both variants (formulas and buffer layouts in ops.ts). With resetAfter false
 * (TF.js) a step takes two gemms — the z, r columns of the recurrent kernel with h, then its h columns with
 * r·h; with resetAfter true (Keras) one gemm of h with the whole recurrent kernel into `scratch`.
 * Arguments are checked by the caller.
 */
import type { FloatArray } from '../ops';
import { columnSums, gemmAt, toTimeMajor } from './gemm-strided';
import { activateRange, derivativeFromOutput as dOut } from './recurrent-activations';
import { addStepGradient, inputGradient, keeps, storeStep } from './recurrent';

export function gruForward(
  x: FloatArray,
  kernel: FloatArray,
  recurrent: FloatArray,
  bias: FloatArray | null,
  recurrentBias: FloatArray | null,
  mask: FloatArray | null,
  xT: FloatArray,
  gates: FloatArray,
  rh: FloatArray,
  hs: FloatArray,
  scratch: FloatArray,
  y: FloatArray | null,
  batch: number,
  steps: number,
  inputSize: number,
  units: number,
  act: number,
  rec: number,
  resetAfter: boolean,
  back: boolean,
): void {
  const N = units,
    G = 3 * N;
  toTimeMajor(x, xT, batch, steps, inputSize, back);
  gemmAt(false, false, steps * batch, G, inputSize, 1, xT, 0, inputSize, kernel, 0, G, 0, gates, 0, G);
  for (let s = 0; s < steps; s++) {
    const t = back ? steps - 1 - s : s;
    const go = s * batch * G,
      so = s * batch * N,
      po = so - batch * N;
    if (resetAfter) {
      // scratch = h_{s-1}·U + rb: all three blocks of the recurrent part.
      if (s > 0) gemmAt(false, false, batch, G, N, 1, hs, po, N, recurrent, 0, G, 0, scratch, 0, G);
      else scratch.fill(0);
      if (recurrentBias)
        for (let b = 0; b < batch; b++) for (let j = 0; j < G; j++) scratch[b * G + j] += recurrentBias[j];
    } else if (s > 0) {
      gemmAt(false, false, batch, 2 * N, N, 1, hs, po, N, recurrent, 0, G, 1, gates, go, G);
    }
    for (let b = 0; b < batch; b++) {
      const r = go + b * G,
        o = so + b * N;
      if (bias) for (let j = 0; j < G; j++) gates[r + j] += bias[j];
      if (resetAfter) for (let j = 0; j < 2 * N; j++) gates[r + j] += scratch[b * G + j];
      activateRange(rec, gates, r, 2 * N);
      for (let j = 0; j < N; j++) {
        if (resetAfter) {
          rh[o + j] = scratch[b * G + 2 * N + j];
          gates[r + 2 * N + j] += gates[r + N + j] * rh[o + j];
        } else rh[o + j] = s > 0 ? gates[r + N + j] * hs[po + b * N + j] : 0;
      }
    }
    if (!resetAfter && s > 0)
      gemmAt(false, false, batch, N, N, 1, rh, so, N, recurrent, 2 * N, G, 1, gates, go + 2 * N, G);
    for (let b = 0; b < batch; b++) {
      const r = go + b * G,
        o = so + b * N,
        p = po + b * N;
      activateRange(act, gates, r + 2 * N, N);
      const keep = keeps(mask, b, steps, t);
      for (let j = 0; j < N; j++) {
        const hp = s > 0 ? hs[p + j] : 0;
        const z = gates[r + j];
        hs[o + j] = keep ? z * hp + (1 - z) * gates[r + 2 * N + j] : hp;
      }
    }
    if (y) storeStep(hs, y, s, batch, steps, N);
  }
}

export function gruBackward(
  xT: FloatArray,
  kernel: FloatArray,
  recurrent: FloatArray,
  mask: FloatArray | null,
  gates: FloatArray,
  rh: FloatArray,
  hs: FloatArray,
  dySeq: FloatArray | null,
  dyLast: FloatArray | null,
  dKernel: FloatArray,
  dRecurrent: FloatArray,
  dBias: FloatArray | null,
  dRecurrentBias: FloatArray | null,
  dx: FloatArray | null,
  dh: FloatArray,
  scratch: FloatArray,
  batch: number,
  steps: number,
  inputSize: number,
  units: number,
  act: number,
  rec: number,
  resetAfter: boolean,
  back: boolean,
): void {
  const N = units,
    G = 3 * N;
  if (dyLast) dh.set(dyLast);
  else dh.fill(0);
  for (let s = steps - 1; s >= 0; s--) {
    const t = back ? steps - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, batch, steps, N);
    const go = s * batch * G,
      so = s * batch * N,
      po = so - batch * N;
    for (let b = 0; b < batch; b++) {
      const r = go + b * G,
        o = so + b * N,
        d = b * N;
      if (!keeps(mask, b, steps, t)) {
        gates.fill(0, r, r + G);
        if (resetAfter) {
          scratch.fill(0, b * G, b * G + G);
          rh.fill(0, o, o + N);
        }
        continue;
      }
      for (let j = 0; j < N; j++) {
        const z = gates[r + j],
          hh = gates[r + 2 * N + j];
        const hp = s > 0 ? hs[po + b * N + j] : 0;
        const dhv = dh[d + j];
        const dz = dhv * (hp - hh) * dOut(rec, z);
        const dah = dhv * (1 - z) * dOut(act, hh);
        gates[r + j] = dz;
        gates[r + 2 * N + j] = dah;
        dh[d + j] = dhv * z;
        if (resetAfter) {
          const rv = gates[r + N + j];
          const dr = dah * rh[o + j] * dOut(rec, rv);
          const dhu = dah * rv;
          gates[r + N + j] = dr;
          scratch[b * G + j] = dz;
          scratch[b * G + N + j] = dr;
          scratch[b * G + 2 * N + j] = dhu;
          rh[o + j] = dhu;
        }
      }
    }
    if (resetAfter) {
      if (s > 0) gemmAt(false, true, batch, N, G, 1, scratch, 0, G, recurrent, 0, G, 1, dh, 0, N);
      continue;
    }
    // d(r·h) = dA_h·U_hᵀ, then dr and the r·h part of dh; then the z, r columns' part of dh.
    gemmAt(false, true, batch, N, N, 1, gates, go + 2 * N, G, recurrent, 2 * N, G, 0, scratch, 0, N);
    for (let b = 0; b < batch; b++) {
      if (!keeps(mask, b, steps, t)) continue;
      const r = go + b * G,
        d = b * N;
      for (let j = 0; j < N; j++) {
        const rv = gates[r + N + j],
          drh = scratch[d + j];
        const hp = s > 0 ? hs[po + d + j] : 0;
        gates[r + N + j] = drh * hp * dOut(rec, rv);
        dh[d + j] += drh * rv;
      }
    }
    if (s > 0) gemmAt(false, true, batch, N, 2 * N, 1, gates, go, G, recurrent, 0, G, 1, dh, 0, N);
  }
  const rows = steps * batch,
    prev = Math.max(0, rows - batch);
  gemmAt(true, false, inputSize, G, rows, 1, xT, 0, inputSize, gates, 0, G, 0, dKernel, 0, G);
  gemmAt(true, false, N, 2 * N, prev, 1, hs, 0, N, gates, batch * G, G, 0, dRecurrent, 0, G);
  if (resetAfter) gemmAt(true, false, N, N, prev, 1, hs, 0, N, rh, batch * N, N, 0, dRecurrent, 2 * N, G);
  else gemmAt(true, false, N, N, rows, 1, rh, 0, N, gates, 2 * N, G, 0, dRecurrent, 2 * N, G);
  if (dBias) columnSums(gates, 0, rows, G, G, dBias);
  if (dRecurrentBias) {
    columnSums(gates, 0, rows, 2 * N, G, dRecurrentBias);
    columnSums(rh, 0, rows, N, N, dRecurrentBias, 2 * N);
  }
  if (dx) inputGradient(gates, kernel, xT, dx, batch, steps, inputSize, G, back);
}
