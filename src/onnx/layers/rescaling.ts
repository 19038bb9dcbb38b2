/** Rescaling → ONNX Mul and Add by scalars, in whichever layout its input is in. */
import { Rescaling } from '../../layers/rescaling';
import { layerExport } from '../layer-export';

export const rescalingExport = layerExport('Rescaling', Rescaling, (layer, x, g) => {
  const scaled = g.node('Mul', [x.name, g.scalar(`${layer.name}/scale`, layer.scale)], `${layer.name}/Mul`);
  const name = g.node('Add', [scaled, g.scalar(`${layer.name}/offset`, layer.offset)], `${layer.name}/Add`);
  return { ...x, name };
});
