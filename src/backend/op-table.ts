/**
 * The op table: every op of the op set with its arguments, whether it has an off-main-thread twin, and
 * a builder of small valid calls. The name lists in ops.ts are derived from it (and checked against the
 * Backend interface at compile time there); the bad-input suite and scripts/fuzz-native.js generate
 * their cases from it. Adding an op means a row here, the Backend method, both kernels and the tests.
 */
import { Activation } from './activations';

/** What an argument is; the checks every backend applies follow from it (see ops.ts). */
export type ArgKind =
  | 'bool'
  | 'dim' // an integer in [0, 2^31 - 1] that sizes arrays
  | 'num' // any number
  | 'act' // an activation code
  | 'floats' // a Float32Array / Float64Array, of the call's one float type
  | 'optFloats' // the same, or null
  | 'int32s' // an Int32Array of indices
  | 'int32Out'; // an Int32Array the op writes (indices a later op reads, e.g. max-pooling's argmax)

export interface ArgSpec {
  readonly name: string;
  readonly kind: ArgKind;
  /**
   * Arrays: the length the op requires, a product of sizes (`'m*k'`, `'rows'`). A size is a dim argument of
   * the op, or `len`: the one length shared by the arrays of an op without dims, or a size derived from the
   * dims (`inCPerGroup` = inC/groups). null: any length.
   */
  readonly length?: string | null;
  /** Index arrays: every value must lie in [0, this size). */
  readonly bound?: string;
  /** Scalars: the value a valid call passes. */
  readonly sample?: number | boolean;
}

/** Options of a built call. */
export interface CallOptions {
  /** The sizes (dims and `len`); defaults to SAMPLE_SIZES. */
  sizes?: Readonly<Record<string, number>>;
  /** The float type of the arrays (default Float32Array). */
  float?: Float32ArrayConstructor | Float64ArrayConstructor;
  /** The value float arrays are filled with (default 0.5, valid for every op: a probability too). */
  fill?: number;
}

export interface OpSpec<
  A extends readonly ArgSpec[] = readonly ArgSpec[],
  R extends 'void' | 'number' = 'void' | 'number',
  Y extends boolean = boolean,
> {
  readonly args: A;
  /** What the op returns: nothing, or a number (the losses, sumSquares, l1l2). */
  readonly returns: R;
  /** Whether the backend may also offer `<name>Async`, run off the main thread. */
  readonly async: Y;
  /** A small call every backend accepts. */
  valid(options?: CallOptions): unknown[];
}

export const SAMPLE_SIZES: Readonly<Record<string, number>> = Object.freeze({
  m: 2,
  k: 3,
  n: 4,
  rows: 2,
  cols: 4,
  len: 5,
  // sequence models
  vocab: 3,
  dim: 2,
  batch: 2,
  steps: 3,
  inputSize: 2,
  units: 2,
  // convolution and pooling: a 5×4×2 input, 2×2 windows at stride 1, no padding → 4×3 outputs
  inH: 5,
  inW: 4,
  inC: 2,
  kH: 2,
  kW: 2,
  outC: 3,
  strideH: 1,
  strideW: 1,
  padTop: 0,
  padLeft: 0,
  dilationH: 1,
  dilationW: 1,
  outH: 4,
  outW: 3,
  groups: 1,
  /** Positions in a pooling window (kH·kW): the bound of max-pooling's argmax. */
  window: 4,
  // attention: 2 heads, 3 queries attending to 4 keys, keys of 2 values and values of 3
  heads: 2,
  tq: 3,
  tk: 4,
  keyDim: 2,
  valueDim: 3,
  seed: 1,
  /** Input channels per group (inC/groups): a convolution kernel is kH×kW×inCPerGroup×outC. */
  inCPerGroup: 2,
});

/** The length an array argument needs for the given sizes (null: any); a factor may be an integer ('3*units'). */
export function lengthOf(arg: ArgSpec, sizes: Readonly<Record<string, number>>): number | null {
  if (arg.length === undefined || arg.length === null) return null;
  return arg.length.split('*').reduce((p, s) => {
    const v = /^[0-9]+$/.test(s) ? Number(s) : sizes[s];
    if (v === undefined) throw new Error(`op table: size '${s}' of '${arg.name}' has no value`);
    return p * v;
  }, 1);
}

