/**
 * BatchNormalization in its inference form → ONNX BatchNormalization (channels-first: channels on axis 1) with
 * the moving mean and variance: y = (x − moving_mean) / √(moving_variance + ε) · gamma + beta. A layer
 * without scale or center gets gamma 1 or beta 0 as constants (the ONNX op needs all four).
 */
import { BatchNormalization } from '../../layers/batch-normalization';
import { layerExport, weightInitializer } from '../layer-export';

export const batchNormalizationExport = layerExport('BatchNormalization', BatchNormalization, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsFirst');
  const channels = x.shape[x.shape.length - 1];
  const constant = (stem: string, v: number) =>
    g.weight(`${layer.name}/${stem}`, [channels], new Array(channels).fill(v));
  const gamma = layer.scale ? weightInitializer(g, layer, 'gamma') : constant('ones', 1);
  const beta = layer.center ? weightInitializer(g, layer, 'beta') : constant('zeros', 0);
  const mean = weightInitializer(g, layer, 'moving_mean');
  const variance = weightInitializer(g, layer, 'moving_variance');
  const name = g.node('BatchNormalization', [x.name, gamma, beta, mean, variance], `${layer.name}/BatchNormalization`, {
    epsilon: { float: layer.epsilon },
  });
  return { name, shape: layer.outputShape!, layout: 'channelsFirst' };
});
