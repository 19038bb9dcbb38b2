/**
 * The primitives every bp.op is built from, and how each runs on a backend. A node (`NodeSpec`) names its
 * primitive, its attributes and its shapes; `makeLaunch` turns it into a launch: a function of the backend and a
 * table of arrays (one per value, by id) that makes the kernel call, with every shape, stride and code array made
 * once, up front. Eager ops make a launch and run it once; traced programs make one per node when they are planned
 * and run it every step, allocating nothing.
 */
import type { Backend, DType, FloatArray } from '../backend/ops';
import { Unary, UNARY_CODES, BINARY_CODES, REDUCE_CODES } from '../backend/elementwise';
import { isAsyncSafe } from '../backend/memory';
import { floatCtor, sizeOf } from './tensor';

export type Prim =
  | 'unary'
  | 'binary'
  | 'select'
  | 'reduce'
  | 'matMul'
  | 'transpose'
  | 'slice'
  | 'pad'
  | 'tile'
  | 'broadcastTo'
  | 'concat'
  | 'gather'
  | 'scatterAdd'
  | 'oneHot'
  | 'reshape'
  | 'stopGradient'
  | 'custom';

/** One unary step: a code of backend/elementwise.ts and its two parameters. */
export interface UnaryStep {
  code: number;
  p: number;
  q: number;
}

export interface Attrs {
  /** unary: the step; binary, reduce: the code. */
  code?: number;
  p?: number;
  q?: number;
  /** unary, binary: unary steps fused after the op by the planner. */
  post?: UnaryStep[];
  /** reduce: the axes reduced and whether the output keeps them (the kernel always writes the keepDims shape). */
  axes?: number[];
  keepDims?: boolean;
  transposeA?: boolean;
  transposeB?: boolean;
  perm?: number[];
  /** slice: the start (size is the output shape); pad: the padding before each axis. */
  begin?: number[];
  /** pad: the value outside the input. */
  value?: number;
  reps?: number[];
  axis?: number;
  /** gather, scatterAdd, oneHot: constant indices (else they are the node's last input, as float values). */
  indices?: Int32Array;
  /** scatterAdd: the size of the gathered axis. */
  n?: number;
  depth?: number;
  on?: number;
  off?: number;
}

export interface NodeSpec {
  readonly prim: Prim;
  readonly attrs: Attrs;
  readonly inputShapes: readonly (readonly number[])[];
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** The grad-table key of a node: the code's name for unary, binary and reduce, else the primitive. */
export function opName(spec: { prim: Prim; attrs: Attrs }): string {
  switch (spec.prim) {
    case 'unary':
      return UNARY_CODES[spec.attrs.code!];
    case 'binary':
      return BINARY_CODES[spec.attrs.code!];
    case 'reduce':
      return REDUCE_CODES[spec.attrs.code!];
    default:
      return spec.prim;
  }
}

/** The primitives whose output is their first input's array (no kernel runs). */
export const ALIAS_PRIMS: ReadonlySet<Prim> = new Set<Prim>(['reshape', 'stopGradient']);

/** Multiply-adds above which a launch runs off the main thread when it can (a thread hop costs tens of µs). */
export const ASYNC_OP_MACS = 1 << 20;

export interface Launch {
  run(b: Backend, bufs: FloatArray[]): void;
  /** Off the main thread, when the backend can and the op is large; undefined: run synchronously. */
  runAsync?(b: Backend, bufs: FloatArray[]): Promise<void> | undefined;
}

/** Multiply-adds of a node (matMul; elementwise work is not counted, as layers count theirs). */
export function macsOf(spec: NodeSpec): number {
  if (spec.prim !== 'matMul') return 0;
  const a = spec.inputShapes[0];
  const k = spec.attrs.transposeA ? a[a.length - 2] : a[a.length - 1];
  return sizeOf(spec.shape) * k;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let p = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = p;
    p *= shape[d];
  }
  return s;
}

