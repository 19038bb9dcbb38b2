/**
 * One table of op invocations, shared by the agreement suite: each case builds its inputs from a seed
 * (values exactly representable in float32, so float32 and float64 runs see the same numbers) and
 * returns every output the op writes, plus its return value.
 */
import type { Backend, FloatArray } from '../../src/backend/ops';
import { Activation, ACTIVATION_NAMES } from '../../src/backend/ops';
import { Rng } from '../../src/random';
import { asKind } from '../support/backends';
import { sequenceOpCases } from './sequence-op-cases';
import { autodiffOpCases } from './autodiff-op-cases';
// attention
import { attentionOpCases } from './attention-op-cases';

export type Kind = 'float32' | 'float64';
export interface OpRun {
  outputs: Record<string, FloatArray>;
  value?: number;
}
export interface OpCase {
  name: string;
  /** 'norm' for gemm-based outputs (norm-wise relative error), 'elementwise' otherwise. */
  compare: 'norm' | 'elementwise';
  run(b: Backend, kind: Kind, offset: boolean): OpRun;
}

function values(seed: number, n: number, lo = -2, hi = 2): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi)));
}
function probs(seed: number, n: number): number[] {
  return values(seed, n, 0.01, 0.99);
}
function oneHot(seed: number, rows: number, cols: number): number[] {
  const rng = new Rng(seed);
  const t = new Array(rows * cols).fill(0);
  if (cols > 0) for (let r = 0; r < rows; r++) t[r * cols + rng.int(cols)] = 1;
  return t;
}
const zeros = (n: number) => new Array(n).fill(0);

/** The agreement suite's tolerances against the float64 JS reference (also used by the arm64 qemu run). */
export const AGREEMENT_TOL = {
  float32: { rtol: 1.3e-6, atol: 1e-5, norm: 1e-5 },
  float64: { rtol: 1e-10, atol: 1e-12, norm: 1e-12 },
};

export const GEMM_SHAPES: [number, number, number][] = [
  [0, 0, 0],
  [1, 1, 1],
  [0, 4, 3],
  [4, 0, 3],
  [4, 3, 0],
  [3, 5, 7],
  [33, 17, 65],
  [64, 48, 130],
];
export const MATRIX_SHAPES: [number, number][] = [
  [0, 3],
  [3, 0],
  [1, 1],
  [3, 7],
  [17, 33],
];
const ACT_ALPHA: Record<string, number> = { leakyRelu: 0.2, elu: 1.0 };

const DENSE_SHAPES: [number, number, number][] = [
  [0, 3, 4],
  [1, 1, 1],
  [5, 7, 3],
  [19, 33, 10],
];

type ForwardArrays = [x: FloatArray, w: FloatArray, b: FloatArray | null, z: FloatArray, y: FloatArray];
type BackwardArrays = [
  x: FloatArray,
  w: FloatArray,
  z: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dz: FloatArray,
  dw: FloatArray,
  db: FloatArray | null,
  dx: FloatArray | null,
];
/** A fused layer op (dense, convolution, transposed convolution) at one shape and activation. */
interface FusedOp {
  /** The ops are `${name}Forward` and `${name}Backward`. */
  name: string;
  /** The shape and activation, as the case names show them. */
  desc: string;
  sizes: { x: number; w: number; b: number; y: number };
  forward(b: Backend, ...a: ForwardArrays): void;
  backward(b: Backend, ...a: BackwardArrays): void;
}
/** How a fused op's cases draw their arrays. */
interface FusedDraw {
  /** The seed of x; w, b, dy, dw, db and dx take the next six. */
  seed: number;
  wRange?: [number, number];
  /** The forward's z and y start from values of this seed (default: zeros). */
  forwardStart?: number;
  /** Report x after the backward (which must leave it as it was). */
  reportX?: boolean;
}

