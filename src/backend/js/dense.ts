/**
 * The fused dense kernels of the JS backend (formulas in ops.ts), without checks: the checked ops validate first,
 * and models call them directly through the unchecked kernel set.
 */
import type { ActivationCode, FloatArray } from '../ops';
import { Activation } from '../activations';
import { gemmUnchecked } from './gemm';
import { backwardRange, forwardRange, softmaxBackward, softmaxRows } from './activations';

const SOFTMAX = Activation.softmax;

/** Dense forward without checks (used by the checked op and by fused model steps). */
export function denseForwardUnchecked(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  z: FloatArray,
  y: FloatArray,
  m: number,
  k: number,
  n: number,
  act: ActivationCode | number,
  alpha: number,
): void {
  gemmUnchecked(false, false, m, n, k, 1, x, w, 0, z);
  if (b) {
    for (let r = 0; r < m; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) z[o + j] += b[j];
      if (act !== SOFTMAX) forwardRange(act, alpha, z, y, o, o + n);
    }
  } else if (act !== SOFTMAX) forwardRange(act, alpha, z, y, 0, m * n);
  if (act === SOFTMAX) softmaxRows(z, y, m, n);
}

/** Dense backward without checks. */
export function denseBackwardUnchecked(
  x: FloatArray,
  w: FloatArray,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  dw: FloatArray,
  db: FloatArray | null,
  dx: FloatArray | null,
  m: number,
  k: number,
  n: number,
  act: ActivationCode | number,
  alpha: number,
): void {
  if (act === SOFTMAX) softmaxBackward(y, dy, dz, m, n);
  else backwardRange(act, alpha, z, y, dy, dz, m * n);
  gemmUnchecked(true, false, k, n, m, 1, x, dz, 0, dw);
  if (db) {
    db.fill(0);
    for (let r = 0; r < m; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) db[j] += dz[o + j];
    }
  }
  if (dx) gemmUnchecked(false, true, m, k, n, 1, dz, w, 0, dx);
}
