/**
 * The JS kernels without argument checks, for callers that have already validated every shape once —
 * the model's training step. Per-call validation costs more than the arithmetic of a tiny network (a
 * 2-8-1 step is ~100 multiply-adds), so this is what makes tiny steps take a microsecond or two.
 * Not exported from the package: user code goes through a checked backend.
 */
import type { Backend } from '../ops';
import { JS_KERNELS } from './kernels';

export function createUncheckedJsBackend(checked: Backend): Backend {
  return {
    name: 'js',
    info: () => checked.info(),
    ...JS_KERNELS,
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
    // attention: checks cost nothing next to the kernels
    attentionForward: checked.attentionForward,
    attentionBackward: checked.attentionBackward,
    // graph-model layers: checks cost nothing next to a convolution
    conv2dTransposeForward: checked.conv2dTransposeForward,
    conv2dTransposeBackward: checked.conv2dTransposeBackward,
  };
}
