/**
 * Divergence: a training whose loss became NaN or infinite stops at that batch, and the command fails
 * naming the epoch, batch and loss, instead of saving a model of NaNs and exiting 0.
 */
import { Callback, type Logs } from '../callbacks/callback';
import { fail } from './errors';

export class DivergenceWatch extends Callback {
  private epoch = 0;
  /** Where the loss first stopped being finite, if it did. */
  diverged?: { epoch: number; batch: number; loss: number };

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }
  onBatchEnd(batch: number, logs: Logs = {}): void {
    if (this.diverged || logs.loss === undefined || Number.isFinite(logs.loss)) return;
    this.diverged = { epoch: this.epoch + 1, batch: batch + 1, loss: logs.loss };
    this.model!.stopTraining = true;
  }

  /**
   * Fails (a CliError: one line, exit 1) if a batch loss or an epoch's loss in `losses` was not finite.
   * @example watch.check(history.history.loss, 'lower --lr')
   */
  check(losses: number[] | undefined, advice: string): void {
    const d = this.diverged;
    if (d) fail(`training diverged: the loss is ${d.loss} at epoch ${d.epoch}, batch ${d.batch}; ${advice}`);
    const i = (losses ?? []).findIndex((v) => !Number.isFinite(v));
    if (i >= 0) fail(`training diverged: the loss is ${losses![i]} at epoch ${i + 1}; ${advice}`);
  }
}
