/** RepeatVector → ONNX Unsqueeze ([batch, 1, features]) and Tile (n along the new axis). */
import { RepeatVector } from '../../layers/repeat-vector';
import { layerExport } from '../layer-export';

export const repeatVectorExport = layerExport('RepeatVector', RepeatVector, (layer, x, g) => {
  const one = g.node('Unsqueeze', [x.name, g.int64s(`${layer.name}/axes`, [1])], `${layer.name}/Unsqueeze`);
  const name = g.node('Tile', [one, g.int64s(`${layer.name}/repeats`, [1, layer.n, 1])], `${layer.name}/Tile`);
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});
