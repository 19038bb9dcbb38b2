/**
 * What a saved model records about its training beyond the weights, in `userDefinedMetadata.backprop`:
 * - `compile`: the loss with its options, the metric names exactly as compile was given them, and the
 *   optimizer's full configuration (schedule, clipping, decay...) — always, when the model is compiled;
 * - `training` (with `includeOptimizer`): epoch, step count, current learning rate, RNG state and the state
 *   of stateful callbacks, so fit resumes bit for bit.
 * TF.js's own `trainingConfig` is written too, but only when TF.js can compile from it exactly.
 */
import type { Model } from '../model/model';
import { serializeOptimizer } from '../optimizers';
import { serializeLoss } from '../training/losses';
import type { Loss } from '../training/contracts';
import { toSnake } from './case';

/** JSON has no Infinity or NaN: such numbers are written as strings and read back. */
export function encodeNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  return undefined;
}

/** One output's loss as recorded: its serialised form, `{ custom: name }` for a function, or null. */
function lossRecord(loss: Loss | undefined): unknown {
  if (!loss) return null;
  return serializeLoss(loss) ?? { custom: loss.name };
}

/**
 * The `compile` record, or undefined for an uncompiled model. A model with several outputs records each output's
 * loss, metrics and loss weight under `outputs`, by output name.
 */
export function compileRecord(model: Model): Record<string, unknown> | undefined {
  if (!model.optimizer) return undefined;
  const optimizer = serializeOptimizer(model.optimizer);
  const names = model.outputNames;
  if (names.length === 1) return { loss: lossRecord(model.loss), metrics: [...model.metricNames], optimizer };
  const outputs: Record<string, unknown> = {};
  names.forEach((n, o) => {
    outputs[n] = {
      loss: lossRecord(model.outputLosses[o]),
      metrics: [...(model.outputMetrics[o] ?? [])],
      weight: model.lossWeights[o] ?? 1,
    };
  });
  return { outputs, optimizer };
}

/** The `training` record: where training stands, for an exact resume. */
export function trainingRecord(model: Model): Record<string, unknown> {
  const opt = model.optimizer!;
  const callbacks: Record<string, Record<string, number | string>> = {};
  for (const [key, state] of Object.entries(model.trainingState.callbacks)) {
    callbacks[key] = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, encodeNumber(v)]));
  }
  return {
    epoch: model.trainingState.epoch,
    iterations: opt.iterations,
    learningRate: opt.learningRate,
    rngState: model.rng.getState(),
    callbacks,
  };
}

const TFJS_OPTIMIZERS = ['SGD', 'Momentum', 'RMSProp', 'Adagrad', 'Adam'];
const TFJS_LOSSES = [
  'meanSquaredError',
  'meanAbsoluteError',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
];
const TFJS_METRICS = ['accuracy', 'acc', 'mse', 'mae'];

/**
 * TF.js's `trainingConfig` (TF.js compiles a loaded model from it), when TF.js can do that exactly: its own
 * optimizer classes with a constant learning rate, its loss names without options, its metric names.
 */
export function tfjsTrainingConfig(model: Model): Record<string, unknown> | undefined {
  const opt = model.optimizer;
  const loss = model.loss;
  if (model.outputNames.length !== 1) return undefined;
  if (!opt || !loss || loss.custom || !TFJS_OPTIMIZERS.includes(opt.className)) return undefined;
  const config = opt.getConfig();
  const lossConfig = loss.getConfig();
  if (typeof config.learningRate !== 'number' || Object.values(lossConfig).some((v) => v !== false)) return undefined;
  if (!TFJS_LOSSES.includes(loss.name) || !model.metricNames.every((m) => TFJS_METRICS.includes(m))) return undefined;
  return {
    optimizer_config: {
      class_name: opt.className,
      config: Object.fromEntries(Object.entries(config).map(([k, v]) => [toSnake(k), v])),
    },
    loss: toSnake(loss.name),
    metrics: model.metricNames,
    loss_weights: null,
    sample_weight_mode: null,
  };
}
