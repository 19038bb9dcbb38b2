/**
 * The elementwise autodiff kernels (formulas in ops.ts and elementwise.ts): `unary` (a chain of unary steps),
 * `binary` (NumPy broadcasting, then an optional chain of unary steps over its output) and `select`. Unchecked:
 * the checked entry points are in autodiff-ops.ts. Every value is computed in float64 (JS numbers) and rounded on
 * store; a chain's steps each store, so a fused chain gives the bits of its steps run one by one.
 *
 * Broadcasting: the operands' shapes are coalesced first (dims of size 1 dropped, neighbours merged where every
 * operand walks them as one), so most calls run one flat loop; the rest walk the outer dims with an odometer and
 * the innermost one with per-operand strides of 0 or 1. The plans live in module scratch: a call allocates nothing.
 */
import type { FloatArray } from '../ops';
import { Binary, MAX_KERNEL_RANK, Unary } from '../elementwise';
import { derivative, erfc, sigmoid } from './activations';
import { Activation } from '../activations';

const U = Unary;
const B = Binary;
const INV_SQRT2 = Math.SQRT1_2;
/** Output values per block: the post chain runs over a block while it is in cache. */
const BLOCK = 1024;

/** One unary step on one value. */
export function unaryValue(code: number, x: number, p: number, q: number): number {
  switch (code) {
    case U.copy:
      return x;
    case U.neg:
      return -x;
    case U.abs:
      return Math.abs(x);
    case U.square:
      return x * x;
    case U.sqrt:
      return Math.sqrt(x);
    case U.rsqrt:
      return 1 / Math.sqrt(x);
    case U.exp:
      return Math.exp(x);
    case U.log:
      return Math.log(x);
    case U.log1p:
      return Math.log1p(x);
    case U.relu:
      return x < 0 ? 0 : x;
    case U.sigmoid:
      return sigmoid(x);
    case U.tanh:
      return Math.tanh(x);
    case U.gelu:
      return 0.5 * x * erfc(-x * INV_SQRT2);
    case U.softplus:
      return (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
    case U.sign:
      return x > 0 ? 1 : x < 0 ? -1 : x;
    case U.step:
      return x > 0 ? 1 : 0;
    case U.reciprocal:
      return 1 / x;
    case U.clip:
      return x !== x ? x : x < p ? p : x > q ? q : x;
    case U.addScalar:
      return x + p;
    case U.mulScalar:
      return x * p;
    case U.rsubScalar:
      return p - x;
    case U.divScalar:
      return x / p;
    case U.rdivScalar:
      return p / x;
    case U.powScalar:
      return Math.pow(x, p);
    case U.maxScalar:
      return x !== x || p !== p ? NaN : x > p ? x : p;
    case U.minScalar:
      return x !== x || p !== p ? NaN : x < p ? x : p;
    case U.fill:
      return p;
    case U.inRange:
      return x >= p && x <= q ? 1 : 0;
    default:
      throw new RangeError(`unary code ${code} is unknown`);
  }
}

type UnaryLoop = (p: number, x: FloatArray, xo: number, y: FloatArray, yo: number, n: number) => void;

// One small function per hot loop (V8 optimizes a small function with one loop far better than one switch of
// many loops: measured 3-5x on 1k-element runs); the rest go through unaryValue per element.
const UNARY_LOOPS: (UnaryLoop | undefined)[] = [];
UNARY_LOOPS[U.copy] = (_p, x, xo, y, yo, n) => {
  if (x !== y || xo !== yo) for (let i = 0; i < n; i++) y[yo + i] = x[xo + i];
};
UNARY_LOOPS[U.relu] = (_p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    y[yo + i] = v < 0 ? 0 : v;
  }
};
UNARY_LOOPS[U.addScalar] = (p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) y[yo + i] = x[xo + i] + p;
};
UNARY_LOOPS[U.mulScalar] = (p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) y[yo + i] = x[xo + i] * p;
};
UNARY_LOOPS[U.divScalar] = (p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) y[yo + i] = x[xo + i] / p;
};
UNARY_LOOPS[U.square] = (_p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    y[yo + i] = v * v;
  }
};
UNARY_LOOPS[U.neg] = (_p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) y[yo + i] = -x[xo + i];
};
UNARY_LOOPS[U.exp] = (_p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) y[yo + i] = Math.exp(x[xo + i]);
};
UNARY_LOOPS[U.tanh] = (_p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) y[yo + i] = Math.tanh(x[xo + i]);
};
UNARY_LOOPS[U.sigmoid] = (_p, x, xo, y, yo, n) => {
  for (let i = 0; i < n; i++) y[yo + i] = sigmoid(x[xo + i]);
};
UNARY_LOOPS[U.fill] = (p, _x, _xo, y, yo, n) => {
  y.fill(p, yo, yo + n);
};

