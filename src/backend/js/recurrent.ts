/**
 * Reference kernels of SimpleRNN and LSTM (formulas and buffer layouts in ops.ts). Per step: one gemm of
 * the previous state with the recurrent kernel into that step's block of the input projection, then one
 * pass over the gates. Backward through time writes the gate gradients over the gates and takes the weight
 * gradients as one gemm over all steps. Arguments are checked by the caller.
 */
import type { FloatArray } from '../ops';
import { columnSums, fromTimeMajor, gemmAt, toTimeMajor } from './gemm-strided';
import { activateOne, activateRange, derivativeFromOutput as dOut } from './recurrent-activations';

/** Whether sample b's step t is a real step (no mask, or a non-zero mask value). */
export const keeps = (mask: FloatArray | null, b: number, steps: number, t: number): boolean =>
  !mask || mask[b * steps + t] !== 0;

/** Adds the batch-major output gradient of processed step s into the state gradient dh. */
export function addStepGradient(
  dySeq: FloatArray,
  dh: FloatArray,
  s: number,
  batch: number,
  steps: number,
  units: number,
): void {
  for (let b = 0; b < batch; b++) {
    const from = (b * steps + s) * units,
      to = b * units;
    for (let j = 0; j < units; j++) dh[to + j] += dySeq[from + j];
  }
}

/** Copies processed step s of the time-major states into the batch-major output y. */
export function storeStep(hs: FloatArray, y: FloatArray, s: number, batch: number, steps: number, units: number): void {
  for (let b = 0; b < batch; b++) {
    const from = (s * batch + b) * units,
      to = (b * steps + s) * units;
    for (let j = 0; j < units; j++) y[to + j] = hs[from + j];
  }
}

/** dKernel = xTᵀ·dG; dRecurrent = hs[0..S-2]ᵀ·dG[1..S-1]; dBias = Σ dG (over cols columns of width `width`). */
export function weightGradients(
  xT: FloatArray,
  hs: FloatArray,
  dG: FloatArray,
  dKernel: FloatArray,
  dRecurrent: FloatArray,
  dBias: FloatArray | null,
  batch: number,
  steps: number,
  inputSize: number,
  units: number,
  width: number,
): void {
  const rows = steps * batch;
  gemmAt(true, false, inputSize, width, rows, 1, xT, 0, inputSize, dG, 0, width, 0, dKernel, 0, width);
  const prev = Math.max(0, rows - batch);
  gemmAt(true, false, units, width, prev, 1, hs, 0, units, dG, batch * width, width, 0, dRecurrent, 0, width);
  if (dBias) columnSums(dG, 0, rows, width, width, dBias);
}

/** dx (batch-major) = dG·Wᵀ, through xT (time-major) which it overwrites. */
export function inputGradient(
  dG: FloatArray,
  kernel: FloatArray,
  xT: FloatArray,
  dx: FloatArray,
  batch: number,
  steps: number,
  inputSize: number,
  width: number,
  back: boolean,
): void {
  gemmAt(false, true, steps * batch, inputSize, width, 1, dG, 0, width, kernel, 0, width, 0, xT, 0, inputSize);
  fromTimeMajor(xT, dx, batch, steps, inputSize, back);
}

export function simpleRnnForward(
  x: FloatArray,
  kernel: FloatArray,
  recurrent: FloatArray,
  bias: FloatArray | null,
  mask: FloatArray | null,
  xT: FloatArray,
  z: FloatArray,
  hs: FloatArray,
  y: FloatArray | null,
  batch: number,
  steps: number,
  inputSize: number,
  units: number,
  act: number,
  back: boolean,
): void {
  const N = units;
  toTimeMajor(x, xT, batch, steps, inputSize, back);
  gemmAt(false, false, steps * batch, N, inputSize, 1, xT, 0, inputSize, kernel, 0, N, 0, z, 0, N);
  for (let s = 0; s < steps; s++) {
    const t = back ? steps - 1 - s : s;
    const so = s * batch * N,
      po = so - batch * N;
    if (s > 0) gemmAt(false, false, batch, N, N, 1, hs, po, N, recurrent, 0, N, 1, z, so, N);
    for (let b = 0; b < batch; b++) {
      const o = so + b * N;
      if (bias) for (let j = 0; j < N; j++) z[o + j] += bias[j];
      const keep = keeps(mask, b, steps, t);
      for (let j = 0; j < N; j++) hs[o + j] = keep ? activateOne(act, z[o + j]) : s > 0 ? hs[o - batch * N + j] : 0;
    }
    if (y) storeStep(hs, y, s, batch, steps, N);
  }
}

