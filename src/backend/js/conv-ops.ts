/**
 * The checked convolution, pooling and batch-normalization ops of the JS backend: every argument is validated
 * as the native addon validates it (native/exports_conv.cc), then the kernel runs: the JS one, or another backend's
 * sharing these checks (src/backend/js/kernels.ts). The convolution's checks are the transposed convolution's
 * too (conv-checks.ts).
 */
import type { Backend, FloatArray } from '../ops';
import { atLeastOne, checkConvBackward, checkConvForward } from './conv-checks';
import {
  argCount,
  boolArg,
  dimArg,
  floatArg,
  int32Arg,
  lengthIs,
  noOverlap,
  numArg,
  optFloatArg,
  product,
  sameOrDisjoint,
} from './validate';

const POOL_DIM_NAMES = [
  'batch',
  'inH',
  'inW',
  'inC',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'padTop',
  'padLeft',
  'outH',
  'outW',
] as const;

/** Checks the 12 pooling dims (POOL_DIM_NAMES order; every window must overlap the input). */
function poolDims(op: string, dims: number[]): { input: number; output: number } {
  const d = POOL_DIM_NAMES.map((name, i) => dimArg(op, name, dims[i]));
  const [batch, inH, inW, inC, kH, kW, sH, sW, pT, pL, outH, outW] = d;
  atLeastOne(op, 'strideH', sH);
  atLeastOne(op, 'strideW', sW);
  checkWindows(op, 'H', inH, kH, sH, pT, outH);
  checkWindows(op, 'W', inW, kW, sW, pL, outW);
  return {
    input: product(op, 'batch*inH*inW*inC', batch, inH, inW, inC),
    output: product(op, 'batch*outH*outW*inC', batch, outH, outW, inC),
  };
}

/** Along one axis: the first window ends after the input starts, the last begins before it ends. */
function checkWindows(op: string, axis: 'H' | 'W', size: number, k: number, stride: number, pad: number, out: number) {
  if (out === 0) return;
  if (size < 1 || pad >= k || (out - 1) * stride - pad >= size) {
    const padName = axis === 'H' ? 'padTop' : 'padLeft';
    throw new RangeError(
      `${op}(): a pooling window lies outside the input along ${axis === 'H' ? 'height' : 'width'} ` +
        `('in${axis}' = ${size}, 'k${axis}' = ${k}, 'stride${axis}' = ${stride}, '${padName}' = ${pad}, ` +
        `'out${axis}' = ${out}); the windows must overlap the input`,
    );
  }
}

type ConvDimArgs = [
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
  groups: number,
];
type PoolDimArgs = [
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
];

/** Max pooling's argmax holds window positions as Int32: a window may hold at most 2^31 - 1 of them. */
function windowFitsInt32(op: string, dims: PoolDimArgs): void {
  if (dims[4] * dims[5] > 2 ** 31 - 1)
    throw new RangeError(`${op}(): kH*kW exceeds 2^31-1 (argmax positions are Int32)`);
}

type ConvOpName =
  | 'conv2dForward'
  | 'conv2dBackward'
  | 'maxPool2dForward'
  | 'maxPool2dBackward'
  | 'avgPool2dForward'
  | 'avgPool2dBackward'
  | 'batchNormForward'
  | 'batchNormBackward';
/** The convolution, pooling and batch-normalization ops (or kernels: the same signatures). */
export type ConvOps = Pick<Backend, ConvOpName>;

