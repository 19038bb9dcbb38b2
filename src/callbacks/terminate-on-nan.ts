/** terminateOnNaN: stops training as soon as a batch loss is NaN or infinite. */
import { Callback, type Logs } from './callback';

export class TerminateOnNaN extends Callback {
  /** The batch at which a non-finite loss was seen, if any. */
  stoppedAtBatch?: number;
  onBatchEnd(batch: number, logs: Logs = {}): void {
    if (logs.loss !== undefined && !Number.isFinite(logs.loss)) {
      this.stoppedAtBatch = batch;
      this.model!.stopTraining = true;
    }
  }
}
