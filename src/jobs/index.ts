/**
 * Server-side training jobs: each runs in a worker thread from a pool, reports progress, can be cancelled,
 * and checkpoints every epoch so it can resume after a crash or restart.
 * @example
 * const job = bp.jobs.train({
 *   model: { layers: [{ units: 64, activation: 'relu', inputShape: [4] }, { units: 3, activation: 'softmax' }],
 *            compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] } },
 *   data: { x, y }, fit: { epochs: 20, batchSize: 32 }, checkpointDir: './jobs/iris',
 * });
 * job.on('progress', (p) => console.log(p.epoch, p.loss, p.samplesPerSecond));
 * const { model, history } = await job.result;
 */
import * as os from 'node:os';
import type { Tensor2D } from '../data/tensor';
import { loadCsv } from '../data/csv';
import { toMatrix } from '../data/tensor';
import { getBackend } from '../backend/select';
import { TrainingJob } from './job';
import type { ModelSpec, SharedMatrix } from './protocol';

export { TrainingJob };
export type { JobResult, JobStatus } from './job';
export type { ModelSpec, ProgressEvent } from './protocol';

export interface TrainJobOptions {
  /** A model spec (layers + compile), or the directory of a saved model (saved with includeOptimizer). */
  model: ModelSpec | string;
  /** Arrays (`x`: Tensor2D or number[][]; `y`: labels or a matrix), or a CSV file with a target column. */
  data:
    { x: Tensor2D | number[][]; y: Tensor2D | number[][] | Int32Array | number[] } | { csv: string; target: string };
  fit?: { epochs?: number; batchSize?: number; shuffle?: boolean; validationSplit?: number };
  /** Saved every epoch (with optimizer state); a job started on a directory holding a checkpoint resumes it. */
  checkpointDir?: string;
  backend?: 'native' | 'js' | 'auto';
  /** BLAS threads for this job (default: cores / pool size, at least 1). */
  blasThreads?: number;
  /** Heap limits for the job's worker (e.g. { maxOldGenerationSizeMb: 512 }); exceeding them fails this job only. */
  resourceLimits?: import('node:worker_threads').ResourceLimits;
  /** Milliseconds between batch progress events (default 200). */
  progressEveryMs?: number;
  id?: string;
}

/** Copies an array into shared memory once (or uses it as is if it already is), for a zero-copy hand-over. */
function shared(a: Float32Array | Float64Array | Int32Array, shape: [number, number]): SharedMatrix {
  const kind = a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'float32';
  if (a.buffer instanceof SharedArrayBuffer)
    return { buffer: a.buffer, byteOffset: a.byteOffset, length: a.length, kind, shape };
  const buf = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buf).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return { buffer: buf, byteOffset: 0, length: a.length, kind, shape };
}

function prepareData(data: TrainJobOptions['data']): { x: SharedMatrix; y: SharedMatrix } {
  if (!data || typeof data !== 'object') throw new Error(`jobs.train(): 'data' must be { x, y } or { csv, target }`);
  let x: Tensor2D, y: Tensor2D | Int32Array;
  if ('csv' in data) {
    const d = loadCsv(data.csv, { target: data.target });
    x = d.x;
    y = d.y!;
  } else {
    const m = toMatrix(data.x as Tensor2D, `jobs.train(): 'data.x'`, 'float32');
    x = { data: m.data, shape: [m.rows, m.cols], dtype: 'float32' };
    if (data.y instanceof Int32Array) y = data.y;
    else if (Array.isArray(data.y) && typeof data.y[0] === 'number') y = Int32Array.from(data.y as number[]);
    else {
      const t = toMatrix(data.y as Tensor2D, `jobs.train(): 'data.y'`, 'float32');
      y = { data: t.data, shape: [t.rows, t.cols], dtype: 'float32' };
    }
  }
  const yShape: [number, number] = y instanceof Int32Array ? [y.length, 1] : y.shape;
  if (yShape[0] !== x.shape[0])
    throw new Error(`jobs.train(): 'data.x' has ${x.shape[0]} rows but 'data.y' has ${yShape[0]}`);
  return { x: shared(x.data, x.shape), y: shared(y instanceof Int32Array ? y : y.data, yShape) };
}

/** A queue running at most `size` jobs at once. */
export class JobPool {
  private running = 0;
  private readonly queue: TrainingJob[] = [];
  readonly jobs = new Map<string, TrainingJob>();
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`jobs.pool(): 'size' must be a positive integer, got ${size}`);
  }
  submit(job: TrainingJob): TrainingJob {
    this.jobs.set(job.id, job);
    this.queue.push(job);
    this.pump();
    return job;
  }
  private pump(): void {
    while (this.running < this.size && this.queue.length) {
      const job = this.queue.shift()!;
      if (job.status !== 'queued') continue;
      this.running++;
      void job.run().then(() => {
        this.running--;
        this.pump();
      });
    }
  }
}

/** Default pool size: as many concurrent jobs as the cores allow with one BLAS thread each. */
export function defaultPoolSize(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

let defaultPool: JobPool | undefined;

/** Creates a pool (e.g. to cap concurrent jobs); `bp.jobs.train` uses a default one. */
export function pool(options: { size?: number } = {}): { train: (o: TrainJobOptions) => TrainingJob; pool: JobPool } {
  const p = new JobPool(options.size ?? defaultPoolSize());
  return { pool: p, train: (o) => submitTo(p, o) };
}

function submitTo(p: JobPool, o: TrainJobOptions): TrainingJob {
  if (!o || typeof o !== 'object') throw new Error(`jobs.train(): expected { model, data, fit?, checkpointDir? }`);
  let data: { x: SharedMatrix; y: SharedMatrix };
  try {
    data = prepareData(o.data);
  } catch (e) {
    // Bad data fails this job alone, through its result, like any other training failure.
    const failed = TrainingJob.failed(e as Error, o.id);
    p.jobs.set(failed.id, failed);
    return failed;
  }
  const { x, y } = data;
  const model = typeof o.model === 'string' ? { path: o.model } : o.model;
  if (!model || typeof model !== 'object')
    throw new Error(`jobs.train(): 'model' must be a model spec or a saved model directory`);
  // Each job's BLAS gets cores / pool size threads, so concurrent jobs do not oversubscribe the CPU.
  const blasThreads = o.blasThreads ?? Math.max(1, Math.floor(defaultPoolSize() / p.size));
  const job = new TrainingJob(
    {
      model,
      x,
      y,
      fit: o.fit ?? {},
      checkpointDir: o.checkpointDir,
      backend: o.backend ?? (getBackend().name === 'js' ? 'js' : undefined),
      blasThreads,
      progressEveryMs: o.progressEveryMs ?? 200,
    },
    o.id,
    o.resourceLimits,
  );
  return p.submit(job);
}

/**
 * Starts a training job in a worker thread (from the default pool).
 */
export function train(o: TrainJobOptions): TrainingJob {
  defaultPool ??= new JobPool(defaultPoolSize());
  return submitTo(defaultPool, o);
}
