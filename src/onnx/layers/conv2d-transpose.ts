/**
 * Conv2DTranspose → ONNX ConvTranspose on channels-first values: the kernel [kH, kW, filters, in] stored as ONNX's
 * [in, filters, kH, kW]; pads begin with the layer's own (its adjoint convolution's top/left padding), and the end
 * pads (or, where the output is longer than ONNX's full size minus those, output_padding) give the layer's output
 * size exactly; then the bias and the fused activation.
 */
import { Conv2DTranspose } from '../../layers/conv2d-transpose';
import { axisGeometry } from '../../layers/conv-geometry';
import { exportActivation } from '../activations';
import type { OnnxValue } from '../graph';
import { layerExport, weightInitializer } from '../layer-export';
import { permutedWeight } from '../spatial';

export const conv2dTransposeExport = layerExport('Conv2DTranspose', Conv2DTranspose, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsFirst');
  const [inH, inW] = layer.inputShape!;
  const [outH, outW] = layer.outputShape!;
  const begins: number[] = [],
    ends: number[] = [],
    outputPadding: number[] = [];
  [
    [inH, outH],
    [inW, outW],
  ].forEach(([size, out], i) => {
    const k = layer.kernelSize[i],
      s = layer.strides[i];
    const begin = axisGeometry(out, k, s, 1, layer.padding).padBefore;
    // ONNX: out = s·(size − 1) + k + outputPadding − begin − end.
    const rest = s * (size - 1) + k - out - begin;
    begins.push(begin);
    ends.push(Math.max(rest, 0));
    outputPadding.push(Math.max(-rest, 0));
  });
  const inputs = [x.name, permutedWeight(g, layer, 'kernel', [3, 2, 0, 1])];
  if (layer.useBias) inputs.push(weightInitializer(g, layer, 'bias'));
  const z = g.node('ConvTranspose', inputs, `${layer.name}/ConvTranspose`, {
    kernel_shape: { ints: [...layer.kernelSize] },
    strides: { ints: [...layer.strides] },
    pads: { ints: [...begins, ...ends] },
    output_padding: { ints: outputPadding },
  });
  const pre: OnnxValue = { name: z, shape: layer.outputShape!, layout: 'channelsFirst' };
  return exportActivation(g, pre, layer.activation, layer.actAlpha, layer.name);
});
