/**
 * The transposed convolution of the JS backend (formulas in ops.ts): its checks (the native addon's,
 * native/exports_conv_transpose.cc, made by the convolution's checks in conv-checks.ts), shared by the checked
 * backends, and its JS kernels, computed with the convolution kernels of conv.ts, whose adjoint it is.
 * Its forward is a convolution's input gradient; its backward that convolution's forward (dx) and weight
 * gradient (dw). `convOf` turns the transposed dims into those of that convolution.
 */
import type { FloatArray } from '../ops';
import { Activation } from '../activations';
import { backwardRange, forwardRange } from './activations';
import { conv2dBackwardUnchecked, conv2dForwardUnchecked, conv2dInputGradUnchecked } from './conv';
import { scratch, SLOT_ACC2 } from './scratch';
import { checkConvBackward, checkConvForward } from './conv-checks';

/** [batch, inH, inW, inC, kH, kW, outC, strideH, strideW, padTop, padLeft, dilationH, dilationW, outH, outW] */
export type TransposeDims = [
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  outC: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  dilationH: number,
  dilationW: number,
  outH: number,
  outW: number,
];
/** The convolution whose input gradient this transposed convolution is: [outH, outW, outC] → [inH, inW, inC]. */
function convOf(d: TransposeDims) {
  const [batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW] = d;
  return [batch, outH, outW, outC, kH, kW, inC, sH, sW, pT, pL, dH, dW, inH, inW, 1] as const;
}

type ActArgs = [act: number, alpha: number];

/** conv2dTransposeForward's checks (the native addon's, shared with the convolution's); each kernel then runs. */
export function checkConv2dTransposeForward(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  z: FloatArray,
  y: FloatArray,
  ...rest: [...TransposeDims, ...ActArgs]
): void {
  checkConvForward('conv2dTransposeForward', 'transpose', x, w, b, z, y, rest);
}

/** conv2dTransposeBackward's checks (the native addon's, shared with the convolution's). */
export function checkConv2dTransposeBackward(
  x: FloatArray,
  w: FloatArray,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  dw: FloatArray,
  db: FloatArray | null,
  dx: FloatArray | null,
  ...rest: [...TransposeDims, ...ActArgs]
): void {
  checkConvBackward('conv2dTransposeBackward', 'transpose', x, w, z, y, dy, dz, dw, db, dx, rest);
}

/** The JS kernels with the op's signature (unchecked). */
export function conv2dTransposeForwardKernel(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  z: FloatArray,
  y: FloatArray,
  ...rest: [...TransposeDims, ...ActArgs]
): void {
  conv2dTransposeForwardUnchecked(x, w, b, z, y, rest.slice(0, 15) as TransposeDims, rest[15], rest[16]);
}
export function conv2dTransposeBackwardKernel(
  x: FloatArray,
  w: FloatArray,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  dw: FloatArray,
  db: FloatArray | null,
  dx: FloatArray | null,
  ...rest: [...TransposeDims, ...ActArgs]
): void {
  const dims = rest.slice(0, 15) as TransposeDims;
  conv2dTransposeBackwardUnchecked(x, w, z, y, dy, dz, dw, db, dx, dims, rest[15], rest[16]);
}

export function conv2dTransposeForwardUnchecked(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  z: FloatArray,
  y: FloatArray,
  dims: TransposeDims,
  act: number,
  alpha: number,
): void {
  conv2dInputGradUnchecked(x, w, z, ...convOf(dims));
  const outC = dims[6];
  const total = dims[0] * dims[13] * dims[14] * outC;
  if (outC === 0) return;
  for (let o = 0; o < total; o += outC) {
    if (b) for (let j = 0; j < outC; j++) z[o + j] += b[j];
    forwardRange(act, alpha, z, y, o, o + outC);
  }
}

export function conv2dTransposeBackwardUnchecked(
  x: FloatArray,
  w: FloatArray,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  dw: FloatArray,
  db: FloatArray | null,
  dx: FloatArray | null,
  dims: TransposeDims,
  act: number,
  alpha: number,
): void {
  const outC = dims[6];
  const total = dims[0] * dims[13] * dims[14] * outC;
  backwardRange(act, alpha, z, y, dy, dz, total);
  if (db) {
    const sums = scratch(SLOT_ACC2, outC);
    sums.fill(0, 0, outC);
    for (let o = 0; o < total; o += outC) for (let j = 0; j < outC; j++) sums[j] += dz[o + j];
    for (let j = 0; j < outC; j++) db[j] = sums[j];
  }
  const conv = convOf(dims);
  if (dx) conv2dForwardUnchecked(dz, w, null, dx, dx, ...conv, Activation.linear, 0);
  // The convolution's weight gradient with dz as its input and x as its output gradient (linear: x is only read).
  conv2dBackwardUnchecked(dz, w, x, x, x, x, dw, null, null, ...conv, Activation.linear, 0);
}
