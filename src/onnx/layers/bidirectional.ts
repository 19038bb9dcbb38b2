/**
 * Bidirectional: the forward layer and its backward copy as two recurrent ops on the same input and mask
 * (recurrent.ts; the backward copy has goBackwards flipped, so it runs over the reversed steps), the backward
 * sequence put back in time order as ours does, then merged: concat (forward units first), sum, mul or ave.
 * Two ops rather than ONNX's direction 'bidirectional', so masks and goBackwards take the one tested path.
 */
import { Bidirectional } from '../../layers/bidirectional';
import { layerExport } from '../layer-export';
import { sequenceMask, setSequenceMask } from '../sequence-masks';
import { recurrentOutput } from './recurrent';
import { reverseSteps } from './sequence-nodes';

export const bidirectionalExport = layerExport('Bidirectional', Bidirectional, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const mask = sequenceMask(g);
  const stem = layer.name;
  const forward = recurrentOutput(g, layer.forwardLayer, x.name, mask);
  let backward = recurrentOutput(g, layer.backwardLayer, x.name, mask);
  if (layer.forwardLayer.returnSequences) backward = reverseSteps(g, backward, `${stem}/backward`);
  let name: string;
  switch (layer.mergeMode) {
    case 'concat':
      name = g.node('Concat', [forward, backward], `${stem}/concat`, { axis: { int: -1 } });
      break;
    case 'sum':
      name = g.node('Add', [forward, backward], `${stem}/sum`);
      break;
    case 'mul':
      name = g.node('Mul', [forward, backward], `${stem}/mul`);
      break;
    case 'ave':
      name = g.node(
        'Div',
        [g.node('Add', [forward, backward], `${stem}/sum`), g.scalar(`${stem}/two`, 2)],
        `${stem}/ave`,
      );
      break;
  }
  if (!layer.maskFlow(mask !== null)) setSequenceMask(g, null);
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});
