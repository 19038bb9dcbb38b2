/**
 * Writing a model's `modelTopology` (Keras/TF.js JSON): each layer as its registry entry writes it, keys in
 * snake_case, the first layer carrying `batch_input_shape` and `dtype`.
 */
import type { Model } from '../model/model';
import { activationToFile } from '../backend/activations';
import { layerToFile } from '../layers/registry';
import { keysToSnake } from './case';

export const KERAS_VERSION = 'tfjs-layers 4.22.0';

export function modelTopology(model: Model): Record<string, unknown> {
  const inputShape = model.inputShape!;
  const layers = model.layers.flatMap((layer, i) =>
    layerToFile(layer).map((json, j) => {
      const first = i === 0 && j === 0;
      const config: Record<string, unknown> = first
        ? { batchInputShape: [null, ...inputShape], dtype: 'float32', ...json.config }
        : { ...json.config };
      // Activations as Keras names them in files ('hard_sigmoid'); backprop's names are camelCase.
      if (typeof config.activation === 'string') config.activation = activationToFile(config.activation);
      return { class_name: json.className, config: keysToSnake(config) };
    }),
  );
  return {
    class_name: 'Sequential',
    config: { name: model.name, layers },
    keras_version: KERAS_VERSION,
    backend: 'tensor_flow.js',
  };
}
