/**
 * Layer factories, named as in TF.js (`tf.layers.dense` → `bp.layers.dense`).
 * @example
 * const model = bp.sequential({ layers: [
 *   bp.layers.dense({ units: 16, activation: 'relu', inputShape: [4] }),
 *   bp.layers.dropout({ rate: 0.1 }),
 *   bp.layers.dense({ units: 3, activation: 'softmax' }),
 * ] });
 */
import { ActivationLayer, type ActivationArgs } from './activation';
import { Dense, type DenseArgs } from './dense';
import { Dropout, type DropoutArgs } from './dropout';
import { Flatten, type FlattenArgs } from './flatten';
import type { LayerArgs } from './layer';
import { Permute, type PermuteArgs } from './permute';
import { Reshape, type ReshapeArgs } from './reshape';

/**
 * A fully connected layer, applied to the last axis of its input.
 * @example bp.layers.dense({ units: 64, activation: 'relu', inputShape: [784] })
 */
export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
/** An activation on its own. @example bp.layers.activation({ activation: 'softmax' }) */
export function activation(args: ActivationArgs): ActivationLayer {
  return new ActivationLayer(args);
}
/** Leaky ReLU with slope `alpha` below 0 (default 0.3). @example bp.layers.leakyReLU({ alpha: 0.1 }) */
export function leakyReLU(args: LayerArgs & { alpha?: number } = {}): ActivationLayer {
  return new ActivationLayer({ ...args, activation: 'leakyRelu', alpha: args.alpha ?? 0.3 });
}
/** Dropout, active only while training. @example bp.layers.dropout({ rate: 0.25 }) */
export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}
/** Flattens each sample to one axis. @example bp.layers.flatten() // [28, 28, 1] → [784] */
export function flatten(args?: FlattenArgs): Flatten {
  return new Flatten(args);
}
/** Reshapes each sample. @example bp.layers.reshape({ targetShape: [28, 28, 1] }) */
export function reshape(args: ReshapeArgs): Reshape {
  return new Reshape(args);
}
/** Permutes the axes of each sample (1-based). @example bp.layers.permute({ dims: [2, 1] }) // [50, 32] → [32, 50] */
export function permute(args: PermuteArgs): Permute {
  return new Permute(args);
}

export { Layer } from './layer';
export type { LayerArgs, WeightSpec } from './layer';
export { layerFromConfig, SUPPORTED_LAYERS } from './registry';
export type { Shape } from './shape';
export { Dense, ActivationLayer, Dropout, Flatten, Reshape, Permute };
export type { DenseArgs, ActivationArgs, DropoutArgs, FlattenArgs, ReshapeArgs, PermuteArgs };
