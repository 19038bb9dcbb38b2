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

/** A fully connected layer. @example bp.layers.dense({ units: 64, activation: 'relu', inputShape: [784] }) */
export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
/** An activation on its own. @example bp.layers.activation({ activation: 'softmax' }) */
export function activation(args: ActivationArgs): ActivationLayer {
  return new ActivationLayer(args);
}
/** Dropout, active only while training. @example bp.layers.dropout({ rate: 0.25 }) */
export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}

export { Layer } from './layer';
export { Dense, ActivationLayer, Dropout };
export type { DenseArgs, ActivationArgs, DropoutArgs };
