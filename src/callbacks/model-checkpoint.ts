/**
 * modelCheckpoint: saves the model (with optimizer state, by default, so training can resume) every
 * `everyEpochs` epochs, or only when `monitor` improves with `saveBestOnly`. Saves are atomic.
 */
import { Callback, type Logs } from './callback';
import { monitorMode } from './early-stopping';
import { saveModel } from '../io/save';

export interface ModelCheckpointArgs {
  /** Directory to save into (each save replaces the previous one atomically). */
  path: string;
  everyEpochs?: number;
  saveBestOnly?: boolean;
  monitor?: string;
  mode?: 'auto' | 'min' | 'max';
  includeOptimizer?: boolean;
}

export class ModelCheckpoint extends Callback {
  readonly savesCheckpoints = true;
  readonly path: string;
  readonly everyEpochs: number;
  readonly saveBestOnly: boolean;
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly includeOptimizer: boolean;
  best: number;
  /** Epochs at which a save happened. */
  readonly saved: number[] = [];

  constructor(args: ModelCheckpointArgs) {
    super();
    if (!args || typeof args.path !== 'string' || !args.path)
      throw new Error(`modelCheckpoint(): 'path' (a directory) is required`);
    this.path = args.path;
    this.everyEpochs = args.everyEpochs ?? 1;
    if (!Number.isInteger(this.everyEpochs) || this.everyEpochs < 1)
      throw new Error(`modelCheckpoint(): 'everyEpochs' must be a positive integer, got ${args.everyEpochs}`);
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.monitor = args.monitor ?? 'val_loss';
    this.mode = monitorMode(this.monitor, args.mode ?? 'auto');
    this.includeOptimizer = args.includeOptimizer ?? true;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.saveBestOnly) {
      const v = logs[this.monitor];
      if (v === undefined)
        throw new Error(
          `modelCheckpoint(): monitor '${this.monitor}' is not in the logs (${Object.keys(logs).join(', ')})`,
        );
      if (!(this.mode === 'min' ? v < this.best : v > this.best)) return;
      this.best = v;
    } else if ((epoch + 1) % this.everyEpochs !== 0) return;
    saveModel(this.model!, this.path, { includeOptimizer: this.includeOptimizer });
    this.saved.push(epoch);
  }
}
