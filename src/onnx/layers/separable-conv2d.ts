/**
 * SeparableConv2D → two ONNX Convs on channels-first values: the depthwise one (one group per input channel, no
 * bias; kernel [kH, kW, in, multiplier] stored as [in·multiplier, 1, kH, kW], output channel c·multiplier + m as in
 * Keras) with TF's padding as explicit pads, then the pointwise 1×1 one with the bias; then the fused activation.
 */
import { SeparableConv2D } from '../../layers/separable-conv2d';
import { exportActivation } from '../activations';
import type { OnnxValue } from '../graph';
import { layerExport, weightInitializer } from '../layer-export';
import { onnxPads, permutedWeight } from '../spatial';

export const separableConv2dExport = layerExport('SeparableConv2D', SeparableConv2D, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsFirst');
  const [h, w, channels] = layer.inputShape!;
  const pads = onnxPads(
    [h, w].map((size, i) => ({
      size,
      kernel: layer.kernelSize[i],
      stride: layer.strides[i],
      dilation: layer.dilationRate[i],
    })),
    layer.padding,
  );
  const depthwise = permutedWeight(g, layer, 'depthwise_kernel', [2, 3, 0, 1], ([c, m, kH, kW]) => [c * m, 1, kH, kW]);
  const mid = g.node('Conv', [x.name, depthwise], `${layer.name}/depthwise`, {
    kernel_shape: { ints: [...layer.kernelSize] },
    strides: { ints: [...layer.strides] },
    dilations: { ints: [...layer.dilationRate] },
    pads: { ints: pads },
    group: { int: channels },
  });
  const inputs = [mid, permutedWeight(g, layer, 'pointwise_kernel', [3, 2, 0, 1])];
  if (layer.useBias) inputs.push(weightInitializer(g, layer, 'bias'));
  const z = g.node('Conv', inputs, `${layer.name}/pointwise`, { kernel_shape: { ints: [1, 1] } });
  const pre: OnnxValue = { name: z, shape: layer.outputShape!, layout: 'channelsFirst' };
  return exportActivation(g, pre, layer.activation, layer.actAlpha, layer.name);
});