/** The forward (with and without bias) and backward (with and without db and dx) cases of a fused op. */
function fusedCases(op: FusedOp, draw: FusedDraw): OpCase[] {
  const { x: xLen, w: wLen, b: bLen, y: yLen } = op.sizes;
  const s = draw.seed;
  const [lo, hi] = draw.wRange ?? [-2, 2];
  const start = () => (draw.forwardStart === undefined ? zeros(yLen) : values(draw.forwardStart, yLen));
  const cases: OpCase[] = [];
  for (const bias of [true, false]) {
    cases.push({
      name: `${op.name}Forward ${op.desc}${bias ? '' : ' no bias'}`,
      compare: 'norm',
      run(b, kind, off) {
        const x = asKind(values(s, xLen), kind, off),
          w = asKind(values(s + 1, wLen, lo, hi), kind, off);
        const bb = bias ? asKind(values(s + 2, bLen), kind, off) : null;
        const z = asKind(start(), kind, off),
          y = asKind(start(), kind, off);
        op.forward(b, x, w, bb, z, y);
        return { outputs: { z, y } };
      },
    });
    cases.push({
      name: `${op.name}Backward ${op.desc}${bias ? '' : ' no db/dx'}`,
      compare: 'norm',
      run(b, kind, off) {
        const x = asKind(values(s, xLen), kind, off),
          w = asKind(values(s + 1, wLen, lo, hi), kind, off);
        const z = asKind(zeros(yLen), kind, off),
          y = asKind(zeros(yLen), kind, off);
        op.forward(b, x, w, asKind(values(s + 2, bLen), kind, off), z, y);
        const dy = asKind(values(s + 3, yLen), kind, off),
          dz = asKind(zeros(yLen), kind, off);
        const dw = asKind(values(s + 4, wLen), kind, off);
        const db = bias ? asKind(values(s + 5, bLen), kind, off) : null;
        const dx = bias ? asKind(values(s + 6, xLen), kind, off) : null;
        op.backward(b, x, w, z, y, dy, dz, dw, db, dx);
        const outputs: Record<string, FloatArray> = draw.reportX ? { dz, dw, x } : { dz, dw };
        if (db && dx) Object.assign(outputs, { db, dx });
        return { outputs };
      },
    });
  }
  return cases;
}

