/**
 * Progress for fitDataset's `verbose`: on a terminal (verbose 1), a line redrawn in place with the batch,
 * the fraction of the epoch and an ETA when the dataset's size is known (or a file dataset can tell how far
 * it has read), samples/s and the running loss; otherwise, or with verbose 2, one line per epoch.
 */
import { Callback, type Logs } from '../callbacks/callback';
import { formatDuration, formatLogs } from '../callbacks/progress';

type Out = NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };

export class DatasetProgress extends Callback {
  private epochStart = 0;
  private seen = 0;
  private lastDraw = 0;
  private epoch = 0;
  constructor(
    private readonly verbose: number,
    /** The fraction of the current epoch done after `batch` batches, when it can be known. */
    private readonly fraction: (batch: number) => number | undefined,
    private readonly out: Out = process.stdout,
  ) {
    super();
  }
  private get live(): boolean {
    return this.verbose === 1 && !!this.out.isTTY;
  }
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.epochStart = performance.now();
    this.seen = 0;
  }
  onBatchEnd(batch: number, logs?: Logs): void {
    if (!this.live) return;
    this.seen += logs?.size ?? 0;
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const elapsed = (now - this.epochStart) / 1000;
    const rate = this.seen / Math.max(elapsed, 1e-9);
    const f = this.fraction(batch + 1);
    let where = `batch ${batch + 1}`;
    if (f !== undefined && f > 0) {
      const width = 24;
      const filled = Math.round(Math.min(1, f) * width);
      const eta = (elapsed * (1 - f)) / f;
      where =
        `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(Math.min(1, f) * 100).toFixed(0).padStart(3)}% ` +
        `ETA ${formatDuration(eta)}`;
    }
    this.out.write(
      `\rEpoch ${this.epoch + 1} ${where} ${Math.round(rate)} samples/s loss=${(logs?.loss ?? NaN).toFixed(4)}   `,
    );
  }
  onEpochEnd(epoch: number, logs?: Logs): void {
    const secs = (performance.now() - this.epochStart) / 1000;
    const line = `Epoch ${epoch + 1} ${formatDuration(secs)} ${formatLogs(logs ?? {})}`;
    this.out.write(this.live ? `\r${line}${' '.repeat(20)}\n` : `${line}\n`);
  }
}
