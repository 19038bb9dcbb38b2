/**
 * Writing a model's `modelTopology` (Keras/TF.js JSON): a Sequential's layers, each as its registry entry writes it,
 * the first carrying `batch_input_shape` and `dtype`; a functional model's graph (write-graph.ts). Saving a layer
 * TF.js cannot load (a Keras-only class) warns once per class.
 */
import type { Model } from '../model/model';
import { Model as ModelClass } from '../model/model';
import type { Layer } from '../layers/layer';
import { layerEntry, SUPPORTED_LAYERS } from '../layers/registry';
import { modelConfigOf } from './write-graph';

export const KERAS_VERSION = 'tfjs-layers 4.22.0';

const warned = new Set<string>();

export function modelTopology(model: Model): Record<string, unknown> {
  warnNotInTfjs(model);
  const { class_name, config } = modelConfigOf(model);
  return { class_name, config, keras_version: KERAS_VERSION, backend: 'tensor_flow.js' };
}

/**
 * Says once per process and class that TF.js cannot load a model with it (backprop and Keras can): one warning
 * naming the classes a save meets for the first time. BACKPROP_SILENT=1 silences it.
 */
function warnNotInTfjs(model: Model): void {
  const fresh = new Map<string, string>();
  const stack: Layer[] = [...model.layers];
  while (stack.length > 0) {
    const l = stack.pop()!;
    if (l instanceof ModelClass) {
      stack.push(...l.layers);
      continue;
    }
    if (!SUPPORTED_LAYERS.includes(l.className) || l.className === 'InputLayer' || warned.has(l.className)) continue;
    const why = layerEntry(l.className).notInTfjs;
    if (why) fresh.set(l.className, why);
  }
  if (fresh.size === 0) return;
  for (const c of fresh.keys()) warned.add(c);
  if (process.env.BACKPROP_SILENT === '1') return;
  const list = [...fresh.keys()].sort();
  const whose = [...new Set(fresh.values())].join('; ');
  process.emitWarning(
    `backprop: the saved model has ${list.join(', ')} layers, which TF.js does not have (${whose}): ` +
      'backprop.loadLayersModel (and Keras) load the file, TF.js cannot. Export to ONNX (backprop export) to run it ' +
      'elsewhere.',
    { code: 'BACKPROP_NOT_TFJS' },
  );
}