export function opCases(): OpCase[] {
  const cases: OpCase[] = [];

  for (const [m, n, k] of GEMM_SHAPES) {
    for (const ta of [false, true])
      for (const tb of [false, true]) {
        for (const [alpha, beta] of [
          [1, 0],
          [0.5, 2],
        ]) {
          cases.push({
            name: `gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}`,
            compare: 'norm',
            run(b, kind, off) {
              const a = asKind(values(1, m * k), kind, off),
                bb = asKind(values(2, k * n), kind, off);
              const c = asKind(values(3, m * n), kind, off);
              b.gemm(ta, tb, m, n, k, alpha, a, bb, beta, c);
              return { outputs: { c } };
            },
          });
        }
      }
  }

  for (const actName of ACTIVATION_NAMES) {
    const act = Activation[actName];
    const alpha = ACT_ALPHA[actName] ?? 0;
    // 2100x33: over kParallelActivationValues (native/exports_dense.cc), split into chunks on the thread pool.
    for (const [rows, cols] of [...MATRIX_SHAPES, [2100, 33]]) {
      cases.push({
        name: `activationForward ${actName} ${rows}x${cols}`,
        compare: 'elementwise',
        run(b, kind, off) {
          const z = asKind(values(4, rows * cols, -4, 4), kind, off),
            y = asKind(zeros(rows * cols), kind, off);
          b.activationForward(act, alpha, z, y, rows, cols);
          return { outputs: { y } };
        },
      });
      cases.push({
        name: `activationBackward ${actName} ${rows}x${cols}`,
        compare: 'elementwise',
        run(b, kind, off) {
          const zv = values(5, rows * cols, -4, 4);
          const z = asKind(zv, kind, off),
            y = asKind(zeros(rows * cols), kind, off);
          // y from the reference so both backends differentiate at the same point
          const y64 = new Float64Array(rows * cols);
          b.activationForward(act, alpha, asKind(zv, 'float64'), y64, rows, cols);
          for (let i = 0; i < y.length; i++) y[i] = y64[i];
          const dy = asKind(values(6, rows * cols), kind, off),
            dz = asKind(zeros(rows * cols), kind, off);
          b.activationBackward(act, alpha, z, y, dy, dz, rows, cols);
          return { outputs: { dz } };
        },
      });
    }
    for (const [m, k, n] of DENSE_SHAPES) {
      const fused: FusedOp = {
        name: 'dense',
        desc: `${actName} m=${m} k=${k} n=${n}`,
        sizes: { x: m * k, w: k * n, b: n, y: m * n },
        forward: (b, ...a) => b.denseForward(...a, m, k, n, act, alpha),
        backward: (b, ...a) => b.denseBackward(...a, m, k, n, act, alpha),
      };
      cases.push(...fusedCases(fused, { seed: 7 }));
    }
  }

  type LossFn = (b: Backend, p: FloatArray, t: FloatArray, g: FloatArray | null, r: number, c: number) => number;
  const losses: [string, LossFn, 'values' | 'probs', 'values' | 'probs' | 'onehot'][] = [
    ['meanSquaredError', (b, p, t, g, r, c) => b.meanSquaredError(p, t, g, r, c), 'values', 'values'],
    ['meanAbsoluteError', (b, p, t, g, r, c) => b.meanAbsoluteError(p, t, g, r, c), 'values', 'values'],
    ['huber', (b, p, t, g, r, c) => b.huber(p, t, g, r, c, 0.7), 'values', 'values'],
    ['binaryCrossentropy', (b, p, t, g, r, c) => b.binaryCrossentropy(p, t, g, r, c), 'probs', 'probs'],
    [
      'sigmoidCrossEntropyWithLogits',
      (b, p, t, g, r, c) => b.sigmoidCrossEntropyWithLogits(p, t, g, r, c),
      'values',
      'probs',
    ],
    ['categoricalCrossentropy', (b, p, t, g, r, c) => b.categoricalCrossentropy(p, t, g, r, c), 'probs', 'onehot'],
    ['softmaxCrossEntropy', (b, p, t, g, r, c) => b.softmaxCrossEntropy(p, t, g, r, c), 'values', 'onehot'],
  ];
  for (const [name, fn, pk, tk] of losses) {
    for (const [rows, cols] of MATRIX_SHAPES) {
      for (const withGrad of [true, false]) {
        cases.push({
          name: `${name} ${rows}x${cols}${withGrad ? '' : ' (no grad)'}`,
          compare: 'elementwise',
          run(b, kind, off) {
            const n = rows * cols;
            const p = asKind(pk === 'probs' ? probs(14, n) : values(14, n), kind, off);
            const t = asKind(
              tk === 'probs' ? probs(15, n) : tk === 'onehot' ? oneHot(15, rows, cols) : values(15, n),
              kind,
              off,
            );
            const g = withGrad ? asKind(zeros(n), kind, off) : null;
            const value = fn(b, p, t, g, rows, cols);
            const outputs: Record<string, FloatArray> = g ? { grad: g } : {};
            return { outputs, value };
          },
        });
      }
    }
  }
  for (const [rows, cols] of [
    [0, 3],
    [1, 1],
    [3, 7],
    [17, 10],
  ]) {
    cases.push({
      name: `softmaxCrossEntropySparse ${rows}x${cols}`,
      compare: 'elementwise',
      run(b, kind, off) {
        const rng = new Rng(16);
        const labels = Int32Array.from({ length: rows }, () => rng.int(cols));
        const x = asKind(values(17, rows * cols), kind, off),
          g = asKind(zeros(rows * cols), kind, off);
        const value = b.softmaxCrossEntropySparse(x, labels, g, rows, cols);
        return { outputs: { grad: g }, value };
      },
    });
  }

  type Step = (b: Backend, w: FloatArray, g: FloatArray, s1: FloatArray, s2: FloatArray) => void;
  const steps: [string, Step][] = [
    ['sgdStep', (b, w, g) => b.sgdStep(w, g, 0.1, 0)],
    ['sgdStep weightDecay', (b, w, g) => b.sgdStep(w, g, 0.1, 0.01)],
    ['momentumStep', (b, w, g, v) => b.momentumStep(w, g, v, 0.1, 0.9, false, 0)],
    ['momentumStep nesterov', (b, w, g, v) => b.momentumStep(w, g, v, 0.1, 0.9, true, 0.01)],
    ['rmspropStep', (b, w, g, ms) => b.rmspropStep(w, g, ms, 0.01, 0.9, 1e-7, 0)],
    ['adagradStep', (b, w, g, acc) => b.adagradStep(w, g, acc, 0.01, 1e-7, 0.001)],
    ['adamStep', (b, w, g, m, v) => b.adamStep(w, g, m, v, 0.001, 0.9, 0.999, 1e-7, 3, 0, false)],
    ['adamStep L2', (b, w, g, m, v) => b.adamStep(w, g, m, v, 0.001, 0.9, 0.999, 1e-7, 1, 0.01, false)],
    ['adamStep decoupled (AdamW)', (b, w, g, m, v) => b.adamStep(w, g, m, v, 0.001, 0.9, 0.999, 1e-7, 5, 0.01, true)],
  ];
  for (const [name, step] of steps) {
    for (const n of [0, 1, 7, 1001, 70001]) {
      // 70001: three spans of the native update, run on the thread pool
      cases.push({
        name: `${name} n=${n}`,
        compare: 'elementwise',
        run(b, kind, off) {
          const w = asKind(values(18, n), kind, off),
            g = asKind(values(19, n), kind, off);
          const s1 = asKind(values(20, n, 0, 1), kind, off),
            s2 = asKind(values(21, n, 0, 1), kind, off);
          // three steps, so state written by one step is read by the next
          for (let i = 0; i < 3; i++) step(b, w, g, s1, s2);
          return { outputs: { w, s1, s2 } };
        },
      });
    }
  }

  for (const n of [0, 1, 9, 257]) {
    cases.push({
      name: `sumSquares/scale/clip/l1l2 n=${n}`,
      compare: 'elementwise',
      run(b, kind, off) {
        const x = asKind(values(22, n), kind, off);
        const ss = b.sumSquares(x);
        b.scale(x, 0.75);
        b.clip(x, -0.5, 0.6);
        const g = asKind(values(23, n), kind, off);
        const reg = b.l1l2(x, g, 0.01, 0.02);
        return { outputs: { x, g }, value: ss + 1000 * reg };
      },
    });
  }

  // sequence models
  cases.push(...sequenceOpCases());
  cases.push(...convolutionCases());
  // autodiff ops (bp.ops)
  cases.push(...autodiffOpCases());
  // attention
  cases.push(...attentionOpCases());
  return cases;
}

