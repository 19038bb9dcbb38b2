/**
 * Winograd F(2×2, 3×3) convolution for float32 3×3 stride-1 layers, as the native backend computes them
 * (native/winograd.cc): each 2×2 block of outputs costs 16 multiply-adds per channel pair instead of 36. The
 * forward transforms 4×4 input patches (V) and the kernel (U), multiplies the 16 matrices V[ξ]·U[ξ] and
 * transforms the products back. The input gradient is the same forward on the output gradient padded by
 * 2 - pad, with the kernel flipped; the kernel gradient uses F(3×3, 2×2) and accumulates in the transformed
 * domain over the whole batch, transformed back once. All intermediate values are float64 (rounded once, on
 * store), so the results match the direct kernels to float32 rounding. Unchecked: conv.ts dispatches here.
 */
import type { FloatArray } from '../ops';
import { backwardRange, forwardRange } from './activations';
import { gemm64 } from './gemm64';
import {
  scratch,
  SLOT_ACC2,
  SLOT_WINO_ACC,
  SLOT_WINO_M,
  SLOT_WINO_PAD,
  SLOT_WINO_PAD_GRAD,
  SLOT_WINO_PAD_DX,
  SLOT_WINO_U,
  SLOT_WINO_V,
} from './scratch';
import { gradTransform, inputTransform, kernelTransform, weightOutputTransform } from './winograd-transforms';

/** A convolution's geometry, as conv.ts holds it (pT, pL: padding before the input; sH, dH: stride, dilation). */
export interface ConvGeometry {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly kH: number;
  readonly kW: number;
  readonly outC: number;
  readonly sH: number;
  readonly sW: number;
  readonly pT: number;
  readonly pL: number;
  readonly dH: number;
  readonly dW: number;
  readonly outH: number;
  readonly outW: number;
  readonly groups: number;
}

/** Tiles transformed at a time: their transforms (16·TB·(C + F) float64 values) stay around 512 KB. */
function tileGroup(C: number, F: number): number {
  return Math.max(4, Math.min(256, 4 * Math.floor(65536 / (64 * (C + F)))));
}

/** Values between the 16 matrices of a group: a multiple of 4 KB would put the 16 rows in one cache set. */
function matrixStride(TB: number, channels: number): number {
  return TB * channels + 8;
}

/**
 * Whether the Winograd kernels take this convolution: float32 3×3, stride 1, dilation 1, one group, padding
 * at most 2 before the input (the input gradient's padding 2 - pad), and the channel counts the native
 * Winograd kernels take (16+ inputs, multiples of 8), so both backends use one algorithm on a given layer.
 */
export function winogradApplies(float32: boolean, g: ConvGeometry): boolean {
  return (
    float32 &&
    g.kH === 3 &&
    g.kW === 3 &&
    g.sH === 1 &&
    g.sW === 1 &&
    g.dH === 1 &&
    g.dW === 1 &&
    g.groups === 1 &&
    g.pT <= 2 &&
    g.pL <= 2 &&
    g.outH >= 1 &&
    g.outW >= 1 &&
    g.inC >= 16 &&
    g.inC % 8 === 0 &&
    g.outC % 8 === 0
  );
}

/** Rows × cols positions of C channels from src at so, into buf (Hp × Wp × C, zeros elsewhere) at (top, left). */
function copyPadded(
  src: FloatArray,
  so: number,
  rows: number,
  cols: number,
  C: number,
  buf: Float64Array,
  Hp: number,
  Wp: number,
  top: number,
  left: number,
): void {
  if (left >= Wp) return;
  const n = Math.min(cols, Wp - left) * C;
  for (let r = 0; r < rows && top + r < Hp; r++) {
    const s = so + r * cols * C,
      d = ((top + r) * Wp + left) * C;
    for (let i = 0; i < n; i++) buf[d + i] = src[s + i];
  }
}

/**
 * out[o0 + (oy·OW + ox)·F + f] = conv(pad)(+ bias) for the OH × OW outputs of one sample: pad is Hp × Wp × C
 * with Hp ≥ 2·tH + 2, Wp = 2·tW + 2; U holds the 16 transformed C × F kernels.
 */
