/**
 * PReLU → ONNX PRelu on channels-last values: alpha (the per-sample shape with 1 on shared axes) broadcasts from
 * the trailing axes, as ONNX requires.
 */
import { PReLU } from '../../layers/prelu';
import { layerExport, weightInitializer } from '../layer-export';

export const preluExport = layerExport('PReLU', PReLU, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const name = g.node('PRelu', [x.name, weightInitializer(g, layer, 'alpha')], `${layer.name}/PRelu`);
  return { ...x, name };
});