// ---- convolution, pooling and batch normalization ------------------------------------------------------

/** [batch, inH, inW, inC, kH, kW, outC, strideH, strideW, padTop, padLeft, dilationH, dilationW, outH, outW, groups] */
type ConvShape = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];
/** TF 'same' padding along one axis: [out, padBefore]. */
function same(size: number, k: number, stride: number, dilation = 1): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0);
  return [out, Math.floor(total / 2)];
}
/** 'valid' output size along one axis. */
const valid = (size: number, k: number, stride: number, dilation = 1) =>
  Math.floor((size - (k - 1) * dilation - 1) / stride) + 1;

function convShape(
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  outC: number,
  o: { stride?: number; same?: boolean; dilation?: number; groups?: number } = {},
): ConvShape {
  const s = o.stride ?? 1,
    d = o.dilation ?? 1;
  const [oh, pt] = o.same ? same(inH, kH, s, d) : [valid(inH, kH, s, d), 0];
  const [ow, pl] = o.same ? same(inW, kW, s, d) : [valid(inW, kW, s, d), 0];
  return [batch, inH, inW, inC, kH, kW, outC, s, s, pt, pl, d, d, oh, ow, o.groups ?? 1];
}

export const CONV_SHAPES: [string, ConvShape][] = [
  ['empty batch', convShape(0, 5, 4, 2, 3, 3, 4)],
  ['1x1x1', convShape(1, 1, 1, 1, 1, 1, 1)],
  ['valid 3x3, odd sizes', convShape(2, 7, 6, 3, 3, 3, 5)],
  ['same 3x3 stride 2', convShape(3, 9, 8, 2, 3, 3, 4, { stride: 2, same: true })],
  ['same 4x2 stride 2 (asymmetric padding)', convShape(2, 7, 6, 3, 4, 2, 3, { stride: 2, same: true })],
  ['dilation 2', convShape(2, 8, 7, 3, 3, 2, 4, { dilation: 2 })],
  ['same, dilation 2', convShape(1, 6, 7, 2, 3, 3, 3, { dilation: 2, same: true })],
  ['1x1 (a plain gemm)', convShape(4, 5, 5, 8, 1, 1, 6)],
  ['1x1 stride 2', convShape(2, 5, 6, 4, 1, 1, 5, { stride: 2 })],
  ['groups 2', convShape(2, 6, 5, 4, 3, 3, 6, { same: true, groups: 2 })],
  ['depthwise (groups = inC, multiplier 2)', convShape(2, 6, 6, 3, 3, 3, 6, { stride: 2, same: true, groups: 3 })],
  ['small CNN conv 1', convShape(3, 28, 28, 1, 5, 5, 8)],
  ['small CNN conv 2', convShape(3, 12, 12, 8, 5, 5, 16)],
  ['keras CNN conv 2 (shrunk)', convShape(2, 14, 13, 32, 3, 3, 64)],
  ['conv 1 of keras CNN', convShape(2, 28, 28, 1, 3, 3, 32)],
  ['wide channels', convShape(1, 5, 4, 40, 3, 3, 20, { same: true })],
  ['padding beyond the kernel', [1, 4, 4, 2, 3, 3, 3, 1, 2, 4, 3, 1, 1, 6, 5, 1]],
  ['kernel wider than the input', [1, 3, 2, 2, 2, 5, 2, 1, 1, 0, 2, 1, 1, 2, 2, 1]],
  // Multiples of 8 filters take the native direct kernels in float32: tiles of 16 and 8 lanes, 1 to 4 vectors.
  ['direct: same 3x3 stride 2, 16 filters', convShape(3, 9, 8, 3, 3, 3, 16, { stride: 2, same: true })],
  ['direct: same, dilation 2, 24 filters', convShape(2, 7, 6, 2, 3, 3, 24, { dilation: 2, same: true })],
  ['direct: 48 filters', convShape(1, 5, 5, 4, 2, 2, 48)],
  ['direct: 80 filters, odd sizes', convShape(2, 6, 5, 3, 3, 2, 80)],
  ['direct: 96 filters, asymmetric same padding, stride 2', convShape(2, 8, 7, 5, 4, 2, 96, { stride: 2, same: true })],
  ['direct: 8 filters, padding beyond the kernel', [1, 4, 4, 2, 3, 3, 8, 1, 2, 4, 3, 1, 1, 6, 5, 1]],
  ['direct: 8 filters, kernel wider than the input', [2, 3, 2, 3, 2, 5, 8, 1, 1, 0, 2, 1, 1, 2, 2, 1]],
  ['direct: strides 2 and 3, 32 filters', [2, 11, 10, 3, 3, 2, 32, 2, 3, 0, 0, 1, 1, 5, 3, 1]],
  // The wasm tiles take 16 filters at a time, then 12, 8 or 4: 28 = 16 + 12, with 27 taps (16 + 11 in dX).
  ['direct: 28 filters, 27 taps', convShape(2, 7, 8, 3, 3, 3, 28)],
  // 3x3 at stride 1 with 16+ input channels: the native Winograd kernels in float32 (odd outputs, padding 0-2).
  ['winograd: same, odd sizes, 24 filters', convShape(2, 7, 9, 16, 3, 3, 24, { same: true })],
  ['winograd: valid, odd output width', convShape(3, 8, 7, 32, 3, 3, 32)],
  ['winograd: padding 2 (a full convolution)', [2, 5, 6, 16, 3, 3, 16, 1, 1, 2, 2, 1, 1, 7, 8, 1]],
  ['winograd: a 1x1 image, same', convShape(2, 1, 1, 16, 3, 3, 16, { same: true })],
  ['winograd: 48 to 64 channels, same', convShape(1, 6, 6, 48, 3, 3, 64, { same: true })],
  ['winograd: 20 to 28 channels', convShape(2, 6, 7, 20, 3, 3, 28)],
  // 8 filters over 1 channel at column stride 1, even output width: the native AVX-512 pixel-pair tiles
  // (native/conv_pairs.h) in float32: tap tiles of 26 (49 taps), 16 (9) and 8 (8), padding, row stride 2.
  ['pixel pairs: 7x7 same, dilation 2', convShape(2, 9, 10, 1, 7, 7, 8, { same: true, dilation: 2 })],
  ['pixel pairs: 3x3, row stride 2', [2, 9, 8, 1, 3, 3, 8, 2, 1, 0, 0, 1, 1, 4, 6, 1]],
  ['pixel pairs: 2x4', convShape(2, 6, 7, 1, 2, 4, 8)],
  // graph-model layers: depthwise convolutions (groups = inC) take the native depthwise kernels, float32 and
  // float64; five samples split into chunks when the pool has threads.
  ['depthwise: 32 channels, multiplier 1, same', convShape(5, 7, 6, 32, 3, 3, 32, { same: true, groups: 32 })],
  ['depthwise: multiplier 3, stride 2', convShape(2, 9, 8, 4, 3, 3, 12, { stride: 2, groups: 4 })],
  ['depthwise: dilation 2, same', convShape(2, 7, 7, 6, 3, 3, 6, { dilation: 2, same: true, groups: 6 })],
  ['depthwise: padding beyond the kernel', [1, 4, 4, 3, 3, 3, 3, 1, 2, 4, 3, 1, 1, 6, 5, 3]],
  ['depthwise: kernel wider than the input', [2, 3, 2, 2, 2, 5, 4, 1, 1, 0, 2, 1, 1, 2, 2, 2]],
  // Whole vectors of channels, multiplier 1: the native float32 register tiles (dx gathered at stride 1, scattered
  // at stride > 1 or beyond the kernel's padding), 1 to 4 vectors per block and a leftover block.
  ['depthwise tiles: 8 channels, stride 2 valid', convShape(3, 9, 8, 8, 3, 3, 8, { stride: 2, groups: 8 })],
  [
    'depthwise tiles: 16 channels, dilation 2 same',
    convShape(2, 7, 9, 16, 3, 3, 16, { dilation: 2, same: true, groups: 16 }),
  ],
  ['depthwise tiles: 24 channels, 5x5 valid', convShape(2, 9, 11, 24, 5, 5, 24, { groups: 24 })],
  [
    'depthwise tiles: 40 channels, 2x4 same stride 2',
    convShape(2, 7, 10, 40, 2, 4, 40, { stride: 2, same: true, groups: 40 }),
  ],
  ['depthwise tiles: 48 channels, padding beyond the kernel', [2, 4, 5, 48, 3, 3, 48, 1, 1, 3, 1, 1, 1, 5, 6, 48]],
  ['depthwise tiles: 72 channels, 3x3 same, 1 wide', convShape(2, 5, 1, 72, 3, 3, 72, { same: true, groups: 72 })],
];

