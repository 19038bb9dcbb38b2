/**
 * GlobalAveragePooling2D, GlobalMaxPooling2D and GlobalMaxPooling1D → ONNX GlobalAveragePool / GlobalMaxPool
 * on channels-first values ([batch, channels, 1, ...]), then Flatten to [batch, channels]: a feature vector,
 * the same in either layout. (GlobalAveragePooling1D, which averages unmasked steps only, is not here.)
 */
import { GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D } from '../../layers/global-pooling';
import type { Layer } from '../../layers/layer';
import type { GraphBuilder, OnnxValue } from '../graph';
import { layerExport } from '../layer-export';

function globalPool(layer: Layer, input: OnnxValue, g: GraphBuilder, op: 'GlobalMaxPool' | 'GlobalAveragePool') {
  const x = g.toLayout(input, 'channelsFirst');
  const pooled = g.node(op, [x.name], `${layer.name}/${op}`);
  const name = g.node('Flatten', [pooled], `${layer.name}/Flatten`, { axis: { int: 1 } });
  return { name, shape: layer.outputShape!, layout: 'channelsLast' as const };
}

export const globalAveragePooling2dExport = layerExport('GlobalAveragePooling2D', GlobalAveragePooling2D, (l, x, g) =>
  globalPool(l, x, g, 'GlobalAveragePool'),
);
export const globalMaxPooling2dExport = layerExport('GlobalMaxPooling2D', GlobalMaxPooling2D, (l, x, g) =>
  globalPool(l, x, g, 'GlobalMaxPool'),
);
export const globalMaxPooling1dExport = layerExport('GlobalMaxPooling1D', GlobalMaxPooling1D, (l, x, g) =>
  globalPool(l, x, g, 'GlobalMaxPool'),
);
