/**
 * LayerNormalization over the last axis → ONNX's LayerNormalization (opset 17 and later; gamma, or ones
 * when scale is false; beta when center), or for older opsets its formula written out:
 * (x − mean) / sqrt(var + epsilon) · gamma + beta, with the biased variance as ours and Keras' use.
 */
import { LayerNormalization } from '../../layers/layer-normalization';
import { layerExport, weightInitializer } from '../layer-export';
import { reduce } from './sequence-nodes';

/** The first opset with a LayerNormalization op. */
const LAYER_NORM_OPSET = 17;

export const layerNormalizationExport = layerExport('LayerNormalization', LayerNormalization, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const stem = layer.name;
  const shape = layer.outputShape!;
  const features = shape[shape.length - 1];
  const gamma = layer.scale ? weightInitializer(g, layer, 'gamma') : undefined;
  const beta = layer.center ? weightInitializer(g, layer, 'beta') : undefined;
  let name: string;
  if (g.opset >= LAYER_NORM_OPSET) {
    const scale = gamma ?? g.weight(`${stem}/ones`, [features], new Float32Array(features).fill(1));
    name = g.node('LayerNormalization', beta ? [x.name, scale, beta] : [x.name, scale], `${stem}/LayerNormalization`, {
      axis: { int: -1 },
      epsilon: { float: layer.epsilon },
    });
  } else {
    const last = shape.length;
    const mean = reduce(g, 'ReduceMean', x.name, [last], true, `${stem}/mean`);
    const centred = g.node('Sub', [x.name, mean], `${stem}/centred`);
    const variance = reduce(
      g,
      'ReduceMean',
      g.node('Mul', [centred, centred], `${stem}/squares`),
      [last],
      true,
      `${stem}/variance`,
    );
    const std = g.node(
      'Sqrt',
      [g.node('Add', [variance, g.scalar(`${stem}/epsilon`, layer.epsilon)], `${stem}/var_eps`)],
      `${stem}/std`,
    );
    name = g.node('Div', [centred, std], `${stem}/normalised`);
    if (gamma) name = g.node('Mul', [name, gamma], `${stem}/scaled`);
    if (beta) name = g.node('Add', [name, beta], `${stem}/shifted`);
  }
  return { name, shape, layout: 'channelsLast' };
});
