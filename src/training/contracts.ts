/**
 * The contracts between the model (layers + fit loop) and the pluggable pieces it trains with:
 * losses, optimizers, metrics, regularizers, initializers. Kept in one place so each piece can be
 * written and tested on its own.
 */
import type { Backend, DType, FloatArray, ActivationName } from '../backend/ops';
import type { Rng } from '../random';

/** A trainable array of a layer, with its gradient buffer (same length, same dtype). */
export interface Param {
  /** Unique within the model, TF.js style: `dense_1/kernel`, `dense_1/bias`. */
  name: string;
  /** The weight's shape, e.g. [in, units] for a dense kernel, [units] for a bias. */
  shape: number[];
  value: FloatArray;
  grad: FloatArray;
  /** Optional per-param regularizer, applied by the model before the optimizer step. */
  regularizer?: Regularizer;
  /** False for weights the optimizer never updates (moving statistics); their `grad` is empty. */
  trainable?: boolean;
  /** Set for a gradient that touches only some rows of a [rows, dim] weight (Embedding); see SparseRows. */
  sparse?: SparseRows;
}

/**
 * The rows the last backward wrote into a [rows, dim] weight's gradient (Embedding's token ids), and
 * whether the gradient is all zero now. Backward zeroes the gradient first unless `clean`, then adds its
 * rows; an optimizer that can update only those rows (plain SGD without weight decay or regularizer) does
 * so with backend.sparseSgdStep, which zeroes them again and leaves `clean` true. Any other optimizer
 * reads the whole (dense) gradient, which is zero outside the rows, so its update is the ordinary one.
 */
export interface SparseRows {
  ids: Int32Array;
  clean: boolean;
}

/** Targets arrive either as a float matrix (rows×cols) or as integer class labels (rows). */
export type Targets = FloatArray | Int32Array;

/**
 * A loss. `compute` takes the model's output y (after the last activation). When the last layer's
 * activation is `fusedActivation` and the loss is not already `fromLogits`, the model instead calls
 * `computeFromLogits` with the last layer's pre-activation z and receives the gradient w.r.t. z — the
 * numerically stable fused path (softmax + cross-entropy, sigmoid + binary cross-entropy).
 */
export interface Loss {
  /** camelCase name as in TF.js (`categoricalCrossentropy`), or the custom function's name. */
  readonly name: string;
  /** True when the targets are integer class labels (sparse categorical). */
  readonly sparseTargets: boolean;
  readonly fusedActivation?: 'softmax' | 'sigmoid';
  /** True for a loss made from a user function: it cannot be saved and must be given again on resume. */
  readonly custom?: boolean;
  compute(
    backend: Backend,
    y: FloatArray,
    target: Targets,
    grad: FloatArray | null,
    rows: number,
    cols: number,
  ): number;
  computeFromLogits?(
    backend: Backend,
    z: FloatArray,
    target: Targets,
    grad: FloatArray | null,
    rows: number,
    cols: number,
  ): number;
  getConfig(): Record<string, unknown>;
}

/**
 * An optimizer: owns its per-param state (allocated on first step, reused after), applies gradient
 * clipping (clipValue, then clipNorm by global norm over all params), then the fused backend step
 * per param, and counts `iterations`.
 */
/** W ← (1 − lr·weightDecay)·W − lr·∂L/∂W, done by the layer inside its gradient gemm. */
export interface FoldedSgd {
  lr: number;
  weightDecay: number;
}

export interface Optimizer {
  /** TF.js class name used in saved training configs: 'SGD', 'Momentum', 'RMSProp', 'Adagrad', 'Adam', 'AdamW'. */
  readonly className: string;
  learningRate: number;
  iterations: number;
  step(backend: Backend, params: Param[]): void;
  /** As step, running large updates off the main thread when the backend can (optional). */
  stepAsync?(backend: Backend, params: Param[]): Promise<void>;
  /**
   * For an update that is linear in the gradient (plain SGD, no clipping): this step's learning rate and
   * weight decay, so a layer can fold the update into its dW gemm; the caller then calls `countStep()`
   * instead of `step()`. Null when the optimizer's update cannot be folded.
   */
  foldedSgd?(): FoldedSgd | null;
  /** Counts a step whose updates were folded into the layers (see foldedSgd). */
  countStep?(): void;
  getConfig(): Record<string, unknown>;
  /** Arrays of state the optimizer keeps per parameter (Adam 2: m and v; plain SGD 0), for the memory checks. */
  readonly slotsPerParameter?: number;
  /** State arrays for saving (TF.js naming, e.g. `dense_1/kernel/m`), in a stable order. */
  getWeights(): { name: string; value: FloatArray }[];
  /** Restores state saved by getWeights (names must match the given params); allocates state if needed. */
  setWeights(params: Param[], weights: { name: string; value: FloatArray }[]): void;
}

/** A streaming metric over batches of one epoch. */
export interface Metric {
  /** Key in logs and History: 'accuracy', 'precision', 'recall', 'mse', 'mae'. */
  readonly name: string;
  reset(): void;
  /** y: model output (after the last activation), rows×cols; target as for losses. */
  update(y: FloatArray, target: Targets, rows: number, cols: number): void;
  result(): number;
}

/** Adds a penalty to the loss and its gradient to `grad`, in one pass (backend.l1l2). */
export interface Regularizer {
  readonly className: string; // 'L1L2' (TF.js serialises l1, l2 and l1l2 all as L1L2)
  readonly l1: number;
  readonly l2: number;
  apply(backend: Backend, value: FloatArray, grad: FloatArray): number;
  getConfig(): Record<string, unknown>;
}

/** Fills a new weight array. `fanIn`/`fanOut` follow Keras (kernel [in, out]: fanIn = in, fanOut = out). */
export interface Initializer {
  readonly className: string; // TF.js names: 'Zeros', 'Ones', 'Constant', 'RandomNormal', 'GlorotUniform', ...
  fill(out: FloatArray, shape: number[], rng: Rng): void;
  getConfig(): Record<string, unknown>;
}

export type { Backend, DType, FloatArray, ActivationName };