/** y[yo + i] = f(x[xo + i]) for i < n; x and y may be the same array (in place). */
export function unaryRange(
  code: number,
  p: number,
  q: number,
  x: FloatArray,
  xo: number,
  y: FloatArray,
  yo: number,
  n: number,
): void {
  const loop = UNARY_LOOPS[code];
  if (loop) loop(p, x, xo, y, yo, n);
  else for (let i = 0; i < n; i++) y[yo + i] = unaryValue(code, x[xo + i], p, q);
}

/** Runs chain steps [0, chain) in place over y[o .. o + n). */
function runChain(codes: Int32Array, params: FloatArray, chain: number, y: FloatArray, o: number, n: number): void {
  for (let s = 0; s < chain; s++) unaryRange(codes[s], params[2 * s], params[2 * s + 1], y, o, y, o, n);
}

/** The unary kernel: a chain of steps from x into y (chain 0: a copy). */
export function unaryUnchecked(
  codes: Int32Array,
  params: FloatArray,
  x: FloatArray,
  y: FloatArray,
  len: number,
  chain: number,
): void {
  if (chain === 0) {
    if (x !== y) for (let i = 0; i < len; i++) y[i] = x[i];
    return;
  }
  // The first step reads x and writes y; the rest run in place over y, one block at a time.
  for (let o = 0; o < len; o += BLOCK) {
    const n = Math.min(BLOCK, len - o);
    unaryRange(codes[0], params[0], params[1], x, o, y, o, n);
    for (let s = 1; s < chain; s++) unaryRange(codes[s], params[2 * s], params[2 * s + 1], y, o, y, o, n);
  }
}

/** One binary op on one pair of values. */
export function binaryValue(code: number, a: number, b: number): number {
  switch (code) {
    case B.add:
      return a + b;
    case B.sub:
      return a - b;
    case B.mul:
      return a * b;
    case B.div:
      return a / b;
    case B.pow:
      return Math.pow(a, b);
    case B.minimum:
      return a !== a || b !== b ? NaN : a < b ? a : b;
    case B.maximum:
      return a !== a || b !== b ? NaN : a > b ? a : b;
    case B.greater:
      return a > b ? 1 : 0;
    case B.greaterEqual:
      return a >= b ? 1 : 0;
    case B.less:
      return a < b ? 1 : 0;
    case B.lessEqual:
      return a <= b ? 1 : 0;
    case B.equal:
      return a === b ? 1 : 0;
    case B.notEqual:
      return a !== b ? 1 : 0;
    case B.reluGrad:
      return b > 0 ? a : 0;
    case B.sigmoidGrad:
      return b * (1 - b) * a;
    case B.tanhGrad:
      return (1 - b * b) * a;
    case B.geluGrad:
      return derivative(Activation.gelu, 0, b, 0) * a;
    case B.softplusGrad:
      return sigmoid(b) * a;
    case B.sqrtGrad:
      return a / (2 * b);
    case B.rsqrtGrad:
      return -0.5 * a * (b * b * b);
    default:
      throw new RangeError(`binary code ${code} is unknown`);
  }
}

type BinaryLoop = (a: FloatArray, ao: number, b: FloatArray, bo: number, out: FloatArray, o: number, n: number) => void;

