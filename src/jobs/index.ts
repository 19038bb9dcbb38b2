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
import { getBackend } from '../backend/select';
import { getLimits } from '../limits';
import { TrainingJob } from './job';
import { JobPool, defaultPoolSize } from './pool';
import { prepareData, type TrainJobData } from './data';
import { checkModelSpec, declaredInputShape, type ModelSpec as Spec } from '../model-spec';
import type { ModelSpec, StartMessage } from './protocol';

export { TrainingJob, JobPool, defaultPoolSize };
export type { JobResult, JobStatus } from './job';
export type { ModelSpec, ProgressEvent, JobDataInfo } from './protocol';
export type { TrainJobData } from './data';

export interface TrainJobOptions {
  /** A model spec (layers + compile), or the directory of a saved model (saved with includeOptimizer). */
  model: ModelSpec | string;
  /**
   * Arrays (`x`: Tensor2D or number[][]; `y`: labels, a target column or a matrix), or a CSV file with a
   * target column (parsed in the worker; CsvOptions such as maxRows, maxColumns, task may be added). A
   * flat `y` is class labels (integers, checked) under sparseCategoricalCrossentropy, else a one-column
   * target such as a regression's.
   */
  data: TrainJobData;
  fit?: { epochs?: number; batchSize?: number; shuffle?: boolean; validationSplit?: number };
  /** Saved every epoch (with optimizer state); a job started on a directory holding a checkpoint resumes it. */
  checkpointDir?: string;
  backend?: 'native' | 'js' | 'auto';
  /** BLAS threads for this job (default: cores / pool size, at least 1). */
  blasThreads?: number;
  /** Heap limits for the job's worker (e.g. { maxOldGenerationSizeMb: 512 }); exceeding them fails this job only. */
  resourceLimits?: import('node:worker_threads').ResourceLimits;
  /** Most milliseconds the job may run once started; past it, it is stopped and fails (default: no limit). */
  timeLimitMs?: number;
  /** Most parameters a spec'd model may have (default: only the memory limit, bp.setLimits). */
  maxParameters?: number;
  /** Milliseconds between batch progress events (default 200). */
  progressEveryMs?: number;
  /**
   * Scheduling priority of the job's thread, as a nice value from 0 (unchanged, the default) to 19 (lowest):
   * e.g. 10 keeps a service's request thread ahead of training when the CPU is busy. Linux only (nice is
   * per thread there); ignored elsewhere.
   */
  priority?: number;
  id?: string;
}

let defaultPool: JobPool | undefined;

/** Creates a pool (e.g. to cap concurrent jobs); `bp.jobs.train` uses a default one. */
export function pool(options: { size?: number } = {}): { train: (o: TrainJobOptions) => TrainingJob; pool: JobPool } {
  const p = new JobPool(options.size ?? defaultPoolSize());
  return { pool: p, train: (o) => submitTo(p, o) };
}

