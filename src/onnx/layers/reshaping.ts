/**
 * Flatten, Reshape and Permute: they work on the Keras (channels-last) order of the values, so their input is
 * brought to channels-last first. The batch axis stays dynamic: Reshape copies it (a 0 in the shape).
 */
import { Flatten } from '../../layers/flatten';
import { Permute } from '../../layers/permute';
import { Reshape } from '../../layers/reshape';
import { layerExport } from '../layer-export';

export const flattenExport = layerExport('Flatten', Flatten, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  if (x.shape.length === 1) return x;
  const name = g.node('Flatten', [x.name], `${layer.name}/Flatten`, { axis: { int: 1 } });
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});

export const reshapeExport = layerExport('Reshape', Reshape, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const shape = g.int64s(`${layer.name}/shape`, [0, ...layer.outputShape!]);
  const name = g.node('Reshape', [x.name, shape], `${layer.name}/Reshape`);
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});

export const permuteExport = layerExport('Permute', Permute, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const name = g.node('Transpose', [x.name], `${layer.name}/Transpose`, { perm: { ints: [0, ...layer.dims] } });
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});