/** `shape` left-padded with 1s to `rank` dims. */
export function padShape(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

const i32 = (a: readonly number[]) => Int32Array.from(a);
const NO_CODES = new Int32Array(0);

function chainArrays(steps: readonly UnaryStep[], dtype: DType): { codes: Int32Array; params: FloatArray } {
  const codes = i32(steps.map((s) => s.code));
  const params = new (floatCtor(dtype))(steps.length * 2);
  steps.forEach((s, i) => {
    params[2 * i] = s.p;
    params[2 * i + 1] = s.q;
  });
  return { codes, params: params as FloatArray };
}

/** Indices of a node: its constant ones, or its last input's float values converted (checked integers). */
function indexSource(spec: NodeSpec, ins: readonly number[]): (bufs: FloatArray[]) => Int32Array {
  if (spec.attrs.indices) {
    const constant = spec.attrs.indices;
    return () => constant;
  }
  const id = ins[ins.length - 1];
  const count = sizeOf(spec.inputShapes[spec.inputShapes.length - 1]);
  const out = new Int32Array(count);
  return (bufs) => {
    const f = bufs[id];
    for (let i = 0; i < count; i++) {
      const v = f[i];
      if (!Number.isInteger(v)) throw new RangeError(`indices: value ${v} at ${i} is not an integer`);
      out[i] = v;
    }
    return out;
  };
}

/** How many indices a gather, scatterAdd or oneHot node has. */
function indexCount(spec: NodeSpec): number {
  return spec.attrs.indices ? spec.attrs.indices.length : sizeOf(spec.inputShapes[spec.inputShapes.length - 1]);
}

/** The launch of a node reading values `ins` and writing value `out` (ids into the array table). */
export function makeLaunch(spec: NodeSpec, ins: readonly number[], out: number): Launch {
  const a = spec.attrs;
  const shape = spec.shape;
  const rank = shape.length;
  const len = sizeOf(shape);
  const F = floatCtor(spec.dtype);
  switch (spec.prim) {
    case 'unary': {
      const { codes, params } = chainArrays(
        [{ code: a.code!, p: a.p ?? 0, q: a.q ?? 0 }, ...(a.post ?? [])],
        spec.dtype,
      );
      const [x] = ins;
      return { run: (b, bufs) => b.unary(codes, params, bufs[x], bufs[out], len, codes.length) };
    }
    case 'binary': {
      const { codes, params } = a.post?.length
        ? chainArrays(a.post, spec.dtype)
        : { codes: NO_CODES, params: new F(0) as FloatArray };
      const o = i32(shape),
        as = i32(padShape(spec.inputShapes[0], rank)),
        bs = i32(padShape(spec.inputShapes[1], rank));
      const [x, y] = ins;
      const code = a.code!;
      return {
        run: (b, bufs) => b.binary(code, rank, o, as, bs, bufs[x], bufs[y], bufs[out], codes, params, codes.length),
      };
    }
    case 'select': {
      const o = i32(shape);
      const [cs, as, bs] = spec.inputShapes.map((s) => i32(padShape(s, rank)));
      const [c, x, y] = ins;
      return { run: (b, bufs) => b.select(rank, o, cs, as, bs, bufs[c], bufs[x], bufs[y], bufs[out]) };
    }
    case 'reduce': {
      const xShape = spec.inputShapes[0];
      const axes = new Set(a.axes);
      const xs = i32(xShape),
        ys = i32(xShape.map((d, i) => (axes.has(i) ? 1 : d)));
      const code = a.code!;
      const [x] = ins;
      return { run: (b, bufs) => b.reduce(code, xShape.length, xs, ys, bufs[x], bufs[out]) };
    }
    case 'matMul':
      return matMulLaunch(spec, ins, out);
    case 'transpose': {
      const inStrides = stridesOf(spec.inputShapes[0]);
      const xs = i32(a.perm!.map((p) => inStrides[p]));
      return stridedCopy(ins[0], out, shape, xs, 0, i32(stridesOf(shape)), 0, sizeOf(spec.inputShapes[0]), len);
    }
    case 'slice': {
      const inStrides = stridesOf(spec.inputShapes[0]);
      const offset = a.begin!.reduce((s, bgn, d) => s + bgn * inStrides[d], 0);
      return stridedCopy(
        ins[0],
        out,
        shape,
        i32(inStrides),
        offset,
        i32(stridesOf(shape)),
        0,
        sizeOf(spec.inputShapes[0]),
        len,
      );
    }
    case 'pad': {
      const inShape = spec.inputShapes[0];
      const outStrides = stridesOf(shape);
      const offset = a.begin!.reduce((s, bgn, d) => s + bgn * outStrides[d], 0);
      const copy = stridedCopy(
        ins[0],
        out,
        inShape,
        i32(stridesOf(inShape)),
        0,
        i32(outStrides),
        offset,
        sizeOf(inShape),
        len,
      );
      const fill = i32([Unary.fill]);
      const params = F.of(a.value ?? 0, 0) as FloatArray;
      return {
        run: (b, bufs) => {
          b.unary(fill, params, bufs[out], bufs[out], len, 1);
          copy.run(b, bufs);
        },
      };
    }
    case 'tile': {
      // The output seen as [r0, s0, r1, s1, ...] with x's strides 0 along the repeats (axes of 1 dropped).
      const inShape = spec.inputShapes[0];
      const inStrides = stridesOf(inShape);
      const dims: number[] = [],
        xs: number[] = [];
      inShape.forEach((s, d) => {
        if (a.reps![d] !== 1) {
          dims.push(a.reps![d]);
          xs.push(0);
        }
        dims.push(s);
        xs.push(inStrides[d]);
      });
      return stridedCopy(ins[0], out, dims, i32(xs), 0, i32(stridesOf(dims)), 0, sizeOf(inShape), len);
    }
    case 'broadcastTo': {
      const inShape = padShape(spec.inputShapes[0], rank);
      const inStrides = stridesOf(inShape);
      const xs = i32(inShape.map((s, d) => (s === 1 ? 0 : inStrides[d])));
      return stridedCopy(ins[0], out, shape, xs, 0, i32(stridesOf(shape)), 0, sizeOf(inShape), len);
    }
    case 'concat': {
      const outStrides = stridesOf(shape);
      let at = 0;
      const copies = spec.inputShapes.map((s, i) => {
        const c = stridedCopy(
          ins[i],
          out,
          s,
          i32(stridesOf(s)),
          0,
          i32(outStrides),
          at * outStrides[a.axis!],
          sizeOf(s),
          len,
        );
        at += s[a.axis!];
        return c;
      });
      return { run: (b, bufs) => copies.forEach((c) => c.run(b, bufs)) };
    }
    case 'gather': {
      const xShape = spec.inputShapes[0];
      const axis = a.axis!;
      const outer = sizeOf(xShape.slice(0, axis)),
        n = xShape[axis],
        inner = sizeOf(xShape.slice(axis + 1));
      const indices = indexSource(spec, ins);
      const count = indexCount(spec);
      const x = ins[0];
      return { run: (b, bufs) => b.gather(bufs[x], indices(bufs), bufs[out], outer, n, inner, count) };
    }
    case 'scatterAdd': {
      const axis = a.axis!;
      const outer = sizeOf(shape.slice(0, axis)),
        n = shape[axis],
        inner = sizeOf(shape.slice(axis + 1));
      const count = indexCount(spec);
      const indices = indexSource(spec, ins);
      const fill = i32([Unary.fill]);
      const zero = new F(2) as FloatArray;
      const dy = ins[0];
      return {
        run: (b, bufs) => {
          b.unary(fill, zero, bufs[out], bufs[out], len, 1);
          b.scatterAdd(bufs[dy], indices(bufs), bufs[out], outer, n, inner, count);
        },
      };
    }
    case 'oneHot': {
      const depth = a.depth!;
      const count = indexCount(spec);
      const indices = indexSource(spec, ins);
      const on = a.on ?? 1,
        off = a.off ?? 0;
      return { run: (b, bufs) => b.oneHot(indices(bufs), bufs[out], count, depth, on, off) };
    }
    default:
      throw new Error(`internal: primitive '${spec.prim}' has no kernel launch`);
  }
}

function stridedCopy(
  x: number,
  y: number,
  shape: readonly number[],
  xs: Int32Array,
  xOffset: number,
  ys: Int32Array,
  yOffset: number,
  xLen: number,
  yLen: number,
): Launch {
  const s = i32(shape);
  const rank = shape.length;
  return { run: (b, bufs) => b.stridedCopy(rank, s, xs, xOffset, ys, yOffset, bufs[x], bufs[y], xLen, yLen) };
}

function matMulLaunch(spec: NodeSpec, ins: readonly number[], out: number): Launch {
  const a = spec.attrs;
  const [as, bs] = spec.inputShapes;
  const ta = !!a.transposeA,
    tb = !!a.transposeB;
  const m = ta ? as[as.length - 1] : as[as.length - 2];
  const k = ta ? as[as.length - 2] : as[as.length - 1];
  const n = tb ? bs[bs.length - 2] : bs[bs.length - 1];
  const batchRank = spec.shape.length - 2;
  const ob = i32(spec.shape.slice(0, batchRank)),
    ab = i32(padShape(as.slice(0, -2), batchRank)),
    bb = i32(padShape(bs.slice(0, -2), batchRank));
  const [x, y] = ins;
  const macs = sizeOf(spec.shape) * k;
  const launch: Launch = {
    run: (b, bufs) => b.matMul(ta, tb, batchRank, ob, ab, bb, m, n, k, bufs[x], bufs[y], bufs[out]),
  };
  if (macs >= ASYNC_OP_MACS) {
    launch.runAsync = (b, bufs) =>
      b.matMulAsync && isAsyncSafe(bufs[x]) && isAsyncSafe(bufs[y]) && isAsyncSafe(bufs[out])
        ? b.matMulAsync(ta, tb, batchRank, ob, ab, bb, m, n, k, bufs[x], bufs[y], bufs[out])
        : undefined;
  }
  return launch;
}
