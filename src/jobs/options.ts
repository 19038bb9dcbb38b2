/**
 * What a training job is given. `JobSpec` is the JSON part — the same for bp.jobs.train, queue.train and
 * `backprop submit` — and `TrainJobOptions` adds what only makes sense in this process (arrays in memory,
 * thread limits, a checkpoint directory of the caller's choosing).
 */
import type { MappedCsvData, StreamSpec, TrainJobData } from './data';
import type { JobCsvOptions, ModelSpec } from './protocol';

/** The data of a JSON job spec: a file by reference (CSV or IDX), or small data inline. */
export type JobSpecData =
  | { x: number[][]; y: number[] | number[][] }
  /** Small data by the model's input and output names. */
  | { x: Record<string, number[][]>; y: Record<string, number[] | number[][]> }
  | ({ csv: string; target: string } & JobCsvOptions & StreamSpec)
  /** A model's inputs and outputs by name: `{ csv, inputs: { features: ['a', 'b'] }, targets: { cls: 'label' } }`. */
  | MappedCsvData
  | { idx: string; labels: string; normalize?: boolean };

/**
 * A training job as JSON. On a queue, `model` (when a string) and the data files are paths inside the
 * store; for bp.jobs.train they are paths on this machine.
 * @example
 * const spec: bp.jobs.JobSpec = {
 *   model: {
 *     seed: 1,
 *     layers: [{ units: 16, activation: 'relu', inputShape: [4] }, { units: 3, activation: 'softmax' }],
 *     compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
 *   },
 *   data: { csv: 'datasets/iris.csv', target: 'species' }, // or a file larger than memory: add stream: true
 *   fit: { epochs: 20, batchSize: 16, validationSplit: 0.2 },
 *   checkpointEvery: 1,
 * };
 */
export interface JobSpec {
  /** A model spec (src/model-spec.ts: any registry layer, compile settings), or a saved model's directory. */
  model: ModelSpec | string;
  data: JobSpecData;
  fit?: { epochs?: number; batchSize?: number; shuffle?: boolean; validationSplit?: number };
  /** Checkpoint every this many epochs, and after the last (default 1). Resume starts from the latest one. */
  checkpointEvery?: number;
  /** The model's seed (initial weights, shuffling, dropout); overrides `model.seed`. Model specs only. */
  seed?: number;
  /** Most milliseconds the job may run once started; past it, it is stopped and fails (default: no limit). */
  timeLimitMs?: number;
  /** Most parameters a spec'd model may have (default: only the memory limit, bp.setLimits). */
  maxParameters?: number;
}

export interface TrainJobOptions extends Omit<JobSpec, 'data'> {
  /**
   * Arrays (`x`: Tensor2D or number[][]; `y`: labels, a target column or a matrix), a CSV file with a
   * target column (parsed in the worker; CsvOptions such as maxRows, maxColumns, task may be added), or IDX
   * images and labels files. A flat `y` is class labels (integers, checked) under
   * sparseCategoricalCrossentropy, else a one-column target such as a regression's.
   */
  data: TrainJobData;
  /**
   * Saved every `checkpointEvery` epochs (with optimizer state); a job started on a directory holding a
   * checkpoint resumes it.
   */
  checkpointDir?: string;
  /** Where the final model is saved (with optimizer state) when training ends, also when cancelled. */
  outputDir?: string;
  backend?: 'native' | 'wasm' | 'js' | 'auto';
  /** BLAS threads for this job (default: cores / pool size, at least 1). */
  blasThreads?: number;
  /**
   * Heap limits for the job's worker (e.g. { maxOldGenerationSizeMb: 512 }); exceeding them fails this job only.
   * They cap the JS heap alone, not typed arrays (data, weights, layer buffers): see memoryLimitMb.
   */
  resourceLimits?: import('node:worker_threads').ResourceLimits;
  /**
   * Most memory the job may hold, in MiB: its heap and its array buffers (typed arrays) together. The model's
   * need (every buffer a step holds) must fit in what the loaded data leaves, or the job fails before the model
   * is allocated; past the limit while training, it fails. Default: none (bp.setLimits still applies).
   */
  memoryLimitMb?: number;
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
