/**
 * earlyStopping: stops when the monitored value has not improved by more than `minDelta` for
 * `patience` epochs; with `restoreBestWeights`, puts back the weights of the best epoch.
 */
import { Callback, type Logs } from './callback';

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  baseline?: number;
  restoreBestWeights?: boolean;
}

export function monitorMode(monitor: string, mode: 'auto' | 'min' | 'max'): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|precision|recall|auc/.test(monitor) ? 'max' : 'min';
}

export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline?: number;
  readonly restoreBestWeights: boolean;
  /** Epoch at which training was stopped (0 if it was not). */
  stoppedEpoch = 0;
  bestEpoch = -1;
  best = Infinity;
  wait = 0;
  private bestWeights?: Float64Array[];

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.patience = args.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0)
      throw new Error(`earlyStopping(): 'patience' must be a non-negative integer, got ${args.patience}`);
    this.mode = monitorMode(this.monitor, args.mode ?? 'auto');
    this.baseline = args.baseline;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
  }

  /**
   * Counters and best value, saved with checkpoints. (The best weights themselves are not: after a resume,
   * restoreBestWeights can only restore weights seen since the resume.)
   */
  getState(): Record<string, number> {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait, stoppedEpoch: this.stoppedEpoch };
  }

  setState(state: Record<string, number>): void {
    for (const key of ['best', 'bestEpoch', 'wait', 'stoppedEpoch'] as const) {
      const v = state[key];
      if (typeof v === 'number' && !Number.isNaN(v)) this[key] = v;
    }
  }

  private improved(current: number, reference: number): boolean {
    return this.mode === 'min' ? current < reference - this.minDelta : current > reference + this.minDelta;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = -1;
    this.best = this.baseline ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.bestWeights = undefined;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      throw new Error(
        `earlyStopping(): monitor '${this.monitor}' is not in the logs (${Object.keys(logs).join(', ')}). ` +
          `Use validationSplit/validationData for 'val_*' monitors.`,
      );
    }
    // Keras semantics: count the epoch, then reset the count on an improvement (that also beats the baseline).
    this.wait++;
    if (this.improved(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model!.weights().map((p) => Float64Array.from(p.value));
      if (this.baseline === undefined || this.improved(current, this.baseline)) {
        this.wait = 0;
        return;
      }
    }
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) {
        this.model!.weights().forEach((p, i) => p.value.set(this.bestWeights![i]));
      }
    }
  }
}
