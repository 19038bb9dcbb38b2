/**
 * The model ↔ Keras/TF.js topology JSON mapping (model.json's `modelTopology`), for the layers
 * backprop has. See ../shared/reference/tfjs-layers-format.md for the format.
 */
import type { Sequential } from '../model/sequential';
import { Dense } from '../layers/dense';
import { ActivationLayer } from '../layers/activation';
import { Dropout } from '../layers/dropout';
import type { Layer } from '../layers/layer';
import { keysToSnake } from './case';
import { activationToFile } from '../backend/activations';

export const KERAS_VERSION = 'tfjs-layers 4.22.0';

function layerJson(layer: Layer, first: boolean, inputUnits: number): Record<string, unknown>[] {
  const base: Record<string, unknown> = { name: layer.name, trainable: true };
  if (first) Object.assign(base, { batchInputShape: [null, inputUnits], dtype: 'float32' });
  if (layer instanceof Dense) {
    const cfg = layer.getConfig();
    const leaky = layer.activation === 'leakyRelu';
    const dense = {
      className: 'Dense',
      config: keysToSnake({
        ...base,
        units: layer.units,
        // TF.js has no leaky-relu activation string: write a linear Dense followed by a LeakyReLU layer.
        activation: leaky ? 'linear' : activationToFile(layer.activation),
        useBias: layer.useBias,
        kernelInitializer: cfg.kernelInitializer,
        biasInitializer: cfg.biasInitializer,
        kernelRegularizer: cfg.kernelRegularizer,
        biasRegularizer: cfg.biasRegularizer,
        activityRegularizer: null,
        kernelConstraint: null,
        biasConstraint: null,
      }) as Record<string, unknown>,
    };
    // Initializer / regularizer `class_name` keys were converted by keysToSnake; their names stay verbatim.
    const out: Record<string, unknown>[] = [{ class_name: 'Dense', config: dense.config }];
    if (leaky)
      out.push({
        class_name: 'LeakyReLU',
        config: { name: `${layer.name}_leaky_relu`, trainable: true, alpha: layer.actAlpha },
      });
    return out;
  }
  if (layer instanceof ActivationLayer) {
    if (layer.activation === 'leakyRelu')
      return [{ class_name: 'LeakyReLU', config: keysToSnake({ ...base, alpha: layer.actAlpha }) }];
    return [
      { class_name: 'Activation', config: keysToSnake({ ...base, activation: activationToFile(layer.activation) }) },
    ];
  }
  if (layer instanceof Dropout) {
    return [
      { class_name: 'Dropout', config: keysToSnake({ ...base, rate: layer.rate, noiseShape: null, seed: null }) },
    ];
  }
  throw new Error(`save(): layer '${layer.name}' (${layer.className}) cannot be serialised`);
}

export function modelTopology(model: Sequential): Record<string, unknown> {
  const inputUnits = model.inputUnits!;
  return {
    class_name: 'Sequential',
    config: { name: model.name, layers: model.layers.flatMap((l, i) => layerJson(l, i === 0, inputUnits)) },
    keras_version: KERAS_VERSION,
    backend: 'tensor_flow.js',
  };
}