/** The checked ops over the kernels of `k` (the JS kernels, or another backend's: src/backend/js/kernels.ts). */
export function createConvOps(k: ConvOps): ConvOps {
  function conv2dForward(
    x: FloatArray,
    w: FloatArray,
    b: FloatArray | null,
    z: FloatArray,
    y: FloatArray,
    ...rest: [...ConvDimArgs, act: number, alpha: number]
  ): void {
    checkConvForward('conv2dForward', 'conv', x, w, b, z, y, rest);
    k.conv2dForward(x, w, b, z, y, ...rest);
  }

  function conv2dBackward(
    x: FloatArray,
    w: FloatArray,
    z: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    dz: FloatArray,
    dw: FloatArray,
    db: FloatArray | null,
    dx: FloatArray | null,
    ...rest: [...ConvDimArgs, act: number, alpha: number]
  ): void {
    checkConvBackward('conv2dBackward', 'conv', x, w, z, y, dy, dz, dw, db, dx, rest);
    k.conv2dBackward(x, w, z, y, dy, dz, dw, db, dx, ...rest);
  }

  function maxPool2dForward(x: FloatArray, y: FloatArray, argmax: Int32Array, ...dims: PoolDimArgs): void {
    const op = 'maxPool2dForward';
    argCount(op, 3 + dims.length, 15);
    floatArg(op, 'x', x);
    floatArg(op, 'y', y, x);
    int32Arg(op, 'argmax', argmax);
    const s = poolDims(op, dims);
    windowFitsInt32(op, dims);
    lengthIs(op, 'x', x, s.input, 'batch*inH*inW*inC');
    lengthIs(op, 'y', y, s.output, 'batch*outH*outW*inC');
    lengthIs(op, 'argmax', argmax, s.output, 'batch*outH*outW*inC');
    noOverlap(op, 'y', y, 'x', x);
    noOverlap(op, 'argmax', argmax, 'x', x);
    noOverlap(op, 'argmax', argmax, 'y', y);
    k.maxPool2dForward(x, y, argmax, ...dims);
  }

  function maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray, ...dims: PoolDimArgs): void {
    const op = 'maxPool2dBackward';
    argCount(op, 3 + dims.length, 15);
    floatArg(op, 'dy', dy);
    int32Arg(op, 'argmax', argmax);
    floatArg(op, 'dx', dx, dy);
    const s = poolDims(op, dims);
    windowFitsInt32(op, dims);
    lengthIs(op, 'dy', dy, s.output, 'batch*outH*outW*inC');
    lengthIs(op, 'argmax', argmax, s.output, 'batch*outH*outW*inC');
    lengthIs(op, 'dx', dx, s.input, 'batch*inH*inW*inC');
    noOverlap(op, 'dx', dx, 'dy', dy);
    noOverlap(op, 'dx', dx, 'argmax', argmax);
    // The kernel checks each index in the one read it uses.
    k.maxPool2dBackward(dy, argmax, dx, ...dims);
  }

  function avgPool2dForward(x: FloatArray, y: FloatArray, ...dims: PoolDimArgs): void {
    const op = 'avgPool2dForward';
    argCount(op, 2 + dims.length, 14);
    floatArg(op, 'x', x);
    floatArg(op, 'y', y, x);
    const s = poolDims(op, dims);
    lengthIs(op, 'x', x, s.input, 'batch*inH*inW*inC');
    lengthIs(op, 'y', y, s.output, 'batch*outH*outW*inC');
    noOverlap(op, 'y', y, 'x', x);
    k.avgPool2dForward(x, y, ...dims);
  }

  function avgPool2dBackward(dy: FloatArray, dx: FloatArray, ...dims: PoolDimArgs): void {
    const op = 'avgPool2dBackward';
    argCount(op, 2 + dims.length, 14);
    floatArg(op, 'dy', dy);
    floatArg(op, 'dx', dx, dy);
    const s = poolDims(op, dims);
    lengthIs(op, 'dy', dy, s.output, 'batch*outH*outW*inC');
    lengthIs(op, 'dx', dx, s.input, 'batch*inH*inW*inC');
    noOverlap(op, 'dx', dx, 'dy', dy);
    k.avgPool2dBackward(dy, dx, ...dims);
  }

  function batchNormForward(
    x: FloatArray,
    gamma: FloatArray | null,
    beta: FloatArray | null,
    mm: FloatArray,
    mv: FloatArray,
    mean: FloatArray,
    invStd: FloatArray,
    y: FloatArray,
    rows: number,
    cols: number,
    epsilon: number,
    momentum: number,
    training: boolean,
  ): void {
    const op = 'batchNormForward';
    argCount(op, arguments.length, 13);
    floatArg(op, 'x', x);
    optFloatArg(op, 'gamma', gamma, x);
    optFloatArg(op, 'beta', beta, x);
    floatArg(op, 'movingMean', mm, x);
    floatArg(op, 'movingVariance', mv, x);
    floatArg(op, 'mean', mean, x);
    floatArg(op, 'invStd', invStd, x);
    floatArg(op, 'y', y, x);
    dimArg(op, 'rows', rows);
    dimArg(op, 'cols', cols);
    numArg(op, 'epsilon', epsilon);
    numArg(op, 'momentum', momentum);
    boolArg(op, 'training', training);
    const len = product(op, 'rows*cols', rows, cols);
    lengthIs(op, 'x', x, len, 'rows*cols');
    lengthIs(op, 'y', y, len, 'rows*cols');
    const perColumn: [string, FloatArray | null][] = [
      ['gamma', gamma],
      ['beta', beta],
      ['movingMean', mm],
      ['movingVariance', mv],
      ['mean', mean],
      ['invStd', invStd],
    ];
    for (const [nm, arr] of perColumn) if (arr) lengthIs(op, nm, arr, cols, 'cols');
    sameOrDisjoint(op, 'y', y, 'x', x);
    // Outputs (y, mean, invStd, and the moving statistics, written in training) overlap nothing else.
    const outs: [string, FloatArray][] = [
      ['y', y],
      ['mean', mean],
      ['invStd', invStd],
      ['movingMean', mm],
      ['movingVariance', mv],
    ];
    const all: [string, FloatArray | null][] = [['x', x], ...perColumn, ['y', y]];
    for (const [on, o] of outs) {
      for (const [n2, a] of all) if (a && n2 !== on && !(on === 'y' && n2 === 'x')) noOverlap(op, on, o, n2, a);
    }
    k.batchNormForward(x, gamma, beta, mm, mv, mean, invStd, y, rows, cols, epsilon, momentum, training);
  }

  function batchNormBackward(
    x: FloatArray,
    gamma: FloatArray | null,
    mean: FloatArray,
    invStd: FloatArray,
    dy: FloatArray,
    dx: FloatArray,
    dg: FloatArray | null,
    dbeta: FloatArray | null,
    rows: number,
    cols: number,
  ): void {
    const op = 'batchNormBackward';
    argCount(op, arguments.length, 10);
    floatArg(op, 'x', x);
    optFloatArg(op, 'gamma', gamma, x);
    floatArg(op, 'mean', mean, x);
    floatArg(op, 'invStd', invStd, x);
    floatArg(op, 'dy', dy, x);
    floatArg(op, 'dx', dx, x);
    optFloatArg(op, 'dgamma', dg, x);
    optFloatArg(op, 'dbeta', dbeta, x);
    dimArg(op, 'rows', rows);
    dimArg(op, 'cols', cols);
    const len = product(op, 'rows*cols', rows, cols);
    for (const [nm, arr] of [
      ['x', x],
      ['dy', dy],
      ['dx', dx],
    ] as const)
      lengthIs(op, nm, arr, len, 'rows*cols');
    for (const [nm, arr] of [
      ['gamma', gamma],
      ['mean', mean],
      ['invStd', invStd],
      ['dgamma', dg],
      ['dbeta', dbeta],
    ] as const)
      if (arr) lengthIs(op, nm, arr, cols, 'cols');
    sameOrDisjoint(op, 'dx', dx, 'dy', dy);
    const ins: [string, FloatArray | null][] = [
      ['x', x],
      ['gamma', gamma],
      ['mean', mean],
      ['invStd', invStd],
    ];
    const outs: [string, FloatArray | null][] = [
      ['dx', dx],
      ['dgamma', dg],
      ['dbeta', dbeta],
    ];
    for (const [on, o] of outs) {
      if (!o) continue;
      for (const [n2, a] of ins) if (a) noOverlap(op, on, o, n2, a);
      for (const [n2, a] of outs) if (a && n2 !== on) noOverlap(op, on, o, n2, a);
      if (on !== 'dx') noOverlap(op, on, o, 'dy', dy);
    }
    k.batchNormBackward(x, gamma, mean, invStd, dy, dx, dg, dbeta, rows, cols);
  }

  return {
    conv2dForward,
    conv2dBackward,
    maxPool2dForward,
    maxPool2dBackward,
    avgPool2dForward,
    avgPool2dBackward,
    batchNormForward,
    batchNormBackward,
  };
}