function positive(v: unknown, name: string, integer: boolean): void {
  if (v !== undefined && !(typeof v === 'number' && (integer ? Number.isSafeInteger(v) : Number.isFinite(v)) && v > 0))
    throw new Error(`jobs.train(): '${name}' must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
}

/** Everything checked before a worker starts; a failure becomes a failed job. */
function startMessage(p: JobPool, o: TrainJobOptions): Omit<StartMessage, 'cancelFlag' | 'id' | 'type'> {
  positive(o.timeLimitMs, 'timeLimitMs', false);
  positive(o.maxParameters, 'maxParameters', true);
  positive(o.blasThreads, 'blasThreads', true);
  if (o.priority !== undefined && !(Number.isInteger(o.priority) && o.priority >= 0 && o.priority <= 19))
    throw new Error(`jobs.train(): 'priority' must be an integer nice value in [0, 19], got ${String(o.priority)}`);
  const fit = o.fit ?? {};
  if (!fit || typeof fit !== 'object') throw new Error(`jobs.train(): 'fit' must be { epochs?, batchSize?, ... }`);
  positive(fit.batchSize, 'fit.batchSize', true);
  let model: ModelSpec | { path: string };
  let loss: string | undefined;
  if (typeof o.model === 'string') model = { path: o.model };
  else {
    checkModelSpec(o.model, 'jobs.train(): model', { needCompile: true }); // every layer and name; allocates nothing
    model = o.model;
    const l = (o.model as Spec).compile!.loss;
    loss = typeof l === 'string' ? l : undefined;
  }
  const { data, rows } = prepareData(o.data, loss);
  if (typeof o.model !== 'string') {
    // Refuse a model that cannot fit before loading any data: with the width known (arrays, or an
    // inputShape) exactly, else for the smallest possible input; the worker checks again on the real data.
    const batchRows = Math.max(1, Math.min(fit.batchSize ?? 32, rows ?? 1));
    checkModelSpec(o.model, 'jobs.train(): model', {
      inputShape: data.kind === 'arrays' ? [data.x.shape[1]] : undefined,
      batchRows,
      maxParameters: o.maxParameters,
    });
  }
  return {
    model,
    data,
    fit,
    checkpointDir: o.checkpointDir,
    backend: o.backend ?? (getBackend().name === 'js' ? 'js' : undefined),
    // Each job's BLAS gets cores / pool size threads, so concurrent jobs do not oversubscribe the CPU.
    blasThreads: o.blasThreads ?? Math.max(1, Math.floor(defaultPoolSize() / p.size)),
    progressEveryMs: o.progressEveryMs ?? 200,
    limits: getLimits(),
    maxParameters: o.maxParameters,
    priority: o.priority,
  };
}

function submitTo(p: JobPool, o: TrainJobOptions): TrainingJob {
  if (!o || typeof o !== 'object') throw new Error(`jobs.train(): expected { model, data, fit?, checkpointDir? }`);
  let start: ReturnType<typeof startMessage>;
  try {
    start = startMessage(p, o);
  } catch (e) {
    // Bad input fails this job alone, through its result, like any other training failure.
    return TrainingJob.failed(e as Error, o.id);
  }
  return p.submit(new TrainingJob(start, o.id, { resourceLimits: o.resourceLimits, timeLimitMs: o.timeLimitMs }));
}

/**
 * Starts a training job in a worker thread (from the default pool). It throws only when `options` is not
 * an object: everything else — a bad spec (unknown optimizer, no compile, …), bad data, a model over the
 * memory limit or `maxParameters` — is checked at once, before any worker starts or data is loaded where
 * possible, and returns a job that has already failed (`status` 'failed', `error` set, `result` rejects).
 * @example
 * const job = bp.jobs.train({ model: spec, data: { csv: 'houses.csv', target: 'price' }, timeLimitMs: 60_000 });
 * if (job.status === 'failed') console.error(job.error!.message);
 */
export function train(o: TrainJobOptions): TrainingJob {
  defaultPool ??= new JobPool(defaultPoolSize());
  return submitTo(defaultPool, o);
}

/**
 * Checks a model spec as jobs.train does and counts its parameters for `inputs` input columns, allocating
 * nothing — e.g. for a service to refuse an oversized model before accepting a job. Throws on a bad spec.
 * @example bp.jobs.specParameters({ layers: [{ units: 20000, inputShape: [20000] }], compile }, 20000) // 400020000
 */
export function specParameters(spec: ModelSpec, inputs: number): number {
  if (!Number.isSafeInteger(inputs) || inputs < 1)
    throw new Error(`jobs.specParameters(): 'inputs' must be a positive integer, got ${String(inputs)}`);
  return checkModelSpec(spec, 'jobs.specParameters(): spec', { inputShape: [inputs], sizeCheck: false })!;
}

/** The input width a spec's first layer declares (its inputShape, for one-axis inputs), if any. */
export function declaredInputs(spec: ModelSpec): number | undefined {
  const s = declaredInputShape(spec);
  return s && s.length === 1 ? s[0] : undefined;
}
