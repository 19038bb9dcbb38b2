/**
 * backprop: neural-network training for Node.js, with a Keras / TF.js-Layers style API over a C++/OpenBLAS
 * addon (and a pure-JS backend that gives the same answers).
 *
 * @example
 * const bp = require('backprop');
 * const model = bp.sequential({ seed: 1, layers: [
 *   bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
 *   bp.layers.dense({ units: 1, activation: 'sigmoid' }),
 * ] });
 * model.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics:
 * ['accuracy'] });
 * const { x, y } = bp.data.xor();
 * await model.fit(x, y, { epochs: 300, batchSize: 4 });
 * console.log(model.predict(x).data); // ≈ [0, 1, 1, 0]
 */
export { backend, getBackend, setBackend, setThreads, jsReference, nativeBackend, wasmBackend } from './backend/select';
export type { BackendName } from './backend/select';
export { Activation, ACTIVATION_NAMES, OP_NAMES } from './backend/ops';
export { floatArray, isAsyncSafe } from './backend/memory';
export type { Backend, BackendInfo, DType, FloatArray, ActivationName, ActivationCode } from './backend/ops';
export { Rng } from './random';
export { getLimits, setLimits } from './limits';
export type { Limits } from './limits';

export { sequential, Sequential, loadLayersModel } from './sequential';
export type { SequentialArgs } from './sequential';
export { model, LayersModel } from './layers-model';
export type { FunctionalModelArgs } from './layers-model';
export { input, InputLayer } from './layers/input-layer';
export type { InputArgs } from './layers/input-layer';
export { SymbolicTensor } from './autodiff/symbolic';
export type { SymbolicDType } from './autodiff/symbolic';
export { modelFromSpec, checkModelSpec } from './model-spec';
export type { ModelSpec, LayerSpec } from './model-spec';
export { Model, ModelBusyError } from './model';
export type { CompileArgs, WeightArray, TrainingState, InputLike, TargetLike } from './model';
export type { InputsLike, TargetsLike } from './model/io-lists';
export { tensor } from './model/tensor';
export type { Tensor, NestedArray } from './model/tensor';
export type { FitArgs } from './fit/fit';
export type { FitDatasetArgs, DatasetLike } from './fit/fit-dataset';
export type { BatchElement, Lease, LeaseSource } from './fit/dataset-protocol';
export { History } from './fit/history';
export { NonFiniteLossError } from './fit/errors';
export { gradcheck } from './model/gradcheck';
export type { GradcheckResult, GradcheckOptions } from './model/gradcheck';
export { tensor2d } from './data/tensor';
export type { LoadOptions } from './io/load';
export type { SaveOptions, SaveResult } from './io/save';
export type { Tensor2D } from './data/tensor';

export * as layers from './layers';
export * as callbacks from './callbacks';
export * as optimizers from './optimizers';
export * as losses from './training/losses';
export * as metrics from './training/metrics';
export * as initializers from './training/initializers';
export * as regularizers from './training/regularizers';
export * as data from './data';
export * as jobs from './jobs';
export * as distributed from './distributed';
export type { Loss, Optimizer, Metric, Regularizer, Initializer, Param } from './training/contracts';

// autodiff: tensor ops with gradients, eager gradients, variables
export {
  ops,
  grad,
  grads,
  valueAndGrad,
  valueAndGrads,
  variableGrads,
  customGrad,
  variable,
  Variable,
} from './autodiff';
export type { TensorLike, CustomGradResult, TapeNode } from './autodiff';
export { registerLayer } from './layers/registry';

// ONNX export and safetensors
export { exportOnnx } from './onnx/export';
export type { OnnxExportOptions } from './onnx/export';
export * as io from './io';
