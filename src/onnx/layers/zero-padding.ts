/**
 * ZeroPadding2D → ONNX Pad (constant zeros) in whichever layout its input is in: padding rows and columns
 * needs no transpose, so a ZeroPadding2D between convolutions (or before the first) adds none.
 */
import { ZeroPadding2D } from '../../layers/zero-padding2d';
import { layerExport } from '../layer-export';

export const zeroPadding2dExport = layerExport('ZeroPadding2D', ZeroPadding2D, (layer, x, g) => {
  const [[top, bottom], [left, right]] = layer.padding;
  // ONNX pads: [begin of each axis..., end of each axis...], batch axis included.
  const pads =
    x.layout === 'channelsFirst' ? [0, 0, top, left, 0, 0, bottom, right] : [0, top, left, 0, 0, bottom, right, 0];
  const name = g.node('Pad', [x.name, g.int64s(`${layer.name}/pads`, pads)], `${layer.name}/Pad`, {
    mode: { string: 'constant' },
  });
  return { name, shape: layer.outputShape!, layout: x.layout };
});