function convolveSample(
  pad: Float64Array,
  Wp: number,
  C: number,
  F: number,
  tH: number,
  tW: number,
  OH: number,
  OW: number,
  U: Float64Array,
  bias: FloatArray | null,
  out: FloatArray,
  o0: number,
): void {
  const TB = tileGroup(C, F),
    T = tH * tW,
    rs = Wp * C;
  const vs = matrixStride(TB, C),
    ms = matrixStride(TB, F),
    cf = C * F;
  const V = scratch(SLOT_WINO_V, 16 * vs),
    M = scratch(SLOT_WINO_M, 16 * ms);
  for (let t0 = 0; t0 < T; t0 += TB) {
    const rows = Math.min(TB, T - t0);
    for (let r = 0; r < rows; r++) {
      const tx = (t0 + r) % tW,
        ty = (t0 + r - tx) / tW;
      const patch = 2 * ty * rs + 2 * tx * C;
      for (let c = 0; c < C; c++) inputTransform(pad, patch + c, rs, C, false, V, r * C + c, vs);
    }
    M.fill(0, 0, 16 * ms);
    for (let xi = 0; xi < 16; xi++) gemm64(rows, F, C, V, xi * vs, C, 1, U, xi * cf, F, M, xi * ms, F);
    // Y = Aᵀ M A with Aᵀ = [1 1 1 0; 0 1 -1 -1], for the outputs inside OH × OW.
    for (let r = 0; r < rows; r++) {
      const tx = (t0 + r) % tW,
        ty = (t0 + r - tx) / tW;
      const oy = 2 * ty,
        ox = 2 * tx;
      const down = oy + 1 < OH,
        right = ox + 1 < OW;
      const y0 = o0 + (oy * OW + ox) * F,
        y1 = y0 + OW * F;
      for (let f = 0; f < F; f++) {
        const q = r * F + f;
        // Rows of Aᵀ M (rows [1 1 1 0] and [0 1 -1 -1] of Aᵀ), then their columns times A.
        const m00 = M[q],
          m01 = M[ms + q],
          m02 = M[2 * ms + q],
          m03 = M[3 * ms + q];
        const m10 = M[4 * ms + q],
          m11 = M[5 * ms + q],
          m12 = M[6 * ms + q],
          m13 = M[7 * ms + q];
        const m20 = M[8 * ms + q],
          m21 = M[9 * ms + q],
          m22 = M[10 * ms + q],
          m23 = M[11 * ms + q];
        const m30 = M[12 * ms + q],
          m31 = M[13 * ms + q],
          m32 = M[14 * ms + q],
          m33 = M[15 * ms + q];
        const u0 = m00 + m10 + m20,
          u1 = m01 + m11 + m21,
          u2 = m02 + m12 + m22,
          u3 = m03 + m13 + m23;
        const v0 = m10 - m20 - m30,
          v1 = m11 - m21 - m31,
          v2 = m12 - m22 - m32,
          v3 = m13 - m23 - m33;
        const a00 = u0 + u1 + u2,
          a01 = u1 - u2 - u3,
          a10 = v0 + v1 + v2,
          a11 = v1 - v2 - v3;
        const b = bias ? bias[f] : 0;
        out[y0 + f] = a00 + b;
        if (right) out[y0 + F + f] = a01 + b;
        if (down) {
          out[y1 + f] = a10 + b;
          if (right) out[y1 + F + f] = a11 + b;
        }
      }
    }
  }
}

export function winogradForward(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  z: FloatArray,
  y: FloatArray,
  g: ConvGeometry,
  act: number,
  alpha: number,
): void {
  const { batch, inH, inW, inC: C, outC: F, pT, pL, outH, outW } = g;
  // Output blocks of 2×2 and the padded input their 4×4 patches cover.
  const tH = (outH + 1) >> 1,
    tW = (outW + 1) >> 1,
    Hp = 2 * tH + 2,
    Wp = 2 * tW + 2;
  const U = scratch(SLOT_WINO_U, 16 * C * F);
  kernelTransform(w, C, F, false, U);
  const padLen = Hp * Wp * C,
    inLen = inH * inW * C,
    outLen = outH * outW * F;
  const pad = scratch(SLOT_WINO_PAD, padLen);
  pad.fill(0, 0, padLen);
  for (let n = 0; n < batch; n++) {
    copyPadded(x, n * inLen, inH, inW, C, pad, Hp, Wp, pT, pL);
    convolveSample(pad, Wp, C, F, tH, tW, outH, outW, U, b, z, n * outLen);
  }
  forwardRange(act, alpha, z, y, 0, batch * outLen);
}

