/**
 * Cropping2D → ONNX Slice of the height and width axes, in whichever layout its input is in (no transpose).
 */
import { Cropping2D } from '../../layers/cropping2d';
import { layerExport } from '../layer-export';

export const cropping2dExport = layerExport('Cropping2D', Cropping2D, (layer, x, g) => {
  const [[top], [left]] = layer.cropping;
  const [h, w] = layer.outputShape!;
  const axes = x.layout === 'channelsFirst' ? [2, 3] : [1, 2];
  const name = g.node(
    'Slice',
    [
      x.name,
      g.int64s(`${layer.name}/starts`, [top, left]),
      g.int64s(`${layer.name}/ends`, [top + h, left + w]),
      g.int64s(`${layer.name}/axes`, axes),
    ],
    `${layer.name}/Slice`,
  );
  return { name, shape: layer.outputShape!, layout: x.layout };
});
