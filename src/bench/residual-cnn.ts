/**
 * The residual CNN of the speed target (issue 21), built with the functional API: conv 32@3×3 same relu → three
 * blocks of [conv 32@3×3 same → batchNorm → relu → conv 32@3×3 same → batchNorm → add(block input) → relu] →
 * globalAveragePooling2d → dense 10 softmax, on 28×28×1 inputs. bench/torch_peer.py `cnn-residual` and
 * bench/residual_accuracy.py build the same network in PyTorch.
 */
import * as bp from '../index';

export const RESIDUAL_BLOCKS = 3;
export const RESIDUAL_FILTERS = 32;

/**
 * The residual CNN, uncompiled; Keras defaults (glorot-uniform kernels, batchNorm epsilon 1e-3), batchNorm
 * momentum 0.99 unless `momentum` says otherwise.
 */
export function residualCnn(seed = 1, momentum = 0.99): bp.LayersModel {
  const L = bp.layers;
  const conv = (activation?: 'relu') =>
    L.conv2d({ filters: RESIDUAL_FILTERS, kernelSize: 3, padding: 'same', ...(activation ? { activation } : {}) });
  const input = bp.input({ shape: [28, 28, 1] });
  let x = conv('relu').apply(input);
  for (let b = 0; b < RESIDUAL_BLOCKS; b++) {
    let h = L.batchNormalization({ momentum }).apply(conv().apply(x));
    h = L.activation({ activation: 'relu' }).apply(h);
    h = L.batchNormalization({ momentum }).apply(conv().apply(h));
    x = L.activation({ activation: 'relu' }).apply(L.add().apply([h, x]));
  }
  const out = L.dense({ units: 10, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(x));
  return bp.model({ inputs: input, outputs: out, seed });
}

/** [rows per sample, outputs, inputs] of each convolution's / the dense layer's im2col gemm. */
export function residualGemmLayers(): [number, number, number][] {
  const convs: [number, number, number][] = [[28 * 28, RESIDUAL_FILTERS, 9]];
  for (let i = 0; i < 2 * RESIDUAL_BLOCKS; i++) convs.push([28 * 28, RESIDUAL_FILTERS, 9 * RESIDUAL_FILTERS]);
  return [...convs, [1, 10, RESIDUAL_FILTERS]];
}
