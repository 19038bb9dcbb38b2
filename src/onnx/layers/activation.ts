/**
 * The Activation layer (also what TF.js's ReLU, LeakyReLU, ELU and Softmax layers load as): its activation,
 * in the input's layout (softmax over the Keras last axis in either).
 */
import { ActivationLayer } from '../../layers/activation';
import { exportActivation } from '../activations';
import { layerExport } from '../layer-export';

export const activationExport = layerExport('Activation', ActivationLayer, (layer, x, g) =>
  exportActivation(g, x, layer.activation, layer.actAlpha, layer.name),
);