const CONV_ACTS: [string, number, number][] = [
  ['relu', Activation.relu, 0],
  ['linear', Activation.linear, 0],
  ['tanh', Activation.tanh, 0],
  ['elu', Activation.elu, 1],
];

/** The kernel length of a convolution shape. */
const kernelLen = (s: ConvShape) => s[4] * s[5] * (s[3] / s[15]) * s[6];

/** [batch, inH, inW, inC, kH, kW, strideH, strideW, padTop, padLeft, outH, outW] */
type PoolShape = [number, number, number, number, number, number, number, number, number, number, number, number];
function poolShape(
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  k: number,
  stride: number,
  isSame = false,
  kW = k,
): PoolShape {
  const [oh, pt] = isSame ? same(inH, k, stride) : [valid(inH, k, stride), 0];
  const [ow, pl] = isSame ? same(inW, kW, stride) : [valid(inW, kW, stride), 0];
  return [batch, inH, inW, inC, k, kW, stride, stride, pt, pl, oh, ow];
}
export const POOL_SHAPES: [string, PoolShape][] = [
  ['empty batch', poolShape(0, 4, 4, 2, 2, 2)],
  ['2x2 stride 2, odd input', poolShape(2, 7, 5, 3, 2, 2)],
  ['3x3 stride 2 same', poolShape(2, 7, 6, 4, 3, 2, true)],
  ['3x3 stride 1 overlapping', poolShape(1, 5, 5, 2, 3, 1)],
  ['global (window = input)', [3, 4, 5, 6, 4, 5, 1, 1, 0, 0, 1, 1]],
  ['window taller than the input', [2, 3, 4, 2, 4, 2, 1, 2, 1, 0, 1, 2]],
  ['keras CNN pool (shrunk)', poolShape(2, 12, 12, 64, 2, 2)],
];

