/**
 * TimeDistributed: a wrapped layer that works on the last axis alone (Dense, Activation, Dropout) is written by
 * its own export on the whole [batch, steps, ...] value (Dense: MatMul over rank 3, then Add); any other
 * wrapped layer with an export runs on the steps folded into the batch (Reshape to [batch·steps, ...], its
 * export, Reshape back). Its weights keep the wrapper's names ('time_distributed/kernel'). The sequence mask
 * passes through; the wrapped layer sees none.
 */
import { TimeDistributed } from '../../layers/time-distributed';
import type { LayerExport } from '../layer-export';
import { layerExport } from '../layer-export';
import { keepingSequenceMask, setSequenceMask } from '../sequence-masks';

/** Wrapped layers that apply to the last axis and broadcast over the others. */
const LAST_AXIS_LAYERS = new Set(['Dense', 'Activation', 'Dropout']);

/** TimeDistributed's export, given the registry's lookup (passed in: the registry imports this file). */
export function timeDistributedExport(exportFor: (className: string) => LayerExport | undefined): LayerExport {
  return layerExport('TimeDistributed', TimeDistributed, (layer, input, g) => {
    const inner = layer.layer;
    const write = exportFor(inner.className);
    if (!write) throw new Error(`the wrapped layer '${inner.name}' (${inner.className}) has no ONNX export`);
    const x = g.toLayout(input, 'channelsLast');
    const shape = layer.outputShape!;
    const [steps, ...stepShape] = x.shape;
    const name = keepingSequenceMask(g, () => {
      setSequenceMask(g, null);
      if (LAST_AXIS_LAYERS.has(inner.className)) return g.toLayout(write.write(inner, x, g), 'channelsLast').name;
      const rows = g.node(
        'Reshape',
        [x.name, g.int64s(`${layer.name}/step_rows`, [-1, ...stepShape])],
        `${layer.name}/steps_as_rows`,
      );
      const y = g.toLayout(
        write.write(inner, { name: rows, shape: stepShape, layout: 'channelsLast' }, g),
        'channelsLast',
      );
      const back = g.int64s(`${layer.name}/sequence_shape`, [-1, steps, ...inner.outputShape!]);
      return g.node('Reshape', [y.name, back], `${layer.name}/rows_as_steps`);
    });
    return { name, shape, layout: 'channelsLast' };
  });
}