function buildCall(args: readonly ArgSpec[], options: CallOptions = {}): unknown[] {
  const sizes = { ...SAMPLE_SIZES, ...options.sizes };
  const F = options.float ?? Float32Array;
  return args.map((a) => {
    switch (a.kind) {
      case 'dim':
        return sizes[a.name];
      case 'floats':
      case 'optFloats':
        return new F(lengthOf(a, sizes) ?? sizes.len).fill(options.fill ?? 0.5);
      case 'int32s': {
        const bound = sizes[a.bound!];
        // Spread over the valid range, both ends included.
        return Int32Array.from({ length: lengthOf(a, sizes) ?? 0 }, (_, r) => (r * (bound - 1)) % bound);
      }
      case 'int32Out':
        return new Int32Array(lengthOf(a, sizes) ?? 0);
      default:
        return a.sample;
    }
  });
}

const bool = (name: string, sample = false) => ({ name, kind: 'bool', sample }) as const;
const dim = (name: string) => ({ name, kind: 'dim' }) as const;
const num = (name: string, sample: number) => ({ name, kind: 'num', sample }) as const;
const act = (sample: number) => ({ name: 'act', kind: 'act', sample }) as const;
const floats = (name: string, length: string | null) => ({ name, kind: 'floats', length }) as const;
const optFloats = (name: string, length: string) => ({ name, kind: 'optFloats', length }) as const;
const indices = (name: string, length: string, bound: string) => ({ name, kind: 'int32s', length, bound }) as const;
const indicesOut = (name: string, length: string) => ({ name, kind: 'int32Out', length }) as const;
/** An activation code argument with its own name (ops with more than one activation). */
const namedAct = (name: string, sample: number) => ({ name, kind: 'act', sample }) as const;

function op<
  const A extends readonly ArgSpec[],
  const R extends 'void' | 'number' = 'void',
  const Y extends boolean = false,
>(args: A, returns?: R, async?: Y): OpSpec<A, R, Y> {
  return Object.freeze({
    args,
    returns: (returns ?? 'void') as R,
    async: (async ?? false) as Y,
    valid: (o?: CallOptions) => buildCall(args, o),
  });
}

const rowsCols = 'rows*cols';
const loss = (pred: string) =>
  [floats(pred, rowsCols), floats('target', rowsCols), optFloats('grad', rowsCols), dim('rows'), dim('cols')] as const;
/** An optimizer step's arrays (parameters, gradient, optimizer state) share one length. */
const len = (name: string) => floats(name, 'len');
const lr = num('lr', 0.1);
const weightDecay = num('weightDecay', 0);

// convolution and pooling: NHWC inputs [batch, inH, inW, inC], kernels [kH, kW, inC/groups, outC] (TF.js layout).
const CONV_IN = 'batch*inH*inW*inC';
const CONV_OUT = 'batch*outH*outW*outC';
const CONV_KERNEL = 'kH*kW*inCPerGroup*outC';
const POOLED = 'batch*outH*outW*inC';
const GEOMETRY = [dim('strideH'), dim('strideW'), dim('padTop'), dim('padLeft')] as const;
const CONV_DIMS = [
  dim('batch'),
  dim('inH'),
  dim('inW'),
  dim('inC'),
  dim('kH'),
  dim('kW'),
  dim('outC'),
  ...GEOMETRY,
  dim('dilationH'),
  dim('dilationW'),
  dim('outH'),
  dim('outW'),
  dim('groups'),
] as const;
const POOL_DIMS = [
  dim('batch'),
  dim('inH'),
  dim('inW'),
  dim('inC'),
  dim('kH'),
  dim('kW'),
  ...GEOMETRY,
  dim('outH'),
  dim('outW'),
] as const;

// graph-model layers: a transposed convolution's kernel is [kH, kW, outC, inC] (TF.js Conv2DTranspose layout) and
// its dims are a convolution's without groups.
const CONV_T_KERNEL = 'kH*kW*outC*inC';
const CONV_T_DIMS = [
  dim('batch'),
  dim('inH'),
  dim('inW'),
  dim('inC'),
  dim('kH'),
  dim('kW'),
  dim('outC'),
  ...GEOMETRY,
  dim('dilationH'),
  dim('dilationW'),
  dim('outH'),
  dim('outW'),
] as const;

