/**
 * Masking: a step whose features all equal maskValue is padding; the output is the input with padded steps
 * zeroed (Where, not a product, so an infinite maskValue gives 0 as predict does), and carries the mask
 * "some feature ≠ maskValue" (sequence-masks.ts).
 */
import { Masking } from '../../layers/masking';
import { layerExport } from '../layer-export';
import { setSequenceMask } from '../sequence-masks';
import { cast, ONNX_TYPE, reduce } from './sequence-nodes';

export const maskingExport = layerExport('Masking', Masking, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const stem = layer.name;
  const rank = x.shape.length + 1;
  const featureAxes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const isPad = g.node('Equal', [x.name, g.scalar(`${stem}/mask_value`, layer.maskValue)], `${stem}/is_mask_value`);
  const differs = cast(g, g.node('Not', [isPad], `${stem}/differs`), ONNX_TYPE.FLOAT, `${stem}/differs_float`);
  // [batch, steps, 1, ...]: 1 where some feature of the step differs from maskValue.
  const real = reduce(g, 'ReduceMax', differs, featureAxes, true, `${stem}/real_step`);
  const keep = cast(g, real, ONNX_TYPE.BOOL, `${stem}/keep`);
  const name = g.node('Where', [keep, x.name, g.scalar(`${stem}/zero`, 0)], `${stem}/masked`);
  setSequenceMask(g, () => g.node('Flatten', [real], `${stem}/mask`, { axis: { int: 1 } }));
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});
