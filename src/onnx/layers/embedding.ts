/**
 * Embedding → Gather. The ONNX model takes what model.predict takes: the token ids as float32 values
 * ([batch, steps], exact integers below 2^24), cast to int64 inside the graph, so one input type serves every
 * model and a caller feeds the same arrays to both. predict refuses an id that is negative, not an integer or
 * not below inputDim; ONNX's Gather would silently wrap negative ids and Cast would truncate fractions, so
 * such ids are replaced by inputDim, out of the table's bounds, and ONNX Runtime fails the run
 * ("indices element out of data bounds") instead of returning numbers predict would not give.
 *
 * With maskZero the output carries the mask "id ≠ 0" (sequence-masks.ts).
 */
import { Embedding } from '../../layers/embedding';
import { layerExport, weightInitializer } from '../layer-export';
import { setSequenceMask } from '../sequence-masks';
import { cast, ONNX_TYPE } from './sequence-nodes';

export const embeddingExport = layerExport('Embedding', Embedding, (layer, input, g) => {
  const x = g.toLayout(input, 'channelsLast');
  const stem = layer.name;
  const table = weightInitializer(g, layer, 'embeddings');
  const atLeastZero = g.node('GreaterOrEqual', [x.name, g.scalar(`${stem}/zero`, 0)], `${stem}/id_at_least_0`);
  const belowDim = g.node('Less', [x.name, g.scalar(`${stem}/input_dim`, layer.inputDim)], `${stem}/id_below_dim`);
  const whole = g.node('Equal', [x.name, g.node('Floor', [x.name], `${stem}/Floor`)], `${stem}/id_is_integer`);
  const valid = g.node('And', [g.node('And', [atLeastZero, belowDim], `${stem}/id_in_range`), whole], `${stem}/id_ok`);
  const ids = cast(g, x.name, ONNX_TYPE.INT64, `${stem}/ids`);
  const outOfBounds = g.int64s(`${stem}/out_of_bounds_id`, [layer.inputDim]);
  const checked = g.node('Where', [valid, ids, outOfBounds], `${stem}/checked_ids`);
  const name = g.node('Gather', [table, checked], `${stem}/Gather`, { axis: { int: 0 } });
  setSequenceMask(
    g,
    layer.maskZero
      ? () => {
          const zero = g.node('Equal', [x.name, g.scalar(`${stem}/pad_id`, 0)], `${stem}/is_padding`);
          return cast(g, g.node('Not', [zero], `${stem}/is_token`), ONNX_TYPE.FLOAT, `${stem}/mask`);
        }
      : null,
  );
  return { name, shape: layer.outputShape!, layout: 'channelsLast' };
});
