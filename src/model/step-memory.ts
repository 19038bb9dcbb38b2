/**
 * What training a model's layer calls hold in memory, summed from what each part declares, before anything is
 * allocated: every layer's buffers (Layer.stepBufferValues: outputs, gradients, workspaces, masks) for each
 * batch size a fit uses (layers keep one set per size), the loss gradient and fit's batch copies for each,
 * and the parameters with their gradients and the optimizer's arrays. Kept apart from the engine so that any
 * engine sums the same way; limits.ts checkTrainingMemory compares the result with bp.setLimits.
 */
import type { DType } from '../backend/ops';
import type { Layer } from '../layers/layer';
import { shapeSize, type Shape } from '../layers/shape';

/** One layer call of a step: the layer run and the per-sample shapes of its inputs. */
export interface StepCall {
  layer: Layer;
  /** The layer owning the weights when `layer` is a replica running a shared layer's later call. */
  primary?: Layer;
  inputShapes: readonly Shape[];
}

export interface TrainingMemoryPlan {
  /** Every layer call of a step, built or not, in order. */
  calls: readonly StepCall[];
  /** Per-sample shapes of the model's inputs and outputs. */
  inputShapes: readonly Shape[];
  outputShapes: readonly Shape[];
  dtype?: DType;
  /** The distinct row counts of the batches (see batchSizesOf). */
  batchSizes: number[];
  /** Arrays the optimizer keeps per parameter (Adam 2, SGD 0); unknown: 2. */
  optimizerSlots?: number;
}

/**
 * The calls of a chain of layers (a Sequential model or spec) from the first layer's per-sample input shape.
 * Throws (naming the layer) when a layer cannot take its input.
 * @example chainCalls(model.layers, [784]).outputShape // [10]
 */
export function chainCalls(layers: readonly Layer[], inputShape: Shape): { calls: StepCall[]; outputShape: Shape } {
  const calls: StepCall[] = [];
  let shape = inputShape;
  for (const layer of layers) {
    calls.push({ layer, inputShapes: [shape] });
    shape = layer.computeOutputShape(shape);
  }
  return { calls, outputShape: shape };
}

export interface TrainingMemory {
  /** Bytes in all. */
  bytes: number;
  parameters: number;
  /** Values of the step buffers of every batch size together (layers, loss gradient, batch copies). */
  bufferValues: number;
}

/**
 * The row counts of the batches `rows` rows make in batches of `batchSize`: the batch size and the last
 * partial batch (layers keep buffers for each).
 * @example batchSizesOf(1000, 32) // [32, 8] (1000 = 31 × 32 + 8)
 */
export function batchSizesOf(rows: number, batchSize: number): number[] {
  if (rows <= 0) return [];
  const last = rows % batchSize;
  return rows > batchSize && last ? [batchSize, last] : [Math.min(batchSize, rows)];
}

/**
 * The memory training `plan.calls` holds.
 * @example
 * const { calls, outputShape } = chainCalls(layers, [784]);
 * trainingMemory({ calls, inputShapes: [[784]], outputShapes: [outputShape], batchSizes: [32] }).bytes
 */
export function trainingMemory(plan: TrainingMemoryPlan): TrainingMemory {
  let parameters = 0,
    trainable = 0,
    replicaGradients = 0,
    perSample = 0;
  const counted = new Set<Layer>();
  for (const { layer, primary, inputShapes } of plan.calls) {
    const owner = primary ?? layer;
    // A shared layer's weights once, at its first call; each later call runs a replica (the engine makes one,
    // a plan of unbuilt layers names the layer again) that keeps gradients of its own. Deciding by the call's
    // order rather than by `layer !== owner` makes both kinds of plan sum the same.
    const first = !counted.has(owner);
    counted.add(owner);
    for (const w of layer.weightSpecsFor(inputShapes)) {
      const n = shapeSize(w.shape);
      const isTrainable = w.trainable && owner.trainable;
      if (!first) replicaGradients += isTrainable ? n : 0;
      else {
        parameters += n;
        if (isTrainable) trainable += n;
      }
    }
    perSample += layer.stepBufferValuesFor(inputShapes);
  }
  // Per row besides the layers: each output's loss gradient and fit's copies of the batch's x and y.
  for (const shape of plan.outputShapes) perSample += 2 * shapeSize(shape);
  for (const shape of plan.inputShapes) perSample += shapeSize(shape);
  let rows = 0;
  for (const r of plan.batchSizes) rows += r;
  const bufferValues = perSample * rows;
  // Every parameter has a value; trainable ones a gradient and the optimizer's arrays.
  const values = parameters + trainable * (1 + (plan.optimizerSlots ?? 2)) + replicaGradients + bufferValues;
  return { bytes: values * (plan.dtype === 'float64' ? 8 : 4), parameters, bufferValues };
}
