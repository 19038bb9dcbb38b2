/**
 * Activation kernels (formulas in ops.ts). Each works on a range [from, to) of a flat array so the
 * dense ops can apply them in the same pass that adds the bias.
 */
import type { FloatArray } from '../ops';
import { Activation } from '../activations';

const { linear: LINEAR, sigmoid: SIGMOID, tanh: TANH, relu: RELU, leakyRelu: LEAKY_RELU, elu: ELU } = Activation;
const { selu: SELU, softplus: SOFTPLUS, softsign: SOFTSIGN, hardSigmoid: HARD_SIGMOID } = Activation;
const { swish: SWISH, gelu: GELU } = Activation;

export const SELU_SCALE = 1.0507009873554805; // 1.0507009873554804934…, the nearest double
export const SELU_ALPHA = 1.6732632423543772; // 1.6732632423543772848…
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327; // 1/√(2π)

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** erfc with relative error < 1.2e-7 everywhere (Numerical Recipes' erfcc, Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** One activation's value at z (not softmax). */
export function activate(act: number, alpha: number, z: number): number {
  switch (act) {
    case LINEAR:
      return z;
    case SIGMOID:
      return sigmoid(z);
    case TANH:
      return Math.tanh(z);
    case RELU:
      return z < 0 ? 0 : z;
    case LEAKY_RELU:
      return z < 0 ? alpha * z : z;
    case ELU:
      return z > 0 ? z : alpha * Math.expm1(z);
    case SELU:
      return z > 0 ? SELU_SCALE * z : SELU_SCALE * SELU_ALPHA * Math.expm1(z);
    case SOFTPLUS:
      return (z > 0 ? z : 0) + Math.log1p(Math.exp(-Math.abs(z)));
    case SOFTSIGN:
      return z / (1 + Math.abs(z));
    case HARD_SIGMOID: {
      const h = 0.2 * z + 0.5;
      return h < 0 ? 0 : h > 1 ? 1 : h;
    }
    case SWISH:
      return z * sigmoid(z);
    case GELU:
      return 0.5 * z * erfc(-z * INV_SQRT2);
    default:
      throw new RangeError(`activation code ${act} is not elementwise`);
  }
}

/** f'(z)·dy for one element (not softmax), given z and y = f(z). */
export function derivative(act: number, alpha: number, z: number, y: number): number {
  switch (act) {
    case LINEAR:
      return 1;
    case SIGMOID:
      return y * (1 - y);
    case TANH:
      return 1 - y * y;
    case RELU:
      return z > 0 ? 1 : 0;
    case LEAKY_RELU:
      return z > 0 ? 1 : alpha;
    case ELU:
      return z > 0 ? 1 : y + alpha;
    case SELU:
      return z > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case SOFTPLUS:
      return sigmoid(z);
    case SOFTSIGN: {
      const d = 1 + Math.abs(z);
      return 1 / (d * d);
    }
    case HARD_SIGMOID:
      return z > -2.5 && z < 2.5 ? 0.2 : 0;
    case SWISH: {
      const s = sigmoid(z);
      return s * (1 + z * (1 - s));
    }
    case GELU:
      return 0.5 * erfc(-z * INV_SQRT2) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
    default:
      throw new RangeError(`activation code ${act} is not elementwise`);
  }
}

/** Row-wise softmax of z into y (y may be z). */
export function softmaxRows(z: FloatArray, y: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (z[o + j] > max) max = z[o + j];
    if (max === -Infinity || Number.isNaN(max)) max = 0;
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(z[o + j] - max);
      y[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) y[o + j] *= inv;
  }
}

/** y[from..to) = f(z[from..to)) for an elementwise activation, specialised for the hot ones. */
export function forwardRange(act: number, alpha: number, z: FloatArray, y: FloatArray, from: number, to: number): void {
  switch (act) {
    case LINEAR:
      if (y !== z) for (let i = from; i < to; i++) y[i] = z[i];
      return;
    case RELU:
      for (let i = from; i < to; i++) {
        const v = z[i];
        y[i] = v < 0 ? 0 : v;
      }
      return;
    case SIGMOID:
      for (let i = from; i < to; i++) y[i] = sigmoid(z[i]);
      return;
    case TANH:
      for (let i = from; i < to; i++) y[i] = Math.tanh(z[i]);
      return;
    default:
      for (let i = from; i < to; i++) y[i] = activate(act, alpha, z[i]);
  }
}

/** dz = f'(z)·dy elementwise over [0, len) (not softmax). */
export function backwardRange(
  act: number,
  alpha: number,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  len: number,
): void {
  switch (act) {
    case LINEAR:
      if (dz !== dy) for (let i = 0; i < len; i++) dz[i] = dy[i];
      return;
    case RELU:
      for (let i = 0; i < len; i++) dz[i] = z[i] > 0 ? dy[i] : 0;
      return;
    case SIGMOID:
      for (let i = 0; i < len; i++) {
        const v = y[i];
        dz[i] = v * (1 - v) * dy[i];
      }
      return;
    case TANH:
      for (let i = 0; i < len; i++) {
        const v = y[i];
        dz[i] = (1 - v * v) * dy[i];
      }
      return;
    default:
      for (let i = 0; i < len; i++) dz[i] = derivative(act, alpha, z[i], y[i]) * dy[i];
  }
}

/** Softmax Jacobian-vector product: dz = y ⊙ (dy - Σ_row dy ⊙ y). dz may alias dy. */
export function softmaxBackward(y: FloatArray, dy: FloatArray, dz: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += dy[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) dz[o + j] = y[o + j] * (dy[o + j] - s);
  }
}
