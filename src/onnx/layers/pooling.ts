/**
 * MaxPooling and AveragePooling (1D and 2D) → ONNX MaxPool / AveragePool on channels-first values, with TF's
 * 'same' padding as explicit (possibly asymmetric) pads. Padding is never part of a window: MaxPool ignores
 * it, and AveragePool is written with count_include_pad 0, so a border window is the mean of its real inputs
 * only, as TF.js computes it.
 */
import { AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D, type Pooling } from '../../layers/pooling';
import type { GraphBuilder, OnnxValue } from '../graph';
import { layerExport } from '../layer-export';
import { onnxPads } from '../spatial';

function pool(layer: Pooling, input: OnnxValue, g: GraphBuilder, op: 'MaxPool' | 'AveragePool'): OnnxValue {
  const x = g.toLayout(input, 'channelsFirst');
  const spatial = x.shape.slice(0, -1);
  const pads = onnxPads(
    spatial.map((size, i) => ({ size, kernel: layer.poolSize[i], stride: layer.strides[i], dilation: 1 })),
    layer.padding,
  );
  const name = g.node(op, [x.name], `${layer.name}/${op}`, {
    kernel_shape: { ints: layer.poolSize },
    strides: { ints: layer.strides },
    pads: { ints: pads },
    ...(op === 'AveragePool' ? { count_include_pad: { int: 0 } } : {}),
  });
  return { name, shape: layer.outputShape!, layout: 'channelsFirst' };
}

export const maxPooling2dExport = layerExport('MaxPooling2D', MaxPooling2D, (l, x, g) => pool(l, x, g, 'MaxPool'));
export const averagePooling2dExport = layerExport('AveragePooling2D', AveragePooling2D, (l, x, g) =>
  pool(l, x, g, 'AveragePool'),
);
export const maxPooling1dExport = layerExport('MaxPooling1D', MaxPooling1D, (l, x, g) => pool(l, x, g, 'MaxPool'));
export const averagePooling1dExport = layerExport('AveragePooling1D', AveragePooling1D, (l, x, g) =>
  pool(l, x, g, 'AveragePool'),
);
