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
    for (const [rows, cols] of MATRIX_SHAPES) {
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
    for (const [m, k, n] of [
      [0, 3, 4],
      [1, 1, 1],
      [5, 7, 3],
      [19, 33, 10],
    ]) {
      for (const bias of [true, false]) {
        cases.push({
          name: `denseForward ${actName} m=${m} k=${k} n=${n}${bias ? '' : ' no bias'}`,
          compare: 'norm',
          run(b, kind, off) {
            const x = asKind(values(7, m * k), kind, off),
              w = asKind(values(8, k * n), kind, off);
            const bb = bias ? asKind(values(9, n), kind, off) : null;
            const z = asKind(zeros(m * n), kind, off),
              y = asKind(zeros(m * n), kind, off);
            b.denseForward(x, w, bb, z, y, m, k, n, act, alpha);
            return { outputs: { z, y } };
          },
        });
        cases.push({
          name: `denseBackward ${actName} m=${m} k=${k} n=${n}${bias ? '' : ' no db/dx'}`,
          compare: 'norm',
          run(b, kind, off) {
            const x = asKind(values(7, m * k), kind, off),
              w = asKind(values(8, k * n), kind, off);
            const z = asKind(zeros(m * n), kind, off),
              y = asKind(zeros(m * n), kind, off);
            b.denseForward(x, w, asKind(values(9, n), kind, off), z, y, m, k, n, act, alpha);
            const dy = asKind(values(10, m * n), kind, off),
              dz = asKind(zeros(m * n), kind, off);
            const dw = asKind(values(11, k * n), kind, off);
            const db = bias ? asKind(values(12, n), kind, off) : null;
            const dx = bias ? asKind(values(13, m * k), kind, off) : null;
            b.denseBackward(x, w, z, y, dy, dz, dw, db, dx, m, k, n, act, alpha);
            const outputs: Record<string, FloatArray> = { dz, dw };
            if (db && dx) Object.assign(outputs, { db, dx });
            return { outputs };
          },
        });
      }
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
    for (const n of [0, 1, 7, 1001]) {
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
  return cases;
}
