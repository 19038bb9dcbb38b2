/**
 * ReLU with Keras' options, in the input's layout: Relu, Clip(0, maxValue) (ReLU6), LeakyRelu (a slope alone),
 * or in general Where(x > threshold, Min(x, maxValue), slope·(x − threshold)).
 */
import { ReLU } from '../../layers/relu';
import { layerExport } from '../layer-export';

export const reluExport = layerExport('ReLU', ReLU, (layer, x, g) => {
  const stem = layer.name;
  const { maxValue, negativeSlope: slope, threshold: t } = layer;
  let name: string;
  if (slope === 0 && t === 0) {
    name =
      maxValue === null
        ? g.node('Relu', [x.name], `${stem}/Relu`)
        : g.node('Clip', [x.name, g.scalar(`${stem}/min`, 0), g.scalar(`${stem}/max`, maxValue)], `${stem}/Clip`);
  } else if (maxValue === null && t === 0) {
    name = g.node('LeakyRelu', [x.name], `${stem}/LeakyRelu`, { alpha: { float: slope } });
  } else {
    const threshold = g.scalar(`${stem}/threshold`, t);
    const above = g.node('Greater', [x.name, threshold], `${stem}/above`);
    const kept = maxValue === null ? x.name : g.node('Min', [x.name, g.scalar(`${stem}/max`, maxValue)], `${stem}/Min`);
    const below = g.node(
      'Mul',
      [g.node('Sub', [x.name, threshold], `${stem}/shifted`), g.scalar(`${stem}/slope`, slope)],
      `${stem}/below`,
    );
    name = g.node('Where', [above, kept, below], `${stem}/Where`);
  }
  return { ...x, name };
});
