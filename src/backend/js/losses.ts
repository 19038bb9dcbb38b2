/** Fused loss + gradient kernels (formulas in ops.ts). Unchecked: the backend validates first. */
import type { FloatArray } from '../ops';
import { sigmoid } from './activations';

const EPS = 1e-7;

export function mse(p: FloatArray, t: FloatArray, g: FloatArray | null, len: number): number {
  if (len === 0) return 0;
  let s = 0;
  const k = 2 / len;
  for (let i = 0; i < len; i++) {
    const e = p[i] - t[i];
    s += e * e;
    if (g) g[i] = k * e;
  }
  return s / len;
}

export function mae(p: FloatArray, t: FloatArray, g: FloatArray | null, len: number): number {
  if (len === 0) return 0;
  let s = 0;
  const k = 1 / len;
  for (let i = 0; i < len; i++) {
    const e = p[i] - t[i];
    s += Math.abs(e);
    if (g) g[i] = e > 0 ? k : e < 0 ? -k : e === 0 ? 0 : NaN;
  }
  return s / len;
}

export function huber(p: FloatArray, t: FloatArray, g: FloatArray | null, len: number, delta: number): number {
  if (len === 0) return 0;
  let s = 0;
  const k = 1 / len;
  for (let i = 0; i < len; i++) {
    const e = p[i] - t[i];
    const a = Math.abs(e);
    if (a <= delta) {
      s += 0.5 * e * e;
      if (g) g[i] = k * e;
    } else {
      s += delta * (a - 0.5 * delta);
      if (g) g[i] = k * (e > 0 ? delta : -delta);
    }
  }
  return s / len;
}

export function bce(p: FloatArray, t: FloatArray, g: FloatArray | null, len: number): number {
  if (len === 0) return 0;
  let s = 0;
  const k = 1 / len;
  for (let i = 0; i < len; i++) {
    const pi = p[i],
      ti = t[i];
    const inside = pi > EPS && pi < 1 - EPS;
    const pc = pi < EPS ? EPS : pi > 1 - EPS ? 1 - EPS : pi;
    s -= ti * Math.log(pc) + (1 - ti) * Math.log(1 - pc);
    if (g) g[i] = inside ? (k * (pc - ti)) / (pc * (1 - pc)) : pi === pi ? 0 : NaN;
  }
  return s / len;
}

export function bceLogits(x: FloatArray, t: FloatArray, g: FloatArray | null, len: number): number {
  if (len === 0) return 0;
  let s = 0;
  const k = 1 / len;
  for (let i = 0; i < len; i++) {
    const xi = x[i],
      ti = t[i];
    s += (xi > 0 ? xi : 0) - xi * ti + Math.log1p(Math.exp(-Math.abs(xi)));
    if (g) g[i] = k * (sigmoid(xi) - ti);
  }
  return s / len;
}

export function cce(p: FloatArray, t: FloatArray, g: FloatArray | null, rows: number, cols: number): number {
  if (rows === 0 || cols === 0) return 0;
  let s = 0;
  const k = 1 / rows;
  const len = rows * cols;
  for (let i = 0; i < len; i++) {
    const pi = p[i],
      ti = t[i];
    const inside = pi > EPS && pi < 1 - EPS;
    const pc = pi < EPS ? EPS : pi > 1 - EPS ? 1 - EPS : pi;
    s -= ti * Math.log(pc);
    if (g) g[i] = inside ? (-k * ti) / pc : pi === pi ? 0 : NaN;
  }
  return s / rows;
}

/** Row max and log-sum-exp; returns lse. */
function logSumExp(x: FloatArray, o: number, cols: number): number {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j] - max);
  return max + Math.log(sum);
}

export function softmaxCe(x: FloatArray, t: FloatArray, g: FloatArray | null, rows: number, cols: number): number {
  if (rows === 0 || cols === 0) return 0;
  let s = 0;
  const k = 1 / rows;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const lse = logSumExp(x, o, cols);
    let tsum = 0;
    for (let j = 0; j < cols; j++) {
      const tj = t[o + j];
      tsum += tj;
      if (tj !== 0) s += tj * (lse - x[o + j]);
    }
    if (g) for (let j = 0; j < cols; j++) g[o + j] = k * (Math.exp(x[o + j] - lse) * tsum - t[o + j]);
  }
  return s / rows;
}

/**
 * Each label is read once into a local, checked, and only that local is used (the labels may be shared
 * memory another thread rewrites; see ops.ts). A label outside [0, cols) throws a RangeError; the gradient
 * rows before it have been written by then.
 */
export function softmaxCeSparse(
  x: FloatArray,
  labels: Int32Array,
  g: FloatArray | null,
  rows: number,
  cols: number,
): number {
  if (rows === 0) return 0;
  let s = 0;
  const k = 1 / rows;
  for (let r = 0; r < rows; r++) {
    const label = labels[r];
    if (!(label >= 0 && label < cols)) {
      throw new RangeError(`softmaxCrossEntropySparse(): 'labels'[${r}] = ${label} is outside [0, ${cols})`);
    }
    const o = r * cols;
    const lse = logSumExp(x, o, cols);
    s += lse - x[o + label];
    if (g) {
      for (let j = 0; j < cols; j++) g[o + j] = k * Math.exp(x[o + j] - lse);
      g[o + label] -= k;
    }
  }
  return s / rows;
}
