/**
 * Batch normalization kernels of the JS backend (formulas in ops.ts), unchecked. Statistics and gradient sums
 * accumulate per column in float64 scratch, two passes for the variance (mean first, then squared deviations),
 * so float32 and float64 runs and both backends agree to rounding.
 */
import type { FloatArray } from '../ops';
import { scratch, SLOT_ACC, SLOT_ACC2 } from './scratch';

export function batchNormForwardUnchecked(
  x: FloatArray,
  gamma: FloatArray | null,
  beta: FloatArray | null,
  movingMean: FloatArray,
  movingVariance: FloatArray,
  mean: FloatArray,
  invStd: FloatArray,
  y: FloatArray,
  rows: number,
  cols: number,
  epsilon: number,
  momentum: number,
  training: boolean,
): void {
  const mu = scratch(SLOT_ACC, cols),
    istd = scratch(SLOT_ACC2, cols);
  if (training && rows > 0) {
    mu.fill(0, 0, cols);
    for (let o = 0; o < rows * cols; o += cols) for (let j = 0; j < cols; j++) mu[j] += x[o + j];
    for (let j = 0; j < cols; j++) mu[j] /= rows;
    istd.fill(0, 0, cols);
    for (let o = 0; o < rows * cols; o += cols) {
      for (let j = 0; j < cols; j++) {
        const d = x[o + j] - mu[j];
        istd[j] += d * d;
      }
    }
    for (let j = 0; j < cols; j++) {
      const variance = istd[j] / rows;
      istd[j] = 1 / Math.sqrt(variance + epsilon);
      movingMean[j] -= (movingMean[j] - mu[j]) * (1 - momentum);
      movingVariance[j] -= (movingVariance[j] - variance) * (1 - momentum);
    }
  } else {
    for (let j = 0; j < cols; j++) {
      mu[j] = movingMean[j];
      istd[j] = 1 / Math.sqrt(movingVariance[j] + epsilon);
    }
  }
  for (let j = 0; j < cols; j++) {
    mean[j] = mu[j];
    invStd[j] = istd[j];
  }
  for (let o = 0; o < rows * cols; o += cols) {
    for (let j = 0; j < cols; j++) {
      const v = (x[o + j] - mu[j]) * istd[j];
      y[o + j] = (gamma ? gamma[j] * v : v) + (beta ? beta[j] : 0);
    }
  }
}

export function batchNormBackwardUnchecked(
  x: FloatArray,
  gamma: FloatArray | null,
  mean: FloatArray,
  invStd: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  dgamma: FloatArray | null,
  dbeta: FloatArray | null,
  rows: number,
  cols: number,
): void {
  const sumDy = scratch(SLOT_ACC, cols),
    sumDyXhat = scratch(SLOT_ACC2, cols);
  sumDy.fill(0, 0, cols);
  sumDyXhat.fill(0, 0, cols);
  for (let o = 0; o < rows * cols; o += cols) {
    for (let j = 0; j < cols; j++) {
      const g = dy[o + j];
      sumDy[j] += g;
      sumDyXhat[j] += g * (x[o + j] - mean[j]) * invStd[j];
    }
  }
  for (let o = 0; o < rows * cols; o += cols) {
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - mean[j]) * invStd[j];
      const scale = ((gamma ? gamma[j] : 1) * invStd[j]) / rows;
      dx[o + j] = scale * (rows * dy[o + j] - sumDy[j] - xhat * sumDyXhat[j]);
    }
  }
  for (let j = 0; j < cols; j++) {
    if (dgamma) dgamma[j] = sumDyXhat[j];
    if (dbeta) dbeta[j] = sumDy[j];
  }
}