export function winogradBackward(
  x: FloatArray,
  w: FloatArray,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  dw: FloatArray,
  db: FloatArray | null,
  dx: FloatArray | null,
  g: ConvGeometry,
  act: number,
  alpha: number,
): void {
  const { batch, inH, inW, inC: C, outC: F, pT, pL, outH, outW } = g;
  const outLen = outH * outW * F,
    inLen = inH * inW * C,
    total = batch * outLen;
  backwardRange(act, alpha, z, y, dy, dz, total);
  if (db) {
    const sums = scratch(SLOT_ACC2, F);
    sums.fill(0, 0, F);
    for (let o = 0; o < total; o += F) for (let f = 0; f < F; f++) sums[f] += dz[o + f];
    for (let f = 0; f < F; f++) db[f] = sums[f];
  }
  const tH = (outH + 1) >> 1,
    tW = (outW + 1) >> 1,
    Hp = 2 * tH + 2,
    Wp = 2 * tW + 2;
  const TB = tileGroup(C, F),
    T = tH * tW,
    rs = Wp * C,
    gH = 2 * tH,
    gW = 2 * tW;
  const vs = matrixStride(TB, C),
    zs = matrixStride(TB, F),
    cf = C * F;
  const padX = scratch(SLOT_WINO_PAD, Hp * Wp * C),
    padDz = scratch(SLOT_WINO_PAD_GRAD, gH * gW * F);
  const V = scratch(SLOT_WINO_V, 16 * vs),
    Z = scratch(SLOT_WINO_M, 16 * zs),
    acc = scratch(SLOT_WINO_ACC, 16 * cf);
  padX.fill(0, 0, Hp * Wp * C);
  padDz.fill(0, 0, gH * gW * F);
  acc.fill(0, 0, 16 * cf);
  // The kernel gradient: acc[ξ] (C × F) += V[ξ]ᵀ·Z[ξ] over every block of every sample.
  for (let n = 0; n < batch; n++) {
    copyPadded(x, n * inLen, inH, inW, C, padX, Hp, Wp, pT, pL);
    copyPadded(dz, n * outLen, outH, outW, F, padDz, gH, gW, 0, 0);
    for (let t0 = 0; t0 < T; t0 += TB) {
      const rows = Math.min(TB, T - t0);
      for (let r = 0; r < rows; r++) {
        const tx = (t0 + r) % tW,
          ty = (t0 + r - tx) / tW;
        const patch = 2 * ty * rs + 2 * tx * C,
          block = (2 * ty * gW + 2 * tx) * F;
        for (let c = 0; c < C; c++) inputTransform(padX, patch + c, rs, C, true, V, r * C + c, vs);
        for (let f = 0; f < F; f++) gradTransform(padDz, block + f, gW * F, F, Z, r * F + f, zs);
      }
      for (let xi = 0; xi < 16; xi++) gemm64(C, F, rows, V, xi * vs, 1, C, Z, xi * zs, F, acc, xi * cf, F);
    }
  }
  weightOutputTransform(acc, C, F, dw);
  if (!dx) return;
  // The input gradient: dz padded by 2 - pad on each side, convolved with the flipped kernel (F → C channels).
  const xH = (inH + 1) >> 1,
    xW = (inW + 1) >> 1,
    Hq = 2 * xH + 2,
    Wq = 2 * xW + 2;
  const qLen = Hq * Wq * F;
  const Ut = scratch(SLOT_WINO_U, 16 * cf),
    padQ = scratch(SLOT_WINO_PAD_DX, qLen);
  kernelTransform(w, C, F, true, Ut);
  padQ.fill(0, 0, qLen);
  for (let n = 0; n < batch; n++) {
    copyPadded(dz, n * outLen, outH, outW, F, padQ, Hq, Wq, 2 - pT, 2 - pL);
    convolveSample(padQ, Wq, F, C, xH, xW, inH, inW, Ut, null, dx, n * inLen);
  }
}