function convolutionCases(): OpCase[] {
  const cases: OpCase[] = [];
  for (const [label, s] of CONV_SHAPES) {
    const [batch, inH, inW, inC, , , outC, , , , , , , outH, outW] = s;
    const xLen = batch * inH * inW * inC,
      yLen = batch * outH * outW * outC,
      wLen = kernelLen(s);
    for (const [actName, act, alpha] of CONV_ACTS) {
      const fused: FusedOp = {
        name: 'conv2d',
        desc: `${label} ${actName}`,
        sizes: { x: xLen, w: wLen, b: outC, y: yLen },
        forward: (b, ...a) => b.conv2dForward(...a, ...s, act, alpha),
        backward: (b, ...a) => b.conv2dBackward(...a, ...s, act, alpha),
      };
      cases.push(...fusedCases(fused, { seed: 31, wRange: [-0.5, 0.5] }));
    }
  }
  cases.push(...transposeCases());
  for (const [label, s] of POOL_SHAPES) {
    const [batch, inH, inW, inC, , , , , , , outH, outW] = s;
    const xLen = batch * inH * inW * inC,
      yLen = batch * outH * outW * inC;
    // Values on a coarse grid so windows hold ties (the first maximum must win on every backend).
    const x = () => values(38, xLen).map((v) => Math.round(v * 2) / 2);
    cases.push({
      name: `maxPool2dForward/Backward ${label}`,
      compare: 'elementwise',
      run(b, kind, off) {
        const xs = asKind(x(), kind, off),
          y = asKind(zeros(yLen), kind, off);
        const argmax = new Int32Array(yLen);
        b.maxPool2dForward(xs, y, argmax, ...s);
        const dx = asKind(values(39, xLen), kind, off);
        b.maxPool2dBackward(asKind(values(40, yLen), kind, off), argmax, dx, ...s);
        return { outputs: { y, dx, argmax: Float64Array.from(argmax) } };
      },
    });
    cases.push({
      name: `avgPool2dForward/Backward ${label}`,
      compare: 'elementwise',
      run(b, kind, off) {
        const y = asKind(zeros(yLen), kind, off);
        b.avgPool2dForward(asKind(x(), kind, off), y, ...s);
        const dx = asKind(values(39, xLen), kind, off);
        b.avgPool2dBackward(asKind(values(40, yLen), kind, off), dx, ...s);
        return { outputs: { y, dx } };
      },
    });
  }
  for (const [rows, cols] of [
    [0, 3],
    [1, 1],
    [5, 3],
    [37, 16],
    [300, 7],
    // Over kBatchNormParallelValues (native/batch_norm.h): split into chunks on the convolution thread pool.
    [4100, 17],
  ]) {
    for (const training of [true, false]) {
      for (const affine of [true, false]) {
        const n = rows * cols;
        cases.push({
          name: `batchNormForward ${rows}x${cols}${training ? ' training' : ' inference'}${affine ? '' : ' no gamma/beta'}`,
          compare: 'elementwise',
          run(b, kind, off) {
            const x = asKind(values(41, n, -3, 5), kind, off);
            const gamma = affine ? asKind(values(42, cols, 0.5, 2), kind, off) : null;
            const beta = affine ? asKind(values(43, cols), kind, off) : null;
            const mm = asKind(values(44, cols), kind, off),
              mv = asKind(values(45, cols, 0.5, 2), kind, off);
            const mean = asKind(zeros(cols), kind, off),
              invStd = asKind(zeros(cols), kind, off);
            const y = asKind(zeros(n), kind, off);
            b.batchNormForward(x, gamma, beta, mm, mv, mean, invStd, y, rows, cols, 1e-3, 0.9, training);
            return { outputs: { y, mean, invStd, mm, mv } };
          },
        });
      }
    }
    for (const affine of [true, false]) {
      const n = rows * cols;
      cases.push({
        name: `batchNormBackward ${rows}x${cols}${affine ? '' : ' no gamma, dgamma, dbeta'}`,
        compare: 'norm',
        run(b, kind, off) {
          const x = asKind(values(41, n, -3, 5), kind, off);
          const gamma = affine ? asKind(values(42, cols, 0.5, 2), kind, off) : null;
          const mean = asKind(zeros(cols), kind, off),
            invStd = asKind(zeros(cols), kind, off);
          const y = asKind(zeros(n), kind, off);
          const mm = asKind(zeros(cols), kind, off),
            mv = asKind(zeros(cols), kind, off);
          b.batchNormForward(x, gamma, null, mm, mv, mean, invStd, y, rows, cols, 1e-3, 0.9, true);
          const dy = asKind(values(46, n), kind, off),
            dx = asKind(zeros(n), kind, off);
          const dg = affine ? asKind(zeros(cols), kind, off) : null,
            dbeta = affine ? asKind(zeros(cols), kind, off) : null;
          b.batchNormBackward(x, gamma, mean, invStd, dy, dx, dg, dbeta, rows, cols);
          const outputs: Record<string, FloatArray> = { dx };
          if (dg && dbeta) Object.assign(outputs, { dg, dbeta });
          return { outputs };
        },
      });
    }
  }
  return cases;
}

