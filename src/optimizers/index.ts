/**
 * Optimizers, named as in TF.js (`tf.train.adam` → `bp.optimizers.adam`), also usable by name in
 * compile ('sgd', 'momentum', 'rmsprop', 'adagrad', 'adam', 'adamw').
 * @example model.compile({ optimizer: bp.optimizers.adam({ learningRate: 1e-3, clipNorm: 1 }), loss: 'mse' })
 */
import { Adagrad, type AdagradArgs } from './adagrad';
import { Adam, type AdamArgs } from './adam';
import { RMSProp, type RmspropArgs } from './rmsprop';
import { SGD, type SgdArgs } from './sgd';

/**
 * SGD, optionally with momentum / Nesterov.
 * @example bp.optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })
 */
export const sgd = (args?: SgdArgs): SGD => new SGD(args);
/** RMSprop. @example bp.optimizers.rmsprop({ learningRate: 1e-3 }) */
export const rmsprop = (args?: RmspropArgs): RMSProp => new RMSProp(args);
/** AdaGrad. @example bp.optimizers.adagrad({ learningRate: 0.05 }) */
export const adagrad = (args?: AdagradArgs): Adagrad => new Adagrad(args);
/** Adam. @example bp.optimizers.adam({ learningRate: 1e-3 }) */
export const adam = (args?: AdamArgs): Adam => new Adam(args);
/**
 * AdamW: Adam with decoupled weight decay (default 0.004).
 * @example bp.optimizers.adamw({ learningRate: 1e-3, weightDecay: 0.01 })
 */
export const adamw = (args?: AdamArgs): Adam => new Adam(args, true);

export type OptimizerIdentifier =
  string | import('../training/contracts').Optimizer | { className: string; config?: object };

export { getOptimizer, serializeOptimizer, OPTIMIZER_NAMES } from './registry';
export { exponentialDecay, stepDecay, cosineDecay, getSchedule, serializeSchedule, SCHEDULE_NAMES } from './schedules';
export type { Schedule } from './schedules';
export { SGD, RMSProp, Adagrad, Adam };
export type { SgdArgs, RmspropArgs, AdagradArgs, AdamArgs };
export type { BaseOptimizerArgs } from './optimizer';
