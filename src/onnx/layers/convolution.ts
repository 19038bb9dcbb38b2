/**
 * Conv2D, Conv1D and DepthwiseConv2D → ONNX Conv on channels-first values, with TF's padding as explicit pads
 * (asymmetric where 'same' needs an odd total; 'causal' pads before only), strides, dilations, the bias, then
 * the fused activation in channels-first. Kernels are stored in ONNX's [out, in/groups, ...window] order under
 * their Keras names. DepthwiseConv2D is a grouped Conv with one group per input channel: output channel
 * c·depthMultiplier + m, as in Keras.
 */
import { Conv1D } from '../../layers/conv1d';
import { Conv2D } from '../../layers/conv2d';
import type { ConvLayer } from '../../layers/conv-layer';
import type { Padding } from '../../layers/conv-geometry';
import { DepthwiseConv2D } from '../../layers/depthwise-conv2d';
import { exportActivation } from '../activations';
import type { GraphBuilder, OnnxValue } from '../graph';
import { layerExport, weightInitializer } from '../layer-export';
import { onnxPads, permutedWeight } from '../spatial';

interface ConvAttributes {
  kernel: string;
  kernelShape: number[];
  strides: number[];
  dilations: number[];
  padding: Padding;
  group: number;
}

function conv(layer: ConvLayer, input: OnnxValue, g: GraphBuilder, a: ConvAttributes): OnnxValue {
  const x = g.toLayout(input, 'channelsFirst');
  const spatial = x.shape.slice(0, -1);
  const pads = onnxPads(
    spatial.map((size, i) => ({ size, kernel: a.kernelShape[i], stride: a.strides[i], dilation: a.dilations[i] })),
    a.padding,
  );
  const inputs = [x.name, a.kernel];
  if (layer.useBias) inputs.push(weightInitializer(g, layer, 'bias'));
  const z = g.node('Conv', inputs, `${layer.name}/Conv`, {
    kernel_shape: { ints: a.kernelShape },
    strides: { ints: a.strides },
    dilations: { ints: a.dilations },
    pads: { ints: pads },
    group: { int: a.group },
  });
  const pre: OnnxValue = { name: z, shape: layer.outputShape!, layout: 'channelsFirst' };
  return exportActivation(g, pre, layer.activation, layer.actAlpha, layer.name);
}

export const conv2dExport = layerExport('Conv2D', Conv2D, (layer, x, g) =>
  conv(layer, x, g, {
    // [kH, kW, in, filters] → [filters, in, kH, kW]
    kernel: permutedWeight(g, layer, 'kernel', [3, 2, 0, 1]),
    kernelShape: [...layer.kernelSize],
    strides: [...layer.strides],
    dilations: [...layer.dilationRate],
    padding: layer.padding,
    group: 1,
  }),
);

export const conv1dExport = layerExport('Conv1D', Conv1D, (layer, x, g) =>
  conv(layer, x, g, {
    // [k, in, filters] → [filters, in, k]
    kernel: permutedWeight(g, layer, 'kernel', [2, 1, 0]),
    kernelShape: [layer.kernelSize],
    strides: [layer.strides],
    dilations: [layer.dilationRate],
    padding: layer.padding,
    group: 1,
  }),
);

export const depthwiseConv2dExport = layerExport('DepthwiseConv2D', DepthwiseConv2D, (layer, x, g) =>
  conv(layer, x, g, {
    // [kH, kW, in, multiplier] → [in, multiplier, kH, kW], stored as [in·multiplier, 1, kH, kW]
    kernel: permutedWeight(g, layer, 'depthwise_kernel', [2, 3, 0, 1], ([c, m, kH, kW]) => [c * m, 1, kH, kW]),
    kernelShape: [...layer.kernelSize],
    strides: [...layer.strides],
    dilations: [...layer.dilationRate],
    padding: layer.padding,
    group: x.shape[x.shape.length - 1],
  }),
);
