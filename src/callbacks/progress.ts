/**
 * The progress display for `verbose`: on a terminal, a bar redrawn in place with ETA, samples/s and the
 * running loss (verbose 1); otherwise, or with verbose 2, one plain line per epoch.
 */
import { Callback, type Logs } from './callback';

export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(
      ([k, v]) =>
        `${k}=${Number.isFinite(v) ? (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3)) : v}`,
    )
    .join(' ');
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60),
    s = Math.round(seconds % 60);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class ProgressBar extends Callback {
  private epochStart = 0;
  private seen = 0;
  private lastDraw = 0;
  private epoch = 0;
  constructor(
    private readonly verbose: number,
    /** Training rows per epoch (for the bar's fraction and ETA). */
    private readonly samplesPerEpoch: number,
    private readonly out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } = process.stdout,
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
    const total = this.samplesPerEpoch;
    const elapsed = (now - this.epochStart) / 1000;
    const rate = this.seen / Math.max(elapsed, 1e-9);
    const frac = total ? Math.min(1, this.seen / total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const eta = total ? (total - this.seen) / rate : NaN;
    this.out.write(
      `\rEpoch ${this.epoch + 1} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ` +
        `${(frac * 100).toFixed(0).padStart(3)}% ` +
        `ETA ${formatDuration(eta)} ${Math.round(rate)} samples/s loss=${(logs?.loss ?? NaN).toFixed(4)}   `,
    );
  }
  onEpochEnd(epoch: number, logs?: Logs): void {
    const secs = (performance.now() - this.epochStart) / 1000;
    const line = `Epoch ${epoch + 1} ${formatDuration(secs)} ${formatLogs(logs ?? {})}`;
    this.out.write(this.live ? `\r${line}${' '.repeat(20)}\n` : `${line}\n`);
  }
}