// As the unary loops: one small function per hot (code, stride pattern); a, b both running (VV), b a scalar (VS),
// a a scalar (SV).
const VV: (BinaryLoop | undefined)[] = [];
const VS: (BinaryLoop | undefined)[] = [];
const SV: (BinaryLoop | undefined)[] = [];
VV[B.add] = (a, ao, b, bo, out, o, n) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ao + i] + b[bo + i];
};
VV[B.sub] = (a, ao, b, bo, out, o, n) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ao + i] - b[bo + i];
};
VV[B.mul] = (a, ao, b, bo, out, o, n) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ao + i] * b[bo + i];
};
VV[B.div] = (a, ao, b, bo, out, o, n) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ao + i] / b[bo + i];
};
VV[B.reluGrad] = (a, ao, b, bo, out, o, n) => {
  for (let i = 0; i < n; i++) out[o + i] = b[bo + i] > 0 ? a[ao + i] : 0;
};
VV[B.tanhGrad] = (a, ao, b, bo, out, o, n) => {
  for (let i = 0; i < n; i++) {
    const v = b[bo + i];
    out[o + i] = (1 - v * v) * a[ao + i];
  }
};
VV[B.sigmoidGrad] = (a, ao, b, bo, out, o, n) => {
  for (let i = 0; i < n; i++) {
    const v = b[bo + i];
    out[o + i] = v * (1 - v) * a[ao + i];
  }
};
VS[B.add] = (a, ao, b, bo, out, o, n) => {
  const bv = b[bo];
  for (let i = 0; i < n; i++) out[o + i] = a[ao + i] + bv;
};
VS[B.sub] = (a, ao, b, bo, out, o, n) => {
  const bv = b[bo];
  for (let i = 0; i < n; i++) out[o + i] = a[ao + i] - bv;
};
VS[B.mul] = (a, ao, b, bo, out, o, n) => {
  const bv = b[bo];
  for (let i = 0; i < n; i++) out[o + i] = a[ao + i] * bv;
};
VS[B.div] = (a, ao, b, bo, out, o, n) => {
  const bv = b[bo];
  for (let i = 0; i < n; i++) out[o + i] = a[ao + i] / bv;
};
SV[B.add] = (a, ao, b, bo, out, o, n) => {
  const av = a[ao];
  for (let i = 0; i < n; i++) out[o + i] = av + b[bo + i];
};
SV[B.sub] = (a, ao, b, bo, out, o, n) => {
  const av = a[ao];
  for (let i = 0; i < n; i++) out[o + i] = av - b[bo + i];
};
SV[B.mul] = (a, ao, b, bo, out, o, n) => {
  const av = a[ao];
  for (let i = 0; i < n; i++) out[o + i] = av * b[bo + i];
};

/** out[o + i] = f(a[ao + i·sa], b[bo + i·sb]) for i < n, with operand strides 0 or 1. */
function binaryRun(
  code: number,
  a: FloatArray,
  ao: number,
  sa: number,
  b: FloatArray,
  bo: number,
  sb: number,
  out: FloatArray,
  o: number,
  n: number,
): void {
  const loop = sa === 1 ? (sb === 1 ? VV[code] : VS[code]) : sb === 1 ? SV[code] : undefined;
  if (loop) loop(a, ao, b, bo, out, o, n);
  else for (let i = 0; i < n; i++) out[o + i] = binaryValue(code, a[ao + i * sa], b[bo + i * sb]);
}

/**
 * A coalesced walk over an output shape for up to three operands: `rank` dims (outermost first) and each
 * operand's stride per dim (0 where it is broadcast), then a cursor over the output's contiguous runs (at most
 * BLOCK long): `begin()`, then `next()` until it returns false; each run starts at operand offsets o0, o1, o2 and
 * output offset `out`, and is `n` long, the operands stepping by their inner strides. Module scratch, reused by
 * every call: nothing is allocated.
 */
class Walk {
  rank = 0;
  total = 0;
  // Plain arrays of small integers, not Float64Arrays: V8 keeps their values as small integers, so the offsets the
  // kernels index with stay integers (doubles read from a Float64Array made the loops several times slower).
  readonly dims: number[] = new Array<number>(MAX_KERNEL_RANK).fill(0);
  readonly strides = [0, 1, 2].map(() => new Array<number>(MAX_KERNEL_RANK).fill(0));
  private readonly raw = [0, 1, 2].map(() => new Array<number>(MAX_KERNEL_RANK).fill(0));
  private readonly index: number[] = new Array<number>(MAX_KERNEL_RANK).fill(0);
  // the cursor
  o0 = 0;
  o1 = 0;
  o2 = 0;
  out = 0;
  n = 0;
  s0 = 0;
  s1 = 0;
  s2 = 0;
  private inner = 1;
  private outer = 1;
  private row = 0;
  private i = 0;
  private b0 = 0;
  private b1 = 0;
  private b2 = 0;

