/**
 * The JS kernels without argument checks, for callers that have already validated every shape once —
 * the model's training step. Per-call validation costs more than the arithmetic of a tiny network (a
 * 2-8-1 step is ~100 multiply-adds), so this is what makes tiny steps take a microsecond or two.
 * Not exported from the package: user code goes through a checked backend.
 */
import type { Backend } from '../ops';
import { Activation } from '../activations';
import { gemmUnchecked } from './gemm';
import { backwardRange, forwardRange, softmaxBackward, softmaxRows } from './activations';
import { denseBackwardUnchecked, denseForwardUnchecked } from './index';
import * as L from './losses';
import * as O from './optimizers';
import { conv2dBackwardUnchecked, conv2dForwardUnchecked } from './conv';
import * as Pool from './pool';
import { batchNormBackwardUnchecked, batchNormForwardUnchecked } from './batch-norm';

const SOFTMAX = Activation.softmax;

export function createUncheckedJsBackend(checked: Backend): Backend {
  return {
    name: 'js',
    info: () => checked.info(),
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
    sumSquares: (x) => checked.sumSquares(x),
    scale: (x, s) => checked.scale(x, s),
    clip: (x, lo, hi) => checked.clip(x, lo, hi),
    l1l2: (w, g, l1, l2) => checked.l1l2(w, g, l1, l2),

    // sequence models: their checks cost nothing next to the kernels (and ids are checked where read anyway)
    embeddingForward: checked.embeddingForward,
    embeddingBackward: checked.embeddingBackward,
    sparseSgdStep: checked.sparseSgdStep,
    simpleRnnForward: checked.simpleRnnForward,
    simpleRnnBackward: checked.simpleRnnBackward,
    lstmForward: checked.lstmForward,
    lstmBackward: checked.lstmBackward,
    gruForward: checked.gruForward,
    gruBackward: checked.gruBackward,
    layerNormForward: checked.layerNormForward,
    layerNormBackward: checked.layerNormBackward,
    // convolution, pooling and batch normalization
    conv2dForward: conv2dForwardUnchecked,
    conv2dBackward: conv2dBackwardUnchecked,
    maxPool2dForward: Pool.maxPool2dForwardUnchecked,
    maxPool2dBackward: Pool.maxPool2dBackwardUnchecked,
    avgPool2dForward: Pool.avgPool2dForwardUnchecked,
    avgPool2dBackward: Pool.avgPool2dBackwardUnchecked,
    batchNormForward: batchNormForwardUnchecked,
    batchNormBackward: batchNormBackwardUnchecked,
    // graph-model layers: checks cost nothing next to a convolution
    conv2dTransposeForward: checked.conv2dTransposeForward,
    conv2dTransposeBackward: checked.conv2dTransposeBackward,
    // attention: checks cost nothing next to the kernels
    attentionForward: checked.attentionForward,
    attentionBackward: checked.attentionBackward,
  };
}
