/**
 * Streaming metrics (accumulated over the batches of an epoch). 'accuracy' picks binary, categorical or
 * sparse accuracy from the loss as Keras does. Precision and recall are binary (threshold 0.5) for one
 * output column; for several columns they are micro-averaged over classes from the argmax prediction,
 * which equals accuracy for single-label data and is documented as such.
 */
import type { FloatArray } from '../backend/ops';
import type { Loss, Metric, Targets } from './contracts';

function argmax(a: ArrayLike<number>, o: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[o + j] > a[o + best]) best = j;
  return best;
}
const labelOf = (t: Targets, r: number, cols: number): number => (t instanceof Int32Array ? t[r] : argmax(t, r * cols, cols));

abstract class Ratio implements Metric {
  abstract readonly name: string;
  protected num = 0;
  protected den = 0;
  reset(): void { this.num = 0; this.den = 0; }
  result(): number { return this.den ? this.num / this.den : 0; }
  abstract update(y: FloatArray, t: Targets, rows: number, cols: number): void;
}

export class BinaryAccuracy extends Ratio {
  readonly name = 'accuracy';
  constructor(private readonly threshold = 0.5) { super(); }
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) if ((y[i] > this.threshold ? 1 : 0) === (t[i] > this.threshold ? 1 : 0)) this.num++;
    this.den += n;
  }
}

export class CategoricalAccuracy extends Ratio {
  readonly name = 'accuracy';
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) if (argmax(y, r * cols, cols) === labelOf(t, r, cols)) this.num++;
    this.den += rows;
  }
}

/** Precision (`kind` 'precision') or recall ('recall'): binary for 1 column, micro-averaged otherwise. */
export class PrecisionRecall implements Metric {
  private tp = 0;
  private fp = 0;
  private fn = 0;
  constructor(readonly name: 'precision' | 'recall') {}
  reset(): void { this.tp = this.fp = this.fn = 0; }
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    if (cols === 1 && !(t instanceof Int32Array)) {
      for (let i = 0; i < rows; i++) {
        const p = y[i] > 0.5, a = t[i] > 0.5;
        if (p && a) this.tp++; else if (p) this.fp++; else if (a) this.fn++;
      }
      return;
    }
    for (let r = 0; r < rows; r++) {
      const p = argmax(y, r * cols, cols), a = labelOf(t, r, cols);
      if (p === a) this.tp++; else { this.fp++; this.fn++; }
    }
  }
  result(): number {
    const d = this.name === 'precision' ? this.tp + this.fp : this.tp + this.fn;
    return d ? this.tp / d : 0;
  }
}

/** Mean squared / absolute error as a metric ('mse', 'mae'). */
export class MeanError extends Ratio {
  constructor(readonly name: 'mse' | 'mae') { super(); }
  update(y: FloatArray, t: Targets, rows: number, cols: number): void {
    if (t instanceof Int32Array) throw new Error(`metric '${this.name}' needs a target matrix, not class labels`);
    const n = rows * cols;
    for (let i = 0; i < n; i++) { const e = y[i] - t[i]; this.num += this.name === 'mse' ? e * e : Math.abs(e); }
    this.den += n;
  }
}

const NAMES = ['accuracy', 'acc', 'precision', 'recall', 'mse', 'mae', 'meanSquaredError', 'meanAbsoluteError'];

/**
 * Resolves a metric name for a compiled loss and output width.
 * @example model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy', 'precision', 'recall'] })
 */
export function getMetric(name: string, loss: Loss, outputUnits: number): Metric {
  switch (name) {
    case 'accuracy': case 'acc':
      if (loss.name === 'binaryCrossentropy' || (!loss.sparseTargets && outputUnits === 1)) return new BinaryAccuracy();
      return new CategoricalAccuracy();
    case 'precision': case 'recall': return new PrecisionRecall(name);
    case 'mse': case 'meanSquaredError': return new MeanError('mse');
    case 'mae': case 'meanAbsoluteError': return new MeanError('mae');
    default: throw new Error(`unknown metric '${name}'; use one of ${NAMES.join(', ')}`);
  }
}
