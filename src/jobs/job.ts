/**
 * A training job running in a worker thread: status, progress events, cancel, result. Failures (bad
 * data, a diverging loss, a worker that dies) reject this job's result and nothing else.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { modelFromJson } from '../io/load';
import { Sequential } from '../sequential';
import { LayersModel } from '../layers-model';
import type { JobDataInfo, ProgressEvent, StartMessage, WorkerMessage } from './protocol';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobResult {
  /** The trained model (weights of the last step; compile it to train further). */
  model: LayersModel;
  history: Record<string, number[]>;
  epochs: number[];
  cancelled: boolean;
  /** Distributed: another rank stopped the group before the last epoch (`cancelled` is then true too). */
  stoppedByGroup?: boolean;
  /** Batches trained in this run (all epochs). */
  batchesDone: number;
  /** For a CSV job: the feature columns, target, task and class names the worker found in the file. */
  data?: JobDataInfo;
}

/** A job's settings besides its data and model: limits on its worker. */
export interface JobRunLimits {
  /** Heap limits for the worker (e.g. { maxOldGenerationSizeMb: 512 }); exceeding them fails this job only. */
  resourceLimits?: import('node:worker_threads').ResourceLimits;
  /** Most milliseconds the job may run (from its start, not its time queued); past it the job fails. */
  timeLimitMs?: number;
}

