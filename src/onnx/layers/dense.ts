/**
 * Dense → Gemm for feature vectors ([batch, in] · [in, units] + bias); for inputs of higher rank, where Dense
 * applies to the last axis, MatMul (which broadcasts over the leading axes) then Add. Then the activation.
 */
import { Dense } from '../../layers/dense';
import { exportActivation } from '../activations';
import { layerExport, weightInitializer } from '../layer-export';

export const denseExport = layerExport('Dense', Dense, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const kernel = weightInitializer(g, layer, 'kernel');
  const bias = layer.useBias ? weightInitializer(g, layer, 'bias') : undefined;
  let z: string;
  if (x.shape.length === 1) {
    z = g.node('Gemm', bias ? [x.name, kernel, bias] : [x.name, kernel], `${layer.name}/Gemm`);
  } else {
    z = g.node('MatMul', [x.name, kernel], `${layer.name}/MatMul`);
    if (bias) z = g.node('Add', [z, bias], `${layer.name}/BiasAdd`);
  }
  const pre = { name: z, shape: layer.outputShape!, layout: 'channelsLast' as const };
  return exportActivation(g, pre, layer.activation, layer.actAlpha, layer.name);
});
