/** A queue of training jobs running at most `size` at once. */
import * as os from 'node:os';
import type { TrainingJob } from './job';

/** Default pool size: as many concurrent jobs as the cores allow with one BLAS thread each. */
export function defaultPoolSize(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/**
 * Runs queued jobs in order, at most `size` at a time.
 * @example const p = new JobPool(2); p.submit(job); p.running; p.queued;
 */
export class JobPool {
  private active = 0;
  private readonly queue: TrainingJob[] = [];
  /** Jobs queued or running, by id; a job leaves when it settles, so a long-lived pool does not grow. */
  readonly jobs = new Map<string, TrainingJob>();
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`jobs.pool(): 'size' must be a positive integer, got ${size}`);
  }
  /** Jobs running now. */
  get running(): number {
    return this.active;
  }
  /** Jobs waiting for a free slot. */
  get queued(): number {
    return this.queue.length;
  }
  submit(job: TrainingJob): TrainingJob {
    if (job.status !== 'queued') return job; // already failed at submit: nothing to run
    this.jobs.set(job.id, job);
    job.once('end', () => {
      this.jobs.delete(job.id);
      const i = this.queue.indexOf(job); // a job cancelled while queued
      if (i >= 0) this.queue.splice(i, 1);
    });
    this.queue.push(job);
    this.pump();
    return job;
  }
  private pump(): void {
    while (this.active < this.size && this.queue.length) {
      const job = this.queue.shift()!;
      if (job.status !== 'queued') continue;
      this.active++;
      void job.run().then(() => {
        this.active--;
        this.pump();
      });
    }
  }
}
