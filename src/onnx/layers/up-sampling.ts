/**
 * UpSampling2D → ONNX Resize on channels-first values, with TF.js's coordinates ('asymmetric': output pixel o reads
 * source position o / scale): mode 'nearest' rounding down, or 'linear' for 'bilinear'.
 */
import { UpSampling2D } from '../../layers/up-sampling2d';
import { layerExport } from '../layer-export';

export const upSampling2dExport = layerExport('UpSampling2D', UpSampling2D, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsFirst');
  const scales = g.weight(`${layer.name}/scales`, [4], [1, 1, layer.size[0], layer.size[1]]);
  const nearest = layer.interpolation === 'nearest';
  const name = g.node('Resize', [x.name, '', scales], `${layer.name}/Resize`, {
    mode: { string: nearest ? 'nearest' : 'linear' },
    coordinate_transformation_mode: { string: 'asymmetric' },
    ...(nearest ? { nearest_mode: { string: 'floor' } } : {}),
  });
  return { name, shape: layer.outputShape!, layout: 'channelsFirst' };
});
