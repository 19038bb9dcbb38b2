/**
 * What training a stack of layers holds in memory, summed from what each part declares, before anything is
 * allocated: every layer's buffers (Layer.stepBufferValues: outputs, gradients, workspaces, masks) for each
 * batch size a fit uses (layers keep one set per size), the loss gradient and fit's batch copies for each,
 * and the parameters with their gradients and the optimizer's arrays. Kept apart from the engine so that any
 * engine sums the same way; limits.ts checkTrainingMemory compares the result with bp.setLimits.
 */
import type { DType } from '../backend/ops';
import type { Layer } from '../layers/layer';
import { shapeSize, type Shape } from '../layers/shape';

export interface TrainingMemoryPlan {
  /** The layers, built or not, in order. */
  layers: Layer[];
  /** The per-sample input shape of the first layer. */
  inputShape: Shape;
  dtype?: DType;
  /** The distinct row counts of the batches (see batchSizesOf). */
  batchSizes: number[];
  /** Arrays the optimizer keeps per parameter (Adam 2, SGD 0); unknown: 2. */
  optimizerSlots?: number;
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
 * The memory training `plan.layers` holds. Throws (naming the layer) when a layer cannot take its input.
 * @example trainingMemory({ layers: model.layers, inputShape: [784], batchSizes: [32], optimizerSlots: 2 }).bytes
 */
export function trainingMemory(plan: TrainingMemoryPlan): TrainingMemory {
  let shape = plan.inputShape;
  let parameters = 0,
    trainable = 0,
    perSample = 0;
  for (const layer of plan.layers) {
    for (const w of layer.weightSpecs(shape)) {
      const n = shapeSize(w.shape);
      parameters += n;
      if (w.trainable && layer.trainable) trainable += n;
    }
    perSample += layer.stepBufferValues(shape);
    shape = layer.computeOutputShape(shape);
  }
  // Per row besides the layers: the loss gradient, and fit's copies of the batch's x and y.
  perSample += 2 * shapeSize(shape) + shapeSize(plan.inputShape);
  let rows = 0;
  for (const r of plan.batchSizes) rows += r;
  const bufferValues = perSample * rows;
  // Every parameter has a value; trainable ones a gradient and the optimizer's arrays.
  const values = parameters + trainable * (1 + (plan.optimizerSlots ?? 2)) + bufferValues;
  return { bytes: values * (plan.dtype === 'float64' ? 8 : 4), parameters, bufferValues };
}
