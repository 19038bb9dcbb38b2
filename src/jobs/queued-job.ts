/**
 * A handle on a job in a queue — the same shape as bp.jobs.train's: id, status, 'progress' events,
 * cancel(), result. Any number of clients, on any machine, may hold a handle on the same job; each sees
 * its progress and its end.
 */
import { EventEmitter } from 'node:events';
import type { LayersModel } from '../layers-model';
import type { JobStatus } from './job';
import type { JobDataInfo, ProgressEvent } from './protocol';
import type { QueuedJobReturn } from './queue-protocol';

export interface QueuedJobResult {
  /** The trained model, loaded from the store (undefined for a client without a store, e.g. `backprop submit`). */
  model: LayersModel;
  history: Record<string, number[]>;
  epochs: number[];
  cancelled: boolean;
  /** Where the model lies: a key in the store (with optimizer state, so it can train further). */
  modelPath: string;
  /** The epoch the last run started from: above 0 when a worker resumed the job from its checkpoint. */
  resumedFrom: number;
  batchesDone: number;
  /** For a cancelled job: batches done when the cancel reached the worker (batchesDone is at most one more). */
  batchesAtCancel?: number;
  /** The worker (host:pid) that finished the job (rank 0's, for a multi-rank job). */
  worker: string;
  data?: JobDataInfo;
  /** A multi-rank job: its ranks, and the group attempt that finished it (from 1). */
  ranks?: number;
  attempt?: number;
}

/** How a handle reaches its queue (set by the queue that creates it). */
export interface QueuedJobLink {
  cancel(id: string): Promise<void>;
  loadModel(modelPath: string): Promise<LayersModel | undefined>;
}

const FINISHED: JobStatus[] = ['completed', 'failed', 'cancelled'];

export class QueuedJob extends EventEmitter {
  status: JobStatus = 'queued';
  /** Worker slots the job trains on at once (queue.train's `ranks`); 1 for a handle from queue.get(). */
  ranks = 1;
  /** The latest progress event. */
  progress?: ProgressEvent;
  error?: Error;
  readonly result: Promise<QueuedJobResult>;
  /** Resolves once the job is in the queue; rejects (as `result` does) when it was refused. */
  readonly submitted: Promise<void>;
  private resolve!: (r: QueuedJobResult) => void;
  private reject!: (e: Error) => void;
  private markSubmitted!: () => void;
  private refuse!: (e: Error) => void;

  constructor(
    readonly id: string,
    private readonly link: QueuedJobLink,
  ) {
    super();
    this.result = new Promise((res, rej) => ([this.resolve, this.reject] = [res, rej]));
    this.submitted = new Promise((res, rej) => ([this.markSubmitted, this.refuse] = [res, rej]));
    // Unobserved failures must not crash the process with an unhandled rejection.
    this.result.catch(() => {});
    this.submitted.catch(() => {});
  }

  get finished(): boolean {
    return FINISHED.includes(this.status);
  }

  /**
   * Asks the job to stop: a queued job is removed; a running one stops within a batch on whichever
   * machine trains it, and `result` resolves with `cancelled: true` and the model as it was then.
   */
  cancel(): Promise<void> {
    return this.link.cancel(this.id);
  }

  /** @internal the job was accepted into the queue. */
  queued(): void {
    this.markSubmitted();
  }

  /** @internal a state seen in Redis. */
  setStatus(status: 'queued' | 'running'): void {
    if (this.finished || this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }

  /** @internal a progress event from the worker. */
  setProgress(p: ProgressEvent): void {
    if (this.finished) return;
    if (this.status === 'queued') this.setStatus('running');
    this.progress = p;
    this.emit('progress', p);
  }

  /**
   * @internal the job ended; `r` is the worker's return value. The events stream and the poll that backs it up
   * may both report the end: the first report loads the model, later ones wait for it (two loads in flight
   * read the store twice, and the second could see what was swapped in after the first's check).
   */
  complete(r: QueuedJobReturn): Promise<void> {
    this.completing ??= this.completeOnce(r);
    return this.completing;
  }

  private completing?: Promise<void>;

  private async completeOnce(r: QueuedJobReturn): Promise<void> {
    if (this.finished) return;
    if (!r.started) return this.fail(new Error(`job ${this.id} was cancelled before it started`), 'cancelled');
    let model: LayersModel | undefined;
    try {
      model = r.modelPath ? await this.link.loadModel(r.modelPath) : undefined;
    } catch (e) {
      return this.fail(new Error(`job ${this.id} finished but its model cannot be loaded: ${(e as Error).message}`));
    }
    if (this.finished) return;
    this.end(r.cancelled ? 'cancelled' : 'completed');
    this.resolve({
      model: model as LayersModel,
      history: r.history,
      epochs: r.epochs,
      cancelled: r.cancelled,
      modelPath: r.modelPath ?? '',
      resumedFrom: r.resumedFrom,
      batchesDone: r.batchesDone,
      ...(r.batchesAtCancel !== undefined ? { batchesAtCancel: r.batchesAtCancel } : {}),
      worker: r.worker,
      ...(r.data ? { data: r.data } : {}),
      ...(r.ranks !== undefined ? { ranks: r.ranks, attempt: r.attempt } : {}),
    });
  }

  /** @internal the job failed (or was refused, or removed by a cancel). */
  fail(error: Error, status: 'failed' | 'cancelled' = 'failed'): void {
    if (this.finished) return;
    this.error = error;
    this.refuse(error);
    this.end(status);
    this.reject(error);
  }

  private end(status: JobStatus): void {
    this.status = status;
    this.emit('status', status);
    this.emit('end', status);
  }
}
