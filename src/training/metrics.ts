/**
 * Streaming metrics, accumulated over the batches of an epoch (reset → update per batch → result), so
 * the epoch's value is exact rather than an average of batch averages.
 *
 * 'accuracy' picks binary, categorical or sparse-categorical accuracy from the loss, as Keras does.
 * Precision and recall are binary (threshold 0.5) for one output column. For several columns they are
 * micro-averaged over classes from the argmax prediction against the target class (one-hot argmax or
 * label): each row is one prediction, a hit is a true positive for its class, a miss is a false positive
 * for the predicted class and a false negative for the true one — so for single-label data micro precision
 * = micro recall = accuracy. (Use one sigmoid column per class for per-class binary precision/recall.)
 */
import type { FloatArray } from '../backend/ops';
import type { Loss, Metric, Targets } from './contracts';
import { preview } from '../quote';

function argmax(a: ArrayLike<number>, o: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[o + j] > a[o + best]) best = j;
  return best;
}
/** The target class of row r: the label itself, or the argmax of the one-hot row. */
const classOf = (t: Targets, r: number, cols: number): number =>
  t instanceof Int32Array ? t[r] : argmax(t, r * cols, cols);

/** A metric that is a running ratio num/den (0 before any update). */
abstract class Ratio implements Metric {
  abstract readonly name: string;
  protected num = 0;
  protected den = 0;
  reset(): void {
    this.num = 0;
    this.den = 0;
  }
  result(): number {
    return this.den ? this.num / this.den : 0;
  }
  abstract update(y: FloatArray, t: Targets, rows: number, cols: number): void;
}

/** Fraction of elements where (y > threshold) equals (target > threshold); Keras binary_accuracy. */
export class BinaryAccuracy extends Ratio {
  readonly name = 'accuracy';
  constructor(readonly threshold = 0.5) {
    super();
  }
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) if (y[i] > this.threshold === t[i] > this.threshold) this.num++;
    this.den += n;
  }
}

/** Fraction of rows whose argmax equals the one-hot target's argmax; Keras categorical_accuracy. */
export class CategoricalAccuracy extends Ratio {
  readonly name = 'accuracy';
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) if (argmax(y, r * cols, cols) === classOf(t, r, cols)) this.num++;
    this.den += rows;
  }
}

/** Fraction of rows whose argmax equals the integer label; Keras sparse_categorical_accuracy. */
export class SparseCategoricalAccuracy extends Ratio {
  readonly name = 'accuracy';
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    if (!(t instanceof Int32Array))
      throw new Error(`sparseCategoricalAccuracy: expects integer class labels (Int32Array)`);
    for (let r = 0; r < rows; r++) if (argmax(y, r * cols, cols) === t[r]) this.num++;
    this.den += rows;
  }
}

/** Precision (tp/(tp+fp)) or recall (tp/(tp+fn)): binary for 1 column, micro-averaged otherwise (file comment). */
export class PrecisionRecall implements Metric {
  private tp = 0;
  private fp = 0;
  private fn = 0;
  constructor(
    readonly name: 'precision' | 'recall',
    readonly threshold = 0.5,
  ) {}
  reset(): void {
    this.tp = this.fp = this.fn = 0;
  }
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    if (cols === 1) {
      for (let i = 0; i < rows; i++) {
        const p = y[i] > this.threshold,
          a = t[i] > this.threshold;
        if (p && a) this.tp++;
        else if (p) this.fp++;
        else if (a) this.fn++;
      }
      return;
    }
    for (let r = 0; r < rows; r++) {
      if (argmax(y, r * cols, cols) === classOf(t, r, cols)) this.tp++;
      else {
        this.fp++;
        this.fn++;
      }
    }
  }
  result(): number {
    const d = this.name === 'precision' ? this.tp + this.fp : this.tp + this.fn;
    return d ? this.tp / d : 0;
  }
}

