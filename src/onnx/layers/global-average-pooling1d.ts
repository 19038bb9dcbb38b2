/**
 * GlobalAveragePooling1D → ReduceMean over the steps; with a sequence mask, the sum of the real steps over
 * their number (0 for a sample with none, as predict gives), and the mask ends here.
 */
import { GlobalAveragePooling1D } from '../../layers/global-average-pooling1d';
import { layerExport } from '../layer-export';
import { sequenceMask, setSequenceMask } from '../sequence-masks';
import { cast, ONNX_TYPE, reduce, unsqueeze } from './sequence-nodes';

export const globalAveragePooling1dExport = layerExport(
  'GlobalAveragePooling1D',
  GlobalAveragePooling1D,
  (layer, input, g) => {
    const x = g.toLayout(input, 'channelsLast');
    const stem = layer.name;
    const mask = sequenceMask(g);
    setSequenceMask(g, null);
    let name: string;
    if (!mask) name = reduce(g, 'ReduceMean', x.name, [1], false, stem);
    else {
      const real = unsqueeze(g, cast(g, mask, ONNX_TYPE.BOOL, `${stem}/real`), [2], `${stem}/real`);
      // Where, not a product: a padded step's value (even an infinite one) adds nothing.
      const kept = g.node('Where', [real, x.name, g.scalar(`${stem}/zero`, 0)], `${stem}/real_steps`);
      const sum = reduce(g, 'ReduceSum', kept, [1], false, `${stem}/sum`);
      const count = reduce(g, 'ReduceSum', mask, [1], true, `${stem}/count`);
      const atLeastOne = g.node('Max', [count, g.scalar(`${stem}/one`, 1)], `${stem}/at_least_one`);
      name = g.node('Div', [sum, atLeastOne], `${stem}/mean`);
    }
    return { name, shape: layer.outputShape!, layout: 'channelsLast' };
  },
);