/** After a time-out has asked the worker to stop, how long it has before it is terminated. */
const STOP_GRACE_MS = 2000;
/** The longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

let counter = 0;

export class TrainingJob extends EventEmitter {
  readonly id: string;
  status: JobStatus = 'queued';
  /** The latest progress event. */
  progress?: ProgressEvent;
  /** The epoch training started from: above 0 when the job resumed from its checkpoint directory. */
  initialEpoch?: number;
  /** Epochs saved to the checkpoint directory so far (1-based). */
  lastCheckpointEpoch?: number;
  error?: Error;
  readonly result: Promise<JobResult>;
  private worker?: Worker;
  private resolve!: (r: JobResult) => void;
  private reject!: (e: Error) => void;
  /** [0]: cancel requested (set here); [1]: batches completed so far (written by the worker). */
  private readonly cancelFlag = new SharedArrayBuffer(8);
  /** Batches the worker had completed when cancel() was called. */
  batchesAtCancel?: number;

  /** Set when the job ran past its time limit (it is then stopped and fails). */
  timedOut = false;
  /**
   * Resolves once the job's thread has exited (or never started): from then on nothing it was given — open
   * files, directories — is in use.
   */
  readonly exited: Promise<void>;
  private markExited!: () => void;

  constructor(
    private readonly start: Omit<StartMessage, 'cancelFlag' | 'id' | 'type'>,
    id?: string,
    private readonly limits: JobRunLimits = {},
  ) {
    super();
    this.id = id ?? `job-${++counter}-${Date.now().toString(36)}`;
    this.result = new Promise<JobResult>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.exited = new Promise<void>((res) => (this.markExited = res));
    // An unobserved failed job must not crash the process with an unhandled rejection.
    this.result.catch(() => {});
  }

  /** Starts the worker (called by the pool); resolves when the job settles. */
  run(): Promise<void> {
    return new Promise<void>((settled) => {
      if (this.status !== 'queued') {
        this.markExited();
        return settled();
      }
      this.status = 'running';
      this.emit('status', this.status);
      const worker = new Worker(path.join(__dirname, 'worker.js'), {
        workerData: { backpropJobWorker: true },
        resourceLimits: this.limits.resourceLimits,
      });
      this.worker = worker;
      let finished = false;
      let delivered = false;
      const timers: NodeJS.Timeout[] = [];
      const limit = this.limits.timeLimitMs;
      const timeoutError = () =>
        new Error(
          `job ${this.id} failed: it ran longer than its time limit of ${limit} ms (timeLimitMs) and was stopped`,
        );
      if (limit !== undefined) {
        const deadline = Date.now() + limit;
        // setTimeout takes at most 2^31 - 1 ms (about 24.8 days; longer fires at once): long limits re-arm.
        const arm = () => {
          const left = deadline - Date.now();
          if (left > MAX_TIMER_MS) return timers.push(setTimeout(arm, MAX_TIMER_MS));
          timers.push(
            setTimeout(() => {
              this.timedOut = true;
              Atomics.store(new Int32Array(this.cancelFlag), 0, 1); // stop after the current batch…
              timers.push(setTimeout(() => void worker.terminate(), STOP_GRACE_MS)); // …or be stopped
            }, left),
          );
        };
        arm();
      }
      const finish = (status: JobStatus, error?: Error, result?: JobResult) => {
        if (finished) return;
        finished = true;
        timers.forEach(clearTimeout);
        if (this.timedOut && status !== 'failed') [status, error, result] = ['failed', timeoutError(), undefined];
        else if (this.timedOut) error = timeoutError();
        this.status = status;
        if (error) {
          this.error = error;
          this.reject(error);
        } else this.resolve(result!);
        this.emit('status', status);
        this.emit('end', status);
        void worker.terminate();
        settled();
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          this.progress = m.event;
          this.emit('progress', m.event);
        } else if (m.type === 'started') {
          this.initialEpoch = m.initialEpoch;
          this.emit('started', m);
        } else if (m.type === 'checkpoint') {
          this.lastCheckpointEpoch = m.epoch;
          this.emit('checkpoint', m);
        } else if (m.type === 'error') finish('failed', new Error(`job ${this.id} failed: ${m.message}`));
        else if (m.type === 'done') {
          delivered = true; // the worker may now exit on its own while the result is rebuilt here
          this.buildResult(m).then(
            (r) => finish(m.cancelled ? 'cancelled' : 'completed', undefined, r),
            (e: Error) => finish('failed', e),
          );
        }
      });
      worker.on('error', (e) => finish('failed', new Error(`job ${this.id} failed: ${e.message}`)));
      worker.once('exit', () => this.markExited());
      worker.on(
        'exit',
        (code) =>
          delivered ||
          finish(
            'failed',
            new Error(
              `job ${this.id} failed: its worker exited (code ${code}) before ` +
                'finishing' +
                (this.lastCheckpointEpoch ? `; the checkpoint of epoch ${this.lastCheckpointEpoch} can resume it` : ''),
            ),
          ),
      );
      const msg: StartMessage = { ...this.start, type: 'start', id: this.id, cancelFlag: this.cancelFlag };
      worker.postMessage(msg);
    });
  }

  private async buildResult(m: Extract<WorkerMessage, { type: 'done' }>): Promise<JobResult> {
    const model = await modelFromJson(
      m.modelJson as Record<string, unknown>,
      '.',
      `job ${this.id}`,
      { strict: false, maxWeightBytes: Number.MAX_SAFE_INTEGER },
      (args) => (args.inputs !== undefined ? new LayersModel(args) : new Sequential(args)),
    );
    const params = model.weights();
    params.forEach((p, i) =>
      p.value.set(
        m.weights[i].kind === 'float64' ? new Float64Array(m.weights[i].data) : new Float32Array(m.weights[i].data),
      ),
    );
    return {
      model,
      history: m.history,
      epochs: m.epochs,
      cancelled: m.cancelled,
      ...(m.stoppedByGroup ? { stoppedByGroup: true } : {}),
      batchesDone: m.batchesDone,
      ...(m.dataInfo ? { data: m.dataInfo } : {}),
    };
  }

  /** A job that failed before it could start (e.g. its data was rejected); its result rejects. */
  static failed(error: Error, id?: string): TrainingJob {
    const job = new TrainingJob({} as never, id);
    job.status = 'failed';
    job.markExited();
    job.error = new Error(`job ${job.id} failed: ${error.message}`);
    job.reject(job.error);
    return job;
  }

  /** Asks the job to stop after the current batch; `result` then resolves with `cancelled: true`. */
  cancel(): void {
    const flags = new Int32Array(this.cancelFlag);
    this.batchesAtCancel = Atomics.load(flags, 1);
    Atomics.store(flags, 0, 1);
    if (this.status === 'queued') {
      this.status = 'cancelled';
      this.markExited();
      this.reject(new Error(`job ${this.id} was cancelled before it started`));
      this.emit('status', this.status);
      this.emit('end', this.status);
    }
  }

  /** Kills the worker at once (as a crash would); resume later from the checkpoint directory. */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }
}
