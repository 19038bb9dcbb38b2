/**
 * Which ops the WebAssembly module computes, and how their arrays travel. The module works on copies in its own
 * memory: before the kernel runs, every array it reads is copied in; after, every array it writes is copied out.
 * For each op with a wasm kernel this table names the arrays the kernel writes: 'out' when it writes every
 * element without reading the old values (not copied in), 'inout' when it reads them or may leave some unchanged.
 * Arrays not named are inputs. Ops the module lacks run on the JS kernel (JS_FALLBACK_OPS), per op.
 */
import type { OpName } from '../op-table';

export type Role = 'out' | 'inout';
/** A role, or a function of the op's arguments choosing one. */
export type RoleRule = Role | ((args: ArrayLike<unknown>) => Role);

export const WASM_OPS: { readonly [K in OpName]?: Readonly<Record<string, RoleRule>> } = {
  // gemm reads c only when beta is not 0.
  gemm: { c: (args) => (args[8] === 0 ? 'out' : 'inout') },
  activationForward: { y: 'out' },
  activationBackward: { dz: 'out' },
  denseForward: { z: 'out', y: 'out' },
  denseBackward: { dz: 'out', dw: 'out', db: 'out', dx: 'out' },
  meanSquaredError: { grad: 'out' },
  meanAbsoluteError: { grad: 'out' },
  huber: { grad: 'out' },
  binaryCrossentropy: { grad: 'out' },
  sigmoidCrossEntropyWithLogits: { grad: 'out' },
  categoricalCrossentropy: { grad: 'out' },
  softmaxCrossEntropy: { grad: 'out' },
  softmaxCrossEntropySparse: { grad: 'out' },
  sgdStep: { w: 'inout' },
  momentumStep: { w: 'inout', velocity: 'inout' },
  rmspropStep: { w: 'inout', meanSquare: 'inout' },
  adagradStep: { w: 'inout', accumulator: 'inout' },
  adamStep: { w: 'inout', m: 'inout', v: 'inout' },
  sumSquares: {},
  scale: { x: 'inout' },
  clip: { x: 'inout' },
  l1l2: { g: 'inout' },
  embeddingForward: { out: 'out' },
  embeddingBackward: { dTable: 'inout' },
  sparseSgdStep: { w: 'inout', g: 'inout' },
  simpleRnnForward: { xT: 'out', z: 'out', hs: 'out', y: 'out' },
  // Backward overwrites the forward's workspaces (xT only when it computes dx).
  simpleRnnBackward: {
    xT: 'inout',
    z: 'inout',
    dKernel: 'out',
    dRecurrentKernel: 'out',
    dBias: 'out',
    dx: 'out',
    dh: 'out',
  },
  lstmForward: { xT: 'out', gates: 'out', cells: 'out', hs: 'out', y: 'out' },
  lstmBackward: {
    xT: 'inout',
    gates: 'inout',
    cells: 'inout',
    dKernel: 'out',
    dRecurrentKernel: 'out',
    dBias: 'out',
    dx: 'out',
    dh: 'out',
    dc: 'out',
  },
  // The scratch is a workspace the kernel writes only in part (resetAfter false).
  gruForward: { xT: 'out', gates: 'out', rh: 'out', hs: 'out', scratch: 'inout', y: 'out' },
  gruBackward: {
    xT: 'inout',
    gates: 'inout',
    rh: 'inout',
    dKernel: 'out',
    dRecurrentKernel: 'out',
    dBias: 'out',
    dRecurrentBias: 'out',
    dx: 'out',
    dh: 'out',
    scratch: 'inout',
  },
  // With zero columns the statistics are not written.
  layerNormForward: { y: 'out', stats: 'inout' },
  layerNormBackward: { dx: 'out', dGamma: 'out', dBeta: 'out' },
  conv2dForward: { z: 'out', y: 'out' },
  conv2dBackward: { dz: 'out', dw: 'out', db: 'out', dx: 'out' },
  maxPool2dForward: { y: 'out', argmax: 'out' },
  maxPool2dBackward: { dx: 'out' },
  avgPool2dForward: { y: 'out' },
  avgPool2dBackward: { dx: 'out' },
  batchNormForward: { movingMean: 'inout', movingVariance: 'inout', mean: 'out', invStd: 'out', y: 'out' },
  batchNormBackward: { dx: 'out', dgamma: 'out', dbeta: 'out' },
  // The autodiff ops (bp.ops). Outputs may be their inputs exactly (in place): the copies are then shared.
  unary: { y: 'out' },
  binary: { out: 'out' },
  select: { out: 'out' },
  reduce: { y: 'out' },
  matMul: { c: 'out' },
  // A strided copy writes only the positions it reaches (a slice of y, one part of a concat).
  stridedCopy: { y: 'inout' },
  gather: { y: 'out' },
  scatterAdd: { dx: 'inout' },
  oneHot: { y: 'out' },
  // Every output row is written (rows that see no key get zeros and a log-sum-exp of −∞).
  attentionForward: { out: 'out', lse: 'out', probs: 'out' },
  attentionBackward: { dq: 'out', dk: 'out', dv: 'out' },
  // y may be z (linear and relu), dz may be dy: the copies are then shared.
  conv2dTransposeForward: { z: 'out', y: 'out' },
  conv2dTransposeBackward: { dz: 'out', dw: 'out', db: 'out', dx: 'out' },
};

/**
 * The ops that run on the JS kernels under the wasm backend, on purpose: adding an op to the op set means either
 * a wasm kernel (wasm/src, a WASM_OPS row) or a line here. test/wasm checks that the two lists cover the op table.
 */
export const JS_FALLBACK_OPS: readonly OpName[] = [];
