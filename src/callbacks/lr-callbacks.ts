/**
 * Learning-rate callbacks: learningRateScheduler (a function of the epoch) and reduceLROnPlateau.
 */
import { Callback, type Logs } from './callback';
import { monitorMode } from './early-stopping';

/** Sets the optimizer's learning rate at the start of each epoch to `schedule(epoch, currentLr)`. */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: (epoch: number, lr: number) => number) {
    super();
    if (typeof schedule !== 'function')
      throw new Error(`learningRateScheduler(): expected a function (epoch, lr) => newLr`);
  }
  onEpochBegin(epoch: number): void {
    const opt = this.model!.optimizer!;
    const lr = this.schedule(epoch, opt.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0)
      throw new Error(
        `learningRateScheduler(): the schedule returned ${lr} for epoch ${epoch}; it must return a finite number >= 0`,
      );
    opt.learningRate = lr;
  }
}

export interface ReduceLROnPlateauArgs {
  monitor?: string;
  factor?: number;
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
}

/** Multiplies the learning rate by `factor` when `monitor` stops improving for `patience` epochs. */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  private best = Infinity;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = args.factor ?? 0.1;
    if (!(this.factor > 0 && this.factor < 1))
      throw new Error(`reduceLROnPlateau(): 'factor' must be in (0, 1), got ${args.factor}`);
    this.patience = args.patience ?? 10;
    this.mode = monitorMode(this.monitor, args.mode ?? 'auto');
    this.minDelta = args.minDelta ?? 1e-4;
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
  }

  onTrainBegin(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.wait = 0;
    this.cooldownLeft = 0;
  }

  /** Counters and best value, saved with checkpoints so a resumed fit continues the plateau exactly. */
  getState(): Record<string, number> {
    return { best: this.best, wait: this.wait, cooldownLeft: this.cooldownLeft };
  }

  setState(state: Record<string, number>): void {
    this.best = numberOr(state.best, this.best);
    this.wait = numberOr(state.wait, this.wait);
    this.cooldownLeft = numberOr(state.cooldownLeft, this.cooldownLeft);
  }

  onEpochEnd(_epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined)
      throw new Error(
        `reduceLROnPlateau(): monitor '${this.monitor}' is not in the logs (${Object.keys(logs).join(', ')})`,
      );
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    const better = this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
    if (better) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownLeft === 0) {
      this.wait++;
      if (this.wait >= this.patience) {
        const opt = this.model!.optimizer!;
        const next = Math.max(opt.learningRate * this.factor, this.minLr);
        if (opt.learningRate > this.minLr) opt.learningRate = next;
        this.cooldownLeft = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && !Number.isNaN(v) ? v : fallback;
}