// attention: projections are [batch, steps, heads, depth] (as a dense layer's [batch·steps, heads·depth] output)
const ATTN_Q = 'batch*tq*heads*keyDim';
const ATTN_K = 'batch*tk*heads*keyDim';
const ATTN_V = 'batch*tk*heads*valueDim';
const ATTN_OUT = 'batch*tq*heads*valueDim';
const ATTN_MASKS = [
  optFloats('mask', 'batch*tq*tk'),
  optFloats('keyMask', 'batch*tk'),
  optFloats('queryMask', 'batch*tq'),
] as const;
const ATTN_DIMS = [
  dim('batch'),
  dim('heads'),
  dim('tq'),
  dim('tk'),
  dim('keyDim'),
  dim('valueDim'),
  num('scale', 0.5),
  bool('causal'),
  num('dropout', 0),
  dim('seed'),
] as const;

/** Every op, in the order of the Backend interface. */
export const OP_TABLE = {
  gemm: op(
    [
      bool('transA'),
      bool('transB', true),
      dim('m'),
      dim('n'),
      dim('k'),
      num('alpha', 1),
      floats('a', 'm*k'),
      floats('b', 'k*n'),
      num('beta', 0),
      floats('c', 'm*n'),
    ],
    'void',
    true,
  ),
  activationForward: op([
    act(Activation.sigmoid),
    num('alpha', 0),
    floats('z', rowsCols),
    floats('y', rowsCols),
    dim('rows'),
    dim('cols'),
  ]),
  activationBackward: op([
    act(Activation.sigmoid),
    num('alpha', 0),
    floats('z', rowsCols),
    floats('y', rowsCols),
    floats('dy', rowsCols),
    floats('dz', rowsCols),
    dim('rows'),
    dim('cols'),
  ]),
  denseForward: op(
    [
      floats('x', 'm*k'),
      floats('w', 'k*n'),
      optFloats('b', 'n'),
      floats('z', 'm*n'),
      floats('y', 'm*n'),
      dim('m'),
      dim('k'),
      dim('n'),
      act(Activation.relu),
      num('alpha', 0),
    ],
    'void',
    true,
  ),
  denseBackward: op(
    [
      floats('x', 'm*k'),
      floats('w', 'k*n'),
      floats('z', 'm*n'),
      floats('y', 'm*n'),
      floats('dy', 'm*n'),
      floats('dz', 'm*n'),
      floats('dw', 'k*n'),
      optFloats('db', 'n'),
      optFloats('dx', 'm*k'),
      dim('m'),
      dim('k'),
      dim('n'),
      act(Activation.relu),
      num('alpha', 0),
    ],
    'void',
    true,
  ),
  meanSquaredError: op(loss('pred'), 'number'),
  meanAbsoluteError: op(loss('pred'), 'number'),
  huber: op([...loss('pred'), num('delta', 1)], 'number'),
  binaryCrossentropy: op(loss('prob'), 'number'),
  sigmoidCrossEntropyWithLogits: op(loss('logits'), 'number'),
  categoricalCrossentropy: op(loss('prob'), 'number'),
  softmaxCrossEntropy: op(loss('logits'), 'number'),
  softmaxCrossEntropySparse: op(
    [
      floats('logits', rowsCols),
      indices('labels', 'rows', 'cols'),
      optFloats('grad', rowsCols),
      dim('rows'),
      dim('cols'),
    ],
    'number',
  ),
  sgdStep: op([len('w'), len('g'), lr, weightDecay]),
  momentumStep: op([
    len('w'),
    len('g'),
    len('velocity'),
    lr,
    num('momentum', 0.9),
    bool('nesterov', true),
    weightDecay,
  ]),
  rmspropStep: op([len('w'), len('g'), len('meanSquare'), lr, num('rho', 0.9), num('epsilon', 1e-7), weightDecay]),
  adagradStep: op([len('w'), len('g'), len('accumulator'), lr, num('epsilon', 1e-7), weightDecay]),
  adamStep: op(
    [
      len('w'),
      len('g'),
      len('m'),
      len('v'),
      lr,
      num('beta1', 0.9),
      num('beta2', 0.999),
      num('epsilon', 1e-7),
      num('t', 1),
      weightDecay,
      bool('decoupled'),
    ],
    'void',
    true,
  ),
  sumSquares: op([floats('x', null)], 'number'),
  scale: op([floats('x', null), num('s', 2)]),
  clip: op([floats('x', null), num('lo', -1), num('hi', 1)]),
  l1l2: op([len('w'), len('g'), num('l1', 0.01), num('l2', 0.01)], 'number'),

  // sequence models: embedding lookups, the fused recurrent layers (whole sequence per call), layer normalization
  embeddingForward: op([
    indices('ids', 'n', 'vocab'),
    floats('table', 'vocab*dim'),
    floats('out', 'n*dim'),
    dim('n'),
    dim('vocab'),
    dim('dim'),
  ]),
  embeddingBackward: op([
    indices('ids', 'n', 'vocab'),
    floats('dy', 'n*dim'),
    floats('dTable', 'vocab*dim'),
    dim('n'),
    dim('vocab'),
    dim('dim'),
  ]),
  sparseSgdStep: op([
    indices('ids', 'n', 'vocab'),
    floats('w', 'vocab*dim'),
    floats('g', 'vocab*dim'),
    dim('n'),
    dim('vocab'),
    dim('dim'),
    lr,
  ]),
  simpleRnnForward: op(
    [
      floats('x', 'batch*steps*inputSize'),
      floats('kernel', 'inputSize*units'),
      floats('recurrentKernel', 'units*units'),
      optFloats('bias', 'units'),
      optFloats('mask', 'batch*steps'),
      floats('xT', 'steps*batch*inputSize'),
      floats('z', 'steps*batch*units'),
      floats('hs', 'steps*batch*units'),
      optFloats('y', 'batch*steps*units'),
      dim('batch'),
      dim('steps'),
      dim('inputSize'),
      dim('units'),
      act(Activation.tanh),
      bool('goBackwards'),
    ],
    'void',
    true,
  ),
  simpleRnnBackward: op(
    [
      floats('xT', 'steps*batch*inputSize'),
      floats('kernel', 'inputSize*units'),
      floats('recurrentKernel', 'units*units'),
      optFloats('mask', 'batch*steps'),
      floats('z', 'steps*batch*units'),
      floats('hs', 'steps*batch*units'),
      optFloats('dySeq', 'batch*steps*units'),
      optFloats('dyLast', 'batch*units'),
      floats('dKernel', 'inputSize*units'),
      floats('dRecurrentKernel', 'units*units'),
      optFloats('dBias', 'units'),
      optFloats('dx', 'batch*steps*inputSize'),
      floats('dh', 'batch*units'),
      dim('batch'),
      dim('steps'),
      dim('inputSize'),
      dim('units'),
      act(Activation.tanh),
      bool('goBackwards'),
    ],
    'void',
    true,
  ),
  lstmForward: op(
    [
      floats('x', 'batch*steps*inputSize'),
      floats('kernel', 'inputSize*4*units'),
      floats('recurrentKernel', 'units*4*units'),
      optFloats('bias', '4*units'),
      optFloats('mask', 'batch*steps'),
      floats('xT', 'steps*batch*inputSize'),
      floats('gates', 'steps*batch*4*units'),
      floats('cells', 'steps*batch*units'),
      floats('hs', 'steps*batch*units'),
      optFloats('y', 'batch*steps*units'),
      dim('batch'),
      dim('steps'),
      dim('inputSize'),
      dim('units'),
      act(Activation.tanh),
      namedAct('recurrentAct', Activation.sigmoid),
      bool('goBackwards'),
    ],
    'void',
    true,
  ),
  lstmBackward: op(
    [
      floats('xT', 'steps*batch*inputSize'),
      floats('kernel', 'inputSize*4*units'),
      floats('recurrentKernel', 'units*4*units'),
      optFloats('mask', 'batch*steps'),
      floats('gates', 'steps*batch*4*units'),
      floats('cells', 'steps*batch*units'),
      floats('hs', 'steps*batch*units'),
      optFloats('dySeq', 'batch*steps*units'),
      optFloats('dyLast', 'batch*units'),
      floats('dKernel', 'inputSize*4*units'),
      floats('dRecurrentKernel', 'units*4*units'),
      optFloats('dBias', '4*units'),
      optFloats('dx', 'batch*steps*inputSize'),
      floats('dh', 'batch*units'),
      floats('dc', 'batch*units'),
      dim('batch'),
      dim('steps'),
      dim('inputSize'),
      dim('units'),
      act(Activation.tanh),
      namedAct('recurrentAct', Activation.sigmoid),
      bool('goBackwards'),
    ],
    'void',
    true,
  ),
  gruForward: op(
    [
      floats('x', 'batch*steps*inputSize'),
      floats('kernel', 'inputSize*3*units'),
      floats('recurrentKernel', 'units*3*units'),
      optFloats('bias', '3*units'),
      optFloats('recurrentBias', '3*units'),
      optFloats('mask', 'batch*steps'),
      floats('xT', 'steps*batch*inputSize'),
      floats('gates', 'steps*batch*3*units'),
      floats('rh', 'steps*batch*units'),
      floats('hs', 'steps*batch*units'),
      floats('scratch', 'batch*3*units'),
      optFloats('y', 'batch*steps*units'),
      dim('batch'),
      dim('steps'),
      dim('inputSize'),
      dim('units'),
      act(Activation.tanh),
      namedAct('recurrentAct', Activation.sigmoid),
      bool('resetAfter', true),
      bool('goBackwards'),
    ],
    'void',
    true,
  ),
  gruBackward: op(
    [
      floats('xT', 'steps*batch*inputSize'),
      floats('kernel', 'inputSize*3*units'),
      floats('recurrentKernel', 'units*3*units'),
      optFloats('mask', 'batch*steps'),
      floats('gates', 'steps*batch*3*units'),
      floats('rh', 'steps*batch*units'),
      floats('hs', 'steps*batch*units'),
      optFloats('dySeq', 'batch*steps*units'),
      optFloats('dyLast', 'batch*units'),
      floats('dKernel', 'inputSize*3*units'),
      floats('dRecurrentKernel', 'units*3*units'),
      optFloats('dBias', '3*units'),
      optFloats('dRecurrentBias', '3*units'),
      optFloats('dx', 'batch*steps*inputSize'),
      floats('dh', 'batch*units'),
      floats('scratch', 'batch*3*units'),
      dim('batch'),
      dim('steps'),
      dim('inputSize'),
      dim('units'),
      act(Activation.tanh),
      namedAct('recurrentAct', Activation.sigmoid),
      bool('resetAfter', true),
      bool('goBackwards'),
    ],
    'void',
    true,
  ),
  layerNormForward: op([
    floats('x', 'rows*cols'),
    optFloats('gamma', 'cols'),
    optFloats('beta', 'cols'),
    floats('y', 'rows*cols'),
    floats('stats', 'rows*2'),
    dim('rows'),
    dim('cols'),
    num('epsilon', 1e-3),
  ]),
  layerNormBackward: op([
    floats('x', 'rows*cols'),
    optFloats('gamma', 'cols'),
    floats('stats', 'rows*2'),
    floats('dy', 'rows*cols'),
    optFloats('dx', 'rows*cols'),
    optFloats('dGamma', 'cols'),
    optFloats('dBeta', 'cols'),
    dim('rows'),
    dim('cols'),
  ]),
  // convolution, pooling and batch normalization
  conv2dForward: op(
    [
      floats('x', CONV_IN),
      floats('w', CONV_KERNEL),
      optFloats('b', 'outC'),
      floats('z', CONV_OUT),
      floats('y', CONV_OUT),
      ...CONV_DIMS,
      act(Activation.relu),
      num('alpha', 0),
    ],
    'void',
    true,
  ),
  conv2dBackward: op(
    [
      floats('x', CONV_IN),
      floats('w', CONV_KERNEL),
      floats('z', CONV_OUT),
      floats('y', CONV_OUT),
      floats('dy', CONV_OUT),
      floats('dz', CONV_OUT),
      floats('dw', CONV_KERNEL),
      optFloats('db', 'outC'),
      optFloats('dx', CONV_IN),
      ...CONV_DIMS,
      act(Activation.relu),
      num('alpha', 0),
    ],
    'void',
    true,
  ),
  maxPool2dForward: op(
    [floats('x', CONV_IN), floats('y', POOLED), indicesOut('argmax', POOLED), ...POOL_DIMS],
    'void',
    true,
  ),
  maxPool2dBackward: op(
    [floats('dy', POOLED), indices('argmax', POOLED, 'window'), floats('dx', CONV_IN), ...POOL_DIMS],
    'void',
    true,
  ),
  avgPool2dForward: op([floats('x', CONV_IN), floats('y', POOLED), ...POOL_DIMS], 'void', true),
  avgPool2dBackward: op([floats('dy', POOLED), floats('dx', CONV_IN), ...POOL_DIMS], 'void', true),
  batchNormForward: op(
    [
      floats('x', rowsCols),
      optFloats('gamma', 'cols'),
      optFloats('beta', 'cols'),
      floats('movingMean', 'cols'),
      floats('movingVariance', 'cols'),
      floats('mean', 'cols'),
      floats('invStd', 'cols'),
      floats('y', rowsCols),
      dim('rows'),
      dim('cols'),
      num('epsilon', 1e-3),
      num('momentum', 0.99),
      bool('training', true),
    ],
    'void',
    true,
  ),
  batchNormBackward: op(
    [
      floats('x', rowsCols),
      optFloats('gamma', 'cols'),
      floats('mean', 'cols'),
      floats('invStd', 'cols'),
      floats('dy', rowsCols),
      floats('dx', rowsCols),
      optFloats('dgamma', 'cols'),
      optFloats('dbeta', 'cols'),
      dim('rows'),
      dim('cols'),
    ],
    'void',
    true,
  ),
  // ---- graph-model layers: the transposed convolution (Conv2DTranspose) -----------------------------------
  conv2dTransposeForward: op(
    [
      floats('x', CONV_IN),
      floats('w', CONV_T_KERNEL),
      optFloats('b', 'outC'),
      floats('z', CONV_OUT),
      floats('y', CONV_OUT),
      ...CONV_T_DIMS,
      act(Activation.relu),
      num('alpha', 0),
    ],
    'void',
    true,
  ),
  conv2dTransposeBackward: op(
    [
      floats('x', CONV_IN),
      floats('w', CONV_T_KERNEL),
      floats('z', CONV_OUT),
      floats('y', CONV_OUT),
      floats('dy', CONV_OUT),
      floats('dz', CONV_OUT),
      floats('dw', CONV_T_KERNEL),
      optFloats('db', 'outC'),
      optFloats('dx', CONV_IN),
      ...CONV_T_DIMS,
      act(Activation.relu),
      num('alpha', 0),
    ],
    'void',
    true,
  ),
  // attention: fused scaled dot-product attention over [batch, steps, heads, depth] projections (ops.ts)
  attentionForward: op(
    [
      floats('q', ATTN_Q),
      floats('k', ATTN_K),
      floats('v', ATTN_V),
      ...ATTN_MASKS,
      floats('out', ATTN_OUT),
      floats('lse', 'batch*heads*tq'),
      optFloats('probs', 'batch*heads*tq*tk'),
      ...ATTN_DIMS,
    ],
    'void',
    true,
  ),
  attentionBackward: op(
    [
      floats('q', ATTN_Q),
      floats('k', ATTN_K),
      floats('v', ATTN_V),
      ...ATTN_MASKS,
      floats('out', ATTN_OUT),
      floats('lse', 'batch*heads*tq'),
      floats('dOut', ATTN_OUT),
      floats('dq', ATTN_Q),
      floats('dk', ATTN_K),
      floats('dv', ATTN_V),
      ...ATTN_DIMS,
    ],
    'void',
    true,
  ),
} as const;

export type OpName = keyof typeof OP_TABLE;
/** The ops, in table order. */
export const OP_NAMES = Object.freeze(Object.keys(OP_TABLE) as OpName[]);

type AsyncTwin<K extends OpName> = (typeof OP_TABLE)[K] extends { readonly async: true } ? `${K}Async` : never;
export type AsyncOpName = { [K in OpName]: AsyncTwin<K> }[OpName];
/** The optional off-main-thread twins (`gemmAsync`, ...). */
export const ASYNC_OP_NAMES = Object.freeze(
  OP_NAMES.filter((n) => OP_TABLE[n].async).map((n) => `${n}Async`) as AsyncOpName[],
);