// ---- graph-model layers: the transposed convolution ------------------------------------------------------

/** [batch, inH, inW, inC, kH, kW, outC, strideH, strideW, padTop, padLeft, dilationH, dilationW, outH, outW] */
type TransposeShape = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];
/** A transposed convolution with Keras' output size (in·stride, plus max(span − stride, 0) when 'valid'). */
function transposeShape(
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  outC: number,
  o: { stride?: number; same?: boolean; dilation?: number } = {},
): TransposeShape {
  const s = o.stride ?? 1,
    d = o.dilation ?? 1;
  const axis = (size: number, k: number): [number, number] => {
    const span = (k - 1) * d + 1;
    if (!o.same) return [size * s + Math.max(span - s, 0), 0];
    return [size * s, same(size * s, k, s, d)[1]];
  };
  const [oh, pt] = axis(inH, kH);
  const [ow, pl] = axis(inW, kW);
  return [batch, inH, inW, inC, kH, kW, outC, s, s, pt, pl, d, d, oh, ow];
}

export const TRANSPOSE_SHAPES: [string, TransposeShape][] = [
  ['empty batch', transposeShape(0, 3, 4, 2, 3, 3, 4, { stride: 2 })],
  ['1x1x1', transposeShape(1, 1, 1, 1, 1, 1, 1)],
  ['valid 3x3 stride 2, odd sizes', transposeShape(2, 4, 5, 3, 3, 3, 5, { stride: 2 })],
  ['same 4x4 stride 2', transposeShape(2, 4, 3, 3, 4, 4, 2, { stride: 2, same: true })],
  ['same 3x3 stride 2 (odd padding total)', transposeShape(2, 3, 3, 2, 3, 3, 3, { stride: 2, same: true })],
  ['kernel 2 at stride 3 (gaps between windows)', transposeShape(2, 3, 2, 2, 2, 2, 3, { stride: 3 })],
  ['same, kernel 1 stride 2', transposeShape(2, 3, 3, 4, 1, 1, 3, { stride: 2, same: true })],
  ['dilation 2, valid', transposeShape(2, 4, 3, 2, 3, 2, 3, { dilation: 2 })],
  ['strides 2 and 1', [2, 3, 4, 3, 3, 2, 4, 2, 1, 0, 0, 1, 1, 7, 5]],
  ['an output smaller than the windows reach', [1, 3, 3, 2, 3, 3, 2, 2, 2, 1, 2, 1, 1, 4, 3]],
  ['stride 1 valid 3x3 (the flipped convolution)', transposeShape(2, 5, 4, 3, 3, 3, 4)],
  ['stride 1 same 2x4', transposeShape(2, 5, 6, 3, 2, 4, 5, { same: true })],
  ['stride 1, padding beyond the kernel', [1, 4, 5, 2, 3, 3, 3, 1, 1, 3, 1, 1, 1, 3, 4]],
  ['1x1 stride 1 (a gemm)', transposeShape(3, 4, 4, 6, 1, 1, 5)],
  // Native float32: multiples of 8 channels take the convolution's direct tiles (stride > 1: its input gradient;
  // stride 1: its forward), 3x3 stride 1 with 16+ input channels the Winograd kernels.
  ['direct: same 3x3 stride 2, 16 to 8 channels', transposeShape(3, 4, 5, 16, 3, 3, 8, { stride: 2, same: true })],
  ['direct: valid 4x4 stride 2, 8 to 3 channels', transposeShape(2, 3, 4, 8, 4, 4, 3, { stride: 2 })],
  ['direct: same 2x2 stride 2, 24 to 32 channels', transposeShape(2, 5, 4, 24, 2, 2, 32, { stride: 2, same: true })],
  ['direct: stride 1 valid 3x2, 5 to 16 channels', transposeShape(2, 4, 5, 5, 3, 2, 16)],
  ['winograd: stride 1 same 3x3, 16 to 24 channels', transposeShape(2, 5, 6, 16, 3, 3, 24, { same: true })],
  ['winograd: stride 1 valid 3x3, 32 to 16 channels', transposeShape(2, 4, 3, 32, 3, 3, 16)],
];

function transposeCases(): OpCase[] {
  const cases: OpCase[] = [];
  for (const [label, s] of TRANSPOSE_SHAPES) {
    const [batch, inH, inW, inC, kH, kW, outC, , , , , , , outH, outW] = s;
    const xLen = batch * inH * inW * inC,
      yLen = batch * outH * outW * outC,
      wLen = kH * kW * outC * inC;
    for (const [actName, act, alpha] of CONV_ACTS) {
      const fused: FusedOp = {
        name: 'conv2dTranspose',
        desc: `${label} ${actName}`,
        sizes: { x: xLen, w: wLen, b: outC, y: yLen },
        forward: (b, ...a) => b.conv2dTransposeForward(...a, ...s, act, alpha),
        backward: (b, ...a) => b.conv2dTransposeBackward(...a, ...s, act, alpha),
      };
      // z and y start from values: the forward must overwrite them; x is reported: the backward must not write it.
      cases.push(...fusedCases(fused, { seed: 51, wRange: [-0.5, 0.5], forwardStart: 50, reportX: true }));
    }
  }
  return cases;
}
