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
import { TrainingJob } from './job';
import { JobPool, defaultPoolSize } from './pool';
import { checkModelSpec, declaredInputShape } from '../model-spec';
import { checkedStart, type CheckedStart } from './check';
import type { TrainJobOptions } from './options';
import type { ModelSpec } from './protocol';

export { TrainingJob, JobPool, defaultPoolSize };
export type { JobResult, JobStatus } from './job';
export type { ModelSpec, ProgressEvent, JobDataInfo } from './protocol';
export type { TrainJobData, MappedCsvData } from './data';
export type { ColumnSelection } from './data-map';
export type { JobSpec, JobSpecData, TrainJobOptions } from './options';

let defaultPool: JobPool | undefined;

/** Creates a pool (e.g. to cap concurrent jobs); `bp.jobs.train` uses a default one. */
export function pool(options: { size?: number } = {}): { train: (o: TrainJobOptions) => TrainingJob; pool: JobPool } {
  const p = new JobPool(options.size ?? defaultPoolSize());
  return { pool: p, train: (o) => submitTo(p, o) };
}

function submitTo(p: JobPool, o: TrainJobOptions): TrainingJob {
  if (!o || typeof o !== 'object') throw new Error(`jobs.train(): expected { model, data, fit?, checkpointDir? }`);
  let start: CheckedStart;
  try {
    start = checkedStart(o, p.size, defaultPoolSize());
    // A job trains on the backend its caller uses (native is what 'auto' picks in the worker where it loads).
    const current = getBackend().name;
    start.backend ??= current === 'native' ? undefined : current;
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

// scale-out: a queue on BullMQ/Redis (bullmq and ioredis are required only when a queue or worker is made)
export { queue, JobQueue } from './queue';
export type { QueueOptions, QueuedJobSummary } from './queue';
export { QueuedJob } from './queued-job';
export type { QueuedJobResult } from './queued-job';
export { worker, QueueWorker } from './queue-worker';
export type { QueueWorkerOptions } from './queue-worker';
export { sweep, expandGrid } from './sweep';
export type { SweepSpec, SweepRun, SweepResult } from './sweep';
export { directoryStore, DirectoryStore, checkStoreKey, storeKeys } from './store';
export type { JobStore, StoreEntry, StoreEntryKind, StoreGuard } from './store';
export type { QueueLimits } from './queue-spec';
export type { GroupSummary } from './queue-group';
export type { RedisConnection } from './redis';
export { toJson } from './json-numbers';
