// The layers bench/graph-layers.js measures, shared by the backprop peer (bench/graph-layers-peer.js) and
// described to the PyTorch one (bench/torch_graph_layers.py) as JSON. Float32, batch 64, channels last in
// backprop (NCHW in PyTorch, its default). 'same' padding with stride 2 doubles the image.
'use strict';
const CASES = {
  // A decoder's upsampling step (U-Net, DCGAN): 14×14×64 → 28×28×32, 3×3 and 4×4 kernels, stride 2.
  'transpose-3x3-s2': {
    kind: 'transpose',
    batch: 64,
    input: [14, 14, 64],
    args: { filters: 32, kernelSize: 3, strides: 2, padding: 'same' },
  },
  'transpose-4x4-s2': {
    kind: 'transpose',
    batch: 64,
    input: [14, 14, 64],
    args: { filters: 32, kernelSize: 4, strides: 2, padding: 'same' },
  },
  // Stride 1 (a decoder's refinement): 28×28×32 → 28×28×32, 3×3.
  'transpose-3x3-s1': {
    kind: 'transpose',
    batch: 64,
    input: [28, 28, 32],
    args: { filters: 32, kernelSize: 3, padding: 'same' },
  },
  // Xception / MobileNet blocks: 3×3 depthwise + 1×1 pointwise.
  'separable-28x28x64': {
    kind: 'separable',
    batch: 64,
    input: [28, 28, 64],
    args: { filters: 64, kernelSize: 3, padding: 'same' },
  },
  'separable-56x56x32-s2': {
    kind: 'separable',
    batch: 64,
    input: [56, 56, 32],
    args: { filters: 64, kernelSize: 3, strides: 2, padding: 'same' },
  },
};
module.exports = { CASES };
