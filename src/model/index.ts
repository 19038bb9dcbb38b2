/** The model core's public surface (the engine stays internal). */
export { Model } from './model';
export type { CompileArgs, ModelArgs, WeightArray, TrainingState } from './model';
export { ModelBusyError } from './engine';
export type { InputLike, TargetLike } from './inputs';
