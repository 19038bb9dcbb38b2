/**
 * What `fit` returns, shaped like TF.js's History: `history.history.loss[epoch]`, plus the same arrays
 * directly on the object (`history.loss`, `history.val_loss`) for convenience.
 */
export class History {
  /** The epoch numbers trained (0-based, continuing from `initialEpoch`). */
  readonly epoch: number[] = [];
  /** Per-epoch logs by key: loss, val_loss, accuracy, val_accuracy, ... */
  readonly history: Record<string, number[]> = {};
  /** fit's parameters (epochs, batchSize, samples, steps). */
  params: Record<string, unknown> = {};
  [key: string]: unknown;

  record(epoch: number, logs: Record<string, number>): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      if (!this.history[key]) {
        this.history[key] = [];
        if (!(key in this)) this[key] = this.history[key];
      }
      this.history[key].push(value);
    }
  }
}
