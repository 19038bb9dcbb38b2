/**
 * The transposed convolution of the JS backend (formulas in ops.ts): its checks (the native addon's,
 * native/exports_conv_transpose.cc), shared by the checked backends, and its JS kernels, computed with the
 * convolution kernels of conv.ts, whose adjoint it is.
 * Its forward is a convolution's input gradient; its backward that convolution's forward (dx) and weight
 * gradient (dw). `convOf` turns the transposed dims into those of that convolution.
 */
import type { FloatArray } from '../ops';
import { Activation } from '../activations';
import { backwardRange, forwardRange } from './activations';
import { conv2dBackwardUnchecked, conv2dForwardUnchecked, conv2dInputGradUnchecked } from './conv';
import { scratch, SLOT_ACC2 } from './scratch';
import {
  actArg,
  argCount,
  checkFusedBackwardOverlaps,
  dimArg,
  floatArg,
  lengthIs,
  noOverlap,
  numArg,
  optFloatArg,
  product,
  sameOrDisjoint,
} from './validate';
import { checkBlasDims } from './table-checks';

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
const DIM_NAMES = [
  'batch',
  'inH',
  'inW',
  'inC',
  'kH',
  'kW',
  'outC',
  'strideH',
  'strideW',
  'padTop',
  'padLeft',
  'dilationH',
  'dilationW',
  'outH',
  'outW',
] as const;

/** The convolution whose input gradient this transposed convolution is: [outH, outW, outC] → [inH, inW, inC]. */
function convOf(d: TransposeDims) {
  const [batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW] = d;
  return [batch, outH, outW, outC, kH, kW, inC, sH, sW, pT, pL, dH, dW, inH, inW, 1] as const;
}

interface Sizes {
  input: number;
  output: number;
  kernel: number;
}

function checkDims(op: string, dims: unknown[]): Sizes {
  const d = DIM_NAMES.map((name, i) => dimArg(op, name, dims[i])) as TransposeDims;
  const [batch, inH, inW, inC, kH, kW, outC, sH, sW, , , dH, dW, outH, outW] = d;
  for (const [name, v] of [
    ['strideH', sH],
    ['strideW', sW],
    ['dilationH', dH],
    ['dilationW', dW],
  ] as const) {
    if (v < 1) throw new RangeError(`${op}(): '${name}' must be >= 1, got ${v}`);
  }
  // The columns of the convolution's im2col panels and of its flipped twin's are BLAS dimensions (ints).
  checkBlasDims(op, [
    ['kH*kW*outC', product(op, 'kH*kW*outC', kH, kW, outC)],
    ['kH*kW*inC', product(op, 'kH*kW*inC', kH, kW, inC)],
  ]);
  return {
    input: product(op, 'batch*inH*inW*inC', batch, inH, inW, inC),
    output: product(op, 'batch*outH*outW*outC', batch, outH, outW, outC),
    kernel: product(op, 'kH*kW*outC*inC', kH, kW, outC, inC),
  };
}

function notSoftmax(op: string, act: number): void {
  if (act === Activation.softmax) {
    throw new RangeError(`${op}(): 'act' cannot be softmax here (apply softmax in a separate layer)`);
  }
}

type ActArgs = [act: number, alpha: number];

/** conv2dTransposeForward's checks (the native addon's); the kernels of each backend then run. */
export function checkConv2dTransposeForward(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  z: FloatArray,
  y: FloatArray,
  ...rest: [...TransposeDims, ...ActArgs]
): void {
  const op = 'conv2dTransposeForward';
  argCount(op, 5 + rest.length, 22);
  floatArg(op, 'x', x);
  floatArg(op, 'w', w, x);
  optFloatArg(op, 'b', b, x);
  floatArg(op, 'z', z, x);
  floatArg(op, 'y', y, x);
  const dims = rest.slice(0, 15) as TransposeDims;
  const s = checkDims(op, dims);
  const act = actArg(op, rest[15]);
  numArg(op, 'alpha', rest[16]);
  notSoftmax(op, act);
  lengthIs(op, 'x', x, s.input, 'batch*inH*inW*inC');
  lengthIs(op, 'w', w, s.kernel, 'kH*kW*outC*inC');
  if (b) lengthIs(op, 'b', b, dims[6], 'outC');
  lengthIs(op, 'z', z, s.output, 'batch*outH*outW*outC');
  lengthIs(op, 'y', y, s.output, 'batch*outH*outW*outC');
  for (const [nm, arr] of [
    ['z', z],
    ['y', y],
  ] as const) {
    noOverlap(op, nm, arr, 'x', x);
    noOverlap(op, nm, arr, 'w', w);
    if (b) noOverlap(op, nm, arr, 'b', b);
  }
  if (act === Activation.linear || act === Activation.relu) sameOrDisjoint(op, 'y', y, 'z', z);
  else noOverlap(op, 'y', y, 'z', z);
}

/** conv2dTransposeBackward's checks. */
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
  const op = 'conv2dTransposeBackward';
  argCount(op, 9 + rest.length, 26);
  floatArg(op, 'x', x);
  floatArg(op, 'w', w, x);
  floatArg(op, 'z', z, x);
  floatArg(op, 'y', y, x);
  floatArg(op, 'dy', dy, x);
  floatArg(op, 'dz', dz, x);
  floatArg(op, 'dw', dw, x);
  optFloatArg(op, 'db', db, x);
  optFloatArg(op, 'dx', dx, x);
  const dims = rest.slice(0, 15) as TransposeDims;
  const s = checkDims(op, dims);
  const act = actArg(op, rest[15]);
  numArg(op, 'alpha', rest[16]);
  notSoftmax(op, act);
  lengthIs(op, 'x', x, s.input, 'batch*inH*inW*inC');
  lengthIs(op, 'w', w, s.kernel, 'kH*kW*outC*inC');
  for (const [nm, arr] of [
    ['z', z],
    ['y', y],
    ['dy', dy],
    ['dz', dz],
  ] as const)
    lengthIs(op, nm, arr, s.output, 'batch*outH*outW*outC');
  lengthIs(op, 'dw', dw, s.kernel, 'kH*kW*outC*inC');
  if (db) lengthIs(op, 'db', db, dims[6], 'outC');
  if (dx) lengthIs(op, 'dx', dx, s.input, 'batch*inH*inW*inC');
  checkFusedBackwardOverlaps(op, { x, w, z, y }, dy, { dz, dw, db, dx });
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
  conv2dTransposeBackwardUnchecked(
    x,
    w,
    z,
    y,
    dy,
    dz,
    dw,
    db,
    dx,
    rest.slice(0, 15) as TransposeDims,
    rest[15],
    rest[16],
  );
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
