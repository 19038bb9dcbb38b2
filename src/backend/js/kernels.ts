/**
 * The JS kernels of the op set, without argument checks: one function per op, with the op's signature. The
 * checked backend (index.ts) validates a call, then runs the kernel of the set it was built over — these, or
 * another backend's (the wasm backend shares every check this way, and falls back to these per op). Kernels
 * still check the index values they read (each once, ops.ts), because only the read can check them.
 */
import type { Backend } from '../ops';
import type { OpName } from '../op-table';
import { Activation } from '../activations';
import { gemmUnchecked } from './gemm';
import { backwardRange, forwardRange, softmaxBackward, softmaxRows } from './activations';
import { denseBackwardUnchecked, denseForwardUnchecked } from './dense';
import * as L from './losses';
import * as O from './optimizers';
import { conv2dBackwardUnchecked, conv2dForwardUnchecked } from './conv';
import * as Pool from './pool';
import { batchNormBackwardUnchecked, batchNormForwardUnchecked } from './batch-norm';
import { embeddingBackwardKernel, embeddingForwardKernel, layerNormBackward, layerNormForward } from './sequence';
import { sparseSgdStepKernel } from './sequence';
import * as R from './recurrent';
import { gruBackward, gruForward } from './gru';
import { attentionBackward, attentionForward } from './attention';
import { conv2dTransposeBackwardKernel, conv2dTransposeForwardKernel } from './conv-transpose';
import { uncheckedAutodiffOps } from './autodiff-ops';

const SOFTMAX = Activation.softmax;

/** A kernel per op, with the op's signature (the checked backend validated the call). */
export type Kernels = { [K in OpName]: Backend[K] };

export const JS_KERNELS: Kernels = Object.freeze({
  gemm: gemmUnchecked,
  activationForward: (act, alpha, z, y, rows, cols) =>
    act === SOFTMAX ? softmaxRows(z, y, rows, cols) : forwardRange(act, alpha, z, y, 0, rows * cols),
  activationBackward: (act, alpha, z, y, dy, dz, rows, cols) =>
    act === SOFTMAX ? softmaxBackward(y, dy, dz, rows, cols) : backwardRange(act, alpha, z, y, dy, dz, rows * cols),
  denseForward: denseForwardUnchecked,
  denseBackward: denseBackwardUnchecked,
  meanSquaredError: (p, t, g, r, c) => L.mse(p, t, g, r * c),
  meanAbsoluteError: (p, t, g, r, c) => L.mae(p, t, g, r * c),
  huber: (p, t, g, r, c, d) => L.huber(p, t, g, r * c, d),
  binaryCrossentropy: (p, t, g, r, c) => L.bce(p, t, g, r * c),
  sigmoidCrossEntropyWithLogits: (p, t, g, r, c) => L.bceLogits(p, t, g, r * c),
  categoricalCrossentropy: L.cce,
  softmaxCrossEntropy: L.softmaxCe,
  softmaxCrossEntropySparse: L.softmaxCeSparse,
  sgdStep: O.sgd,
  momentumStep: O.momentum,
  rmspropStep: O.rmsprop,
  adagradStep: O.adagrad,
  adamStep: O.adam,
  sumSquares(x) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    return s;
  },
  scale(x, s) {
    for (let i = 0; i < x.length; i++) x[i] *= s;
  },
  clip(x, lo, hi) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      x[i] = v < lo ? lo : v > hi ? hi : v;
    }
  },
  l1l2(w, g, l1, l2) {
    let s1 = 0,
      s2 = 0;
    for (let i = 0; i < w.length; i++) {
      const v = w[i];
      s1 += Math.abs(v);
      s2 += v * v;
      g[i] += l1 * (v > 0 ? 1 : v < 0 ? -1 : 0) + 2 * l2 * v;
    }
    return l1 * s1 + l2 * s2;
  },
  embeddingForward: embeddingForwardKernel,
  embeddingBackward: embeddingBackwardKernel,
  sparseSgdStep: sparseSgdStepKernel,
  simpleRnnForward: R.simpleRnnForward,
  simpleRnnBackward: R.simpleRnnBackward,
  lstmForward: R.lstmForward,
  lstmBackward: R.lstmBackward,
  gruForward,
  gruBackward,
  layerNormForward,
  layerNormBackward,
  conv2dForward: conv2dForwardUnchecked,
  conv2dBackward: conv2dBackwardUnchecked,
  maxPool2dForward: Pool.maxPool2dForwardUnchecked,
  maxPool2dBackward: Pool.maxPool2dBackwardUnchecked,
  avgPool2dForward: Pool.avgPool2dForwardUnchecked,
  avgPool2dBackward: Pool.avgPool2dBackwardUnchecked,
  batchNormForward: batchNormForwardUnchecked,
  batchNormBackward: batchNormBackwardUnchecked,
  attentionForward,
  attentionBackward,
  conv2dTransposeForward: conv2dTransposeForwardKernel,
  conv2dTransposeBackward: conv2dTransposeBackwardKernel,
  ...uncheckedAutodiffOps(),
} satisfies Kernels);
