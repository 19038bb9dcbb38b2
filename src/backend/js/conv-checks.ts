/**
 * The argument checks the convolution (conv-ops.ts) and the transposed convolution (conv-transpose.ts) share,
 * as native/conv_checks.h shares them natively: the geometry (dims, strides, dilations, groups, the lengths
 * they imply) and the arrays of the fused forward (x, w, b → z, y) and backward (→ dz, dw, db, dx).
 */
import type { FloatArray } from '../ops';
import { Activation } from '../activations';
import { checkBlasDims } from './table-checks';
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

/**
 * A convolution: 16 dims, the last `groups`, a kernel of kH·kW·(inC/groups)·outC. A transposed convolution:
 * the first 15 (no groups), a kernel of kH·kW·outC·inC (its adjoint convolution's, from outC to inC channels).
 */
export type ConvKind = 'conv' | 'transpose';

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
  'groups',
] as const;

/** How many dims a call of `kind` passes (before act and alpha). */
export const dimCount = (kind: ConvKind): number => (kind === 'conv' ? 16 : 15);

/** The lengths a call's arrays must have, once its dims are checked. */
export interface ConvSizes {
  input: number;
  output: number;
  kernel: number;
  /** The kernel's length as a formula, for messages. */
  kernelDims: string;
  outC: number;
}

export function atLeastOne(op: string, name: string, v: number): void {
  if (v < 1) throw new RangeError(`${op}(): '${name}' must be >= 1, got ${v}`);
}

/** Checks the dims of a call of `kind` (DIM_NAMES order); returns the array lengths they imply. */
export function convGeometry(op: string, kind: ConvKind, dims: readonly unknown[]): ConvSizes {
  const d: number[] = [];
  for (let i = 0; i < dimCount(kind); i++) d.push(dimArg(op, DIM_NAMES[i], dims[i]));
  const [batch, inH, inW, inC, kH, kW, outC, sH, sW, , , dH, dW, outH, outW] = d;
  atLeastOne(op, 'strideH', sH);
  atLeastOne(op, 'strideW', sW);
  atLeastOne(op, 'dilationH', dH);
  atLeastOne(op, 'dilationW', dW);
  const groups = kind === 'conv' ? d[15] : 1;
  if (kind === 'conv') {
    atLeastOne(op, 'groups', groups);
    if (inC % groups !== 0 || outC % groups !== 0) {
      throw new RangeError(`${op}(): 'groups' (${groups}) must divide inC (${inC}) and outC (${outC})`);
    }
  } else {
    // The columns of the adjoint convolution's im2col panels and of its flipped twin's are BLAS dimensions (ints).
    checkBlasDims(op, [
      ['kH*kW*outC', product(op, 'kH*kW*outC', kH, kW, outC)],
      ['kH*kW*inC', product(op, 'kH*kW*inC', kH, kW, inC)],
    ]);
  }
  const input = product(op, 'batch*inH*inW*inC', batch, inH, inW, inC);
  const output = product(op, 'batch*outH*outW*outC', batch, outH, outW, outC);
  const kernelDims = kind === 'conv' ? 'kH*kW*(inC/groups)*outC' : 'kH*kW*outC*inC';
  const kernel =
    kind === 'conv' ? product(op, kernelDims, kH, kW, inC / groups, outC) : product(op, kernelDims, kH, kW, outC, inC);
  return { input, output, kernel, kernelDims, outC };
}

/** The activation code that follows the dims, and alpha; softmax (a whole-row activation) is refused. */
function actAndAlpha(op: string, kind: ConvKind, rest: readonly unknown[]): number {
  const act = actArg(op, rest[dimCount(kind)]);
  numArg(op, 'alpha', rest[dimCount(kind) + 1]);
  if (act === Activation.softmax) {
    throw new RangeError(`${op}(): 'act' cannot be softmax here (apply softmax in a separate layer)`);
  }
  return act;
}

/** Checks a fused forward call, (x, w, b, z, y, ...dims, act, alpha), before any kernel reads it. */
export function checkConvForward(
  op: string,
  kind: ConvKind,
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  z: FloatArray,
  y: FloatArray,
  rest: readonly unknown[],
): void {
  argCount(op, 5 + rest.length, 5 + dimCount(kind) + 2);
  floatArg(op, 'x', x);
  floatArg(op, 'w', w, x);
  optFloatArg(op, 'b', b, x);
  floatArg(op, 'z', z, x);
  floatArg(op, 'y', y, x);
  const s = convGeometry(op, kind, rest);
  const act = actAndAlpha(op, kind, rest);
  lengthIs(op, 'x', x, s.input, 'batch*inH*inW*inC');
  lengthIs(op, 'w', w, s.kernel, s.kernelDims);
  if (b) lengthIs(op, 'b', b, s.outC, 'outC');
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
  // relu(z) > 0 exactly where z > 0, so relu's backward can read z's sign from y: y may replace z.
  if (act === Activation.linear || act === Activation.relu) sameOrDisjoint(op, 'y', y, 'z', z);
  else noOverlap(op, 'y', y, 'z', z);
}

/** Checks a fused backward call, (x, w, z, y, dy, dz, dw, db, dx, ...dims, act, alpha), before any kernel reads it. */
export function checkConvBackward(
  op: string,
  kind: ConvKind,
  x: FloatArray,
  w: FloatArray,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  dw: FloatArray,
  db: FloatArray | null,
  dx: FloatArray | null,
  rest: readonly unknown[],
): void {
  argCount(op, 9 + rest.length, 9 + dimCount(kind) + 2);
  floatArg(op, 'x', x);
  floatArg(op, 'w', w, x);
  floatArg(op, 'z', z, x);
  floatArg(op, 'y', y, x);
  floatArg(op, 'dy', dy, x);
  floatArg(op, 'dz', dz, x);
  floatArg(op, 'dw', dw, x);
  optFloatArg(op, 'db', db, x);
  optFloatArg(op, 'dx', dx, x);
  const s = convGeometry(op, kind, rest);
  actAndAlpha(op, kind, rest);
  lengthIs(op, 'x', x, s.input, 'batch*inH*inW*inC');
  lengthIs(op, 'w', w, s.kernel, s.kernelDims);
  for (const [nm, arr] of [
    ['z', z],
    ['y', y],
    ['dy', dy],
    ['dz', dz],
  ] as const)
    lengthIs(op, nm, arr, s.output, 'batch*outH*outW*outC');
  lengthIs(op, 'dw', dw, s.kernel, s.kernelDims);
  if (db) lengthIs(op, 'db', db, s.outC, 'outC');
  if (dx) lengthIs(op, 'dx', dx, s.input, 'batch*inH*inW*inC');
  checkFusedBackwardOverlaps(op, { x, w, z, y }, dy, { dz, dw, db, dx });
}