export function simpleRnnBackward(
  xT: FloatArray,
  kernel: FloatArray,
  recurrent: FloatArray,
  mask: FloatArray | null,
  z: FloatArray,
  hs: FloatArray,
  dySeq: FloatArray | null,
  dyLast: FloatArray | null,
  dKernel: FloatArray,
  dRecurrent: FloatArray,
  dBias: FloatArray | null,
  dx: FloatArray | null,
  dh: FloatArray,
  batch: number,
  steps: number,
  inputSize: number,
  units: number,
  act: number,
  back: boolean,
): void {
  const N = units;
  if (dyLast) dh.set(dyLast);
  else dh.fill(0);
  for (let s = steps - 1; s >= 0; s--) {
    const t = back ? steps - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, batch, steps, N);
    const so = s * batch * N;
    for (let b = 0; b < batch; b++) {
      const o = so + b * N,
        d = b * N;
      if (!keeps(mask, b, steps, t)) {
        z.fill(0, o, o + N);
        continue;
      }
      for (let j = 0; j < N; j++) {
        z[o + j] = dh[d + j] * dOut(act, hs[o + j]);
        dh[d + j] = 0;
      }
    }
    if (s > 0) gemmAt(false, true, batch, N, N, 1, z, so, N, recurrent, 0, N, 1, dh, 0, N);
  }
  weightGradients(xT, hs, z, dKernel, dRecurrent, dBias, batch, steps, inputSize, N, N);
  if (dx) inputGradient(z, kernel, xT, dx, batch, steps, inputSize, N, back);
}

export function lstmForward(
  x: FloatArray,
  kernel: FloatArray,
  recurrent: FloatArray,
  bias: FloatArray | null,
  mask: FloatArray | null,
  xT: FloatArray,
  gates: FloatArray,
  cells: FloatArray,
  hs: FloatArray,
  y: FloatArray | null,
  batch: number,
  steps: number,
  inputSize: number,
  units: number,
  act: number,
  rec: number,
  back: boolean,
): void {
  const N = units,
    G = 4 * N;
  toTimeMajor(x, xT, batch, steps, inputSize, back);
  gemmAt(false, false, steps * batch, G, inputSize, 1, xT, 0, inputSize, kernel, 0, G, 0, gates, 0, G);
  for (let s = 0; s < steps; s++) {
    const t = back ? steps - 1 - s : s;
    const go = s * batch * G,
      so = s * batch * N,
      po = so - batch * N;
    if (s > 0) gemmAt(false, false, batch, G, N, 1, hs, po, N, recurrent, 0, G, 1, gates, go, G);
    for (let b = 0; b < batch; b++) {
      const r = go + b * G,
        o = so + b * N,
        p = po + b * N;
      if (bias) for (let j = 0; j < G; j++) gates[r + j] += bias[j];
      activateRange(rec, gates, r, 2 * N);
      activateRange(act, gates, r + 2 * N, N);
      activateRange(rec, gates, r + 3 * N, N);
      const keep = keeps(mask, b, steps, t);
      for (let j = 0; j < N; j++) {
        const cp = s > 0 ? cells[p + j] : 0;
        if (keep) {
          const c = gates[r + N + j] * cp + gates[r + j] * gates[r + 2 * N + j];
          cells[o + j] = c;
          hs[o + j] = gates[r + 3 * N + j] * activateOne(act, cells[o + j]);
        } else {
          cells[o + j] = cp;
          hs[o + j] = s > 0 ? hs[p + j] : 0;
        }
      }
    }
    if (y) storeStep(hs, y, s, batch, steps, N);
  }
}

export function lstmBackward(
  xT: FloatArray,
  kernel: FloatArray,
  recurrent: FloatArray,
  mask: FloatArray | null,
  gates: FloatArray,
  cells: FloatArray,
  hs: FloatArray,
  dySeq: FloatArray | null,
  dyLast: FloatArray | null,
  dKernel: FloatArray,
  dRecurrent: FloatArray,
  dBias: FloatArray | null,
  dx: FloatArray | null,
  dh: FloatArray,
  dc: FloatArray,
  batch: number,
  steps: number,
  inputSize: number,
  units: number,
  act: number,
  rec: number,
  back: boolean,
): void {
  const N = units,
    G = 4 * N;
  if (dyLast) dh.set(dyLast);
  else dh.fill(0);
  dc.fill(0);
  for (let s = steps - 1; s >= 0; s--) {
    const t = back ? steps - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, batch, steps, N);
    const go = s * batch * G,
      so = s * batch * N;
    for (let b = 0; b < batch; b++) {
      const r = go + b * G,
        o = so + b * N,
        d = b * N;
      if (!keeps(mask, b, steps, t)) {
        gates.fill(0, r, r + G);
        continue;
      }
      for (let j = 0; j < N; j++) {
        const i = gates[r + j],
          f = gates[r + N + j],
          g = gates[r + 2 * N + j],
          og = gates[r + 3 * N + j];
        const cp = s > 0 ? cells[o - batch * N + j] : 0;
        const tc = activateOne(act, cells[o + j]);
        const dhv = dh[d + j];
        const dcv = dc[d + j] + dhv * og * dOut(act, tc);
        gates[r + j] = dcv * g * dOut(rec, i);
        gates[r + N + j] = dcv * cp * dOut(rec, f);
        gates[r + 2 * N + j] = dcv * i * dOut(act, g);
        gates[r + 3 * N + j] = dhv * tc * dOut(rec, og);
        dc[d + j] = dcv * f;
        dh[d + j] = 0;
      }
    }
    if (s > 0) gemmAt(false, true, batch, N, G, 1, gates, go, G, recurrent, 0, G, 1, dh, 0, N);
  }
  weightGradients(xT, hs, gates, dKernel, dRecurrent, dBias, batch, steps, inputSize, N, G);
  if (dx) inputGradient(gates, kernel, xT, dx, batch, steps, inputSize, G, back);
}
