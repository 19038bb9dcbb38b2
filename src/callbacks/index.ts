/**
 * Built-in callbacks, named as in TF.js (`tf.callbacks.earlyStopping`).
 * @example
 * await model.fit(x, y, { epochs: 100, validationSplit: 0.2,
 *   callbacks: [bp.callbacks.earlyStopping({ patience: 5, restoreBestWeights: true })] });
 */
import { EarlyStopping, type EarlyStoppingArgs } from './early-stopping';
import { LearningRateScheduler, ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './lr-callbacks';
import { TerminateOnNaN } from './terminate-on-nan';
import { ModelCheckpoint, type ModelCheckpointArgs } from './model-checkpoint';

/**
 * Stops training when the monitored value stops improving.
 * @example bp.callbacks.earlyStopping({ monitor: 'val_loss', patience: 3 })
 */
export function earlyStopping(args?: EarlyStoppingArgs): EarlyStopping {
  return new EarlyStopping(args);
}
/** Stops training at the first non-finite batch loss. @example bp.callbacks.terminateOnNaN() */
export function terminateOnNaN(): TerminateOnNaN {
  return new TerminateOnNaN();
}
/**
 * Sets the learning rate each epoch.
 * @example bp.callbacks.learningRateScheduler((epoch, lr) => epoch < 10 ? lr : lr * 0.9)
 */
export function learningRateScheduler(schedule: (epoch: number, lr: number) => number): LearningRateScheduler {
  return new LearningRateScheduler(schedule);
}
/** Lowers the learning rate on a plateau. @example bp.callbacks.reduceLROnPlateau({ factor: 0.5, patience: 2 }) */
export function reduceLROnPlateau(args?: ReduceLROnPlateauArgs): ReduceLROnPlateau {
  return new ReduceLROnPlateau(args);
}

/** Saves checkpoints during fit. @example bp.callbacks.modelCheckpoint({ path: './ckpt', everyEpochs: 5 }) */
export function modelCheckpoint(args: ModelCheckpointArgs): ModelCheckpoint {
  return new ModelCheckpoint(args);
}

export { Callback, CallbackList } from './callback';
export type { CallbackHooks, Logs } from './callback';
export { EarlyStopping, TerminateOnNaN, LearningRateScheduler, ReduceLROnPlateau, ModelCheckpoint };
export { ProgressBar } from './progress';