  /** Plans the walk of `outShape` (its first `rank` values) for `count` operands of the given shapes. */
  plan(rank: number, outShape: Int32Array, count: number, s0: Int32Array, s1: Int32Array, s2: Int32Array | null): void {
    this.total = 1;
    for (let d = 0; d < rank; d++) this.total *= outShape[d];
    for (let j = 0; j < count; j++) {
      const shape = j === 0 ? s0 : j === 1 ? s1 : s2!;
      let p = 1;
      for (let d = rank - 1; d >= 0; d--) {
        const size = shape[d];
        this.raw[j][d] = size === 1 ? 0 : p;
        p *= size;
      }
    }
    let r = 0;
    for (let d = 0; d < rank; d++) {
      const size = outShape[d];
      if (size === 1) continue;
      let merge = r > 0;
      for (let j = 0; j < count && merge; j++) merge = this.strides[j][r - 1] === this.raw[j][d] * size;
      if (merge) {
        this.dims[r - 1] *= size;
        for (let j = 0; j < count; j++) this.strides[j][r - 1] = this.raw[j][d];
      } else {
        this.dims[r] = size;
        for (let j = 0; j < count; j++) this.strides[j][r] = this.raw[j][d];
        r++;
      }
    }
    for (let j = count; j < 3; j++) this.strides[j].fill(0);
    this.rank = r;
    this.s0 = r ? this.strides[0][r - 1] : 0;
    this.s1 = r ? this.strides[1][r - 1] : 0;
    this.s2 = r ? this.strides[2][r - 1] : 0;
  }

  /** Positions the cursor on the first run; false when the output is empty. */
  begin(): boolean {
    if (this.total === 0) return false;
    this.inner = this.rank ? this.dims[this.rank - 1] : 1;
    this.outer = this.total / this.inner;
    this.index.fill(0);
    this.row = this.i = this.b0 = this.b1 = this.b2 = 0;
    this.setRun();
    return true;
  }

  /** Moves to the next run; false after the last. */
  next(): boolean {
    this.i += BLOCK;
    if (this.i >= this.inner) {
      this.i = 0;
      if (++this.row >= this.outer) return false;
      // The odometer over the outer dims.
      const t0 = this.strides[0],
        t1 = this.strides[1],
        t2 = this.strides[2];
      for (let d = this.rank - 2; d >= 0; d--) {
        this.index[d]++;
        this.b0 += t0[d];
        this.b1 += t1[d];
        this.b2 += t2[d];
        if (this.index[d] < this.dims[d]) break;
        this.b0 -= t0[d] * this.dims[d];
        this.b1 -= t1[d] * this.dims[d];
        this.b2 -= t2[d] * this.dims[d];
        this.index[d] = 0;
      }
    }
    this.setRun();
    return true;
  }

  private setRun(): void {
    const i = this.i;
    this.n = Math.min(BLOCK, this.inner - i);
    this.o0 = this.b0 + i * this.s0;
    this.o1 = this.b1 + i * this.s1;
    this.o2 = this.b2 + i * this.s2;
    this.out = this.row * this.inner + i;
  }
}

const binaryWalk = new Walk();
const selectWalk = new Walk();

/** The binary kernel (unchecked). */
export function binaryUnchecked(
  code: number,
  rank: number,
  outShape: Int32Array,
  aShape: Int32Array,
  bShape: Int32Array,
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  post: Int32Array,
  postParams: FloatArray,
  chain: number,
): void {
  const w = binaryWalk;
  w.plan(rank, outShape, 2, aShape, bShape, null);
  for (let more = w.begin(); more; more = w.next()) {
    binaryRun(code, a, w.o0, w.s0, b, w.o1, w.s1, out, w.out, w.n);
    if (chain) runChain(post, postParams, chain, out, w.out, w.n);
  }
}

/** The select kernel (unchecked). */
export function selectUnchecked(
  rank: number,
  outShape: Int32Array,
  condShape: Int32Array,
  aShape: Int32Array,
  bShape: Int32Array,
  cond: FloatArray,
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
): void {
  const w = selectWalk;
  w.plan(rank, outShape, 3, condShape, aShape, bShape);
  for (let more = w.begin(); more; more = w.next()) {
    const { o0, o1, o2, out: o, n, s0, s1, s2 } = w;
    for (let i = 0; i < n; i++) out[o + i] = cond[o0 + i * s0] !== 0 ? a[o1 + i * s1] : b[o2 + i * s2];
  }
}