/** Mean squared ('mse') or absolute ('mae') error over all elements seen. */
export class MeanError extends Ratio {
  constructor(readonly name: 'mse' | 'mae') {
    super();
  }
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    if (t instanceof Int32Array) throw new Error(`metric '${this.name}' needs a target matrix, not class labels`);
    const n = rows * cols;
    if (this.name === 'mse')
      for (let i = 0; i < n; i++) {
        const e = y[i] - t[i];
        this.num += e * e;
      }
    else for (let i = 0; i < n; i++) this.num += Math.abs(y[i] - t[i]);
    this.den += n;
  }
}

/** Binary accuracy. @example const m = bp.metrics.binaryAccuracy(); m.update(y, t, rows, 1); m.result() */
export const binaryAccuracy = (threshold = 0.5): Metric => new BinaryAccuracy(threshold);
/** Categorical accuracy (argmax vs one-hot argmax). @example bp.metrics.categoricalAccuracy() */
export const categoricalAccuracy = (): Metric => new CategoricalAccuracy();
/** Sparse categorical accuracy (argmax vs label). @example bp.metrics.sparseCategoricalAccuracy() */
export const sparseCategoricalAccuracy = (): Metric => new SparseCategoricalAccuracy();
/** Precision. @example model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['precision'] }) */
export const precision = (): Metric => new PrecisionRecall('precision');
/** Recall. @example model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['recall'] }) */
export const recall = (): Metric => new PrecisionRecall('recall');
/** Mean squared error as a metric. @example model.compile({ optimizer: 'adam', loss: 'huber', metrics: ['mse'] }) */
export const mse = (): Metric => new MeanError('mse');
/** Mean absolute error as a metric. @example model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] }) */
export const mae = (): Metric => new MeanError('mae');

/**
 * The metric registry: every name compile accepts, each mapped once. 'accuracy' / 'acc' follow Keras:
 * binaryCrossentropy → binary; sparseCategoricalCrossentropy → sparse categorical; otherwise categorical,
 * unless the output has one column → binary. The log key is the metric's own name ('accuracy', 'mse', ...).
 */
const REGISTRY: { names: string[]; create(loss: Loss, outputUnits?: number): Metric }[] = [
  {
    names: ['accuracy', 'acc'],
    create(loss, outputUnits) {
      if (loss.name === 'binaryCrossentropy') return new BinaryAccuracy();
      if (loss.sparseTargets) return new SparseCategoricalAccuracy();
      return outputUnits === 1 ? new BinaryAccuracy() : new CategoricalAccuracy();
    },
  },
  { names: ['precision'], create: () => new PrecisionRecall('precision') },
  { names: ['recall'], create: () => new PrecisionRecall('recall') },
  { names: ['mse', 'meanSquaredError', 'mean_squared_error'], create: () => new MeanError('mse') },
  { names: ['mae', 'meanAbsoluteError', 'mean_absolute_error'], create: () => new MeanError('mae') },
];
const BY_NAME = new Map(REGISTRY.flatMap((e) => e.names.map((n) => [n, e] as const)));

/** Every metric name compile accepts. */
export const METRIC_NAMES: readonly string[] = REGISTRY.flatMap((e) => e.names);

/**
 * Checks compile's `metrics` argument: an array of known names (returned as a copy).
 * @example checkMetricNames('compile()', ['accuracy']) // ['accuracy']
 */
export function checkMetricNames(where: string, metrics: unknown): string[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) {
    throw new Error(
      `${where}: 'metrics' must be an array of names, e.g. metrics: ['accuracy'], got ${preview(metrics)}`,
    );
  }
  for (const m of metrics) {
    if (typeof m !== 'string' || !BY_NAME.has(m)) {
      throw new Error(`${where}: unknown metric ${preview(m)}; use one of ${METRIC_NAMES.join(', ')}`);
    }
  }
  return [...metrics];
}

/**
 * Resolves a metric name for a compiled loss and the model's output width.
 * @example getMetric('accuracy', getLoss('sparseCategoricalCrossentropy'), 10) // SparseCategoricalAccuracy
 */
export function getMetric(name: string, loss: Loss, outputUnits?: number): Metric {
  const entry = BY_NAME.get(name);
  if (!entry) throw new Error(`unknown metric '${name}'; use one of ${METRIC_NAMES.join(', ')}`);
  return entry.create(loss, outputUnits);
}
