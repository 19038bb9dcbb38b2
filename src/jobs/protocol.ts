/** Messages between the jobs API (main thread) and a training worker. */
import type { CsvOptions } from '../data/csv';
import type { Limits } from '../limits';
import type { StoreGuard } from './store-open';
import type { QueueGroupOptions } from '../distributed/group';
import type { DataMapSpec } from './data-map';

/** A model described as data (src/model-spec.ts): any registry layer, compile settings, seed. */
export type { ModelSpec } from '../model-spec';
import type { ModelSpec } from '../model-spec';

export interface SharedMatrix {
  buffer: SharedArrayBuffer | ArrayBuffer;
  byteOffset: number;
  length: number;
  kind: 'float32' | 'float64' | 'int32';
  shape: [number, number];
}

/** CSV options a job may pass to the worker, which reads and parses the file itself. */
export type JobCsvOptions = Pick<
  CsvOptions,
  'task' | 'columns' | 'header' | 'delimiter' | 'classes' | 'maxColumns' | 'maxRows' | 'name'
>;

/**
 * A CSV streamed from disk instead of loaded (csvDataset + fitDataset in the worker): memory is the
 * dataset's buffers, whatever the file's size.
 */
export interface JobStreamOptions {
  /** Rows in the shuffle buffer (with fit.shuffle, the default). */
  shuffleBuffer: number;
  /** Skip rows with a bad cell instead of failing the job. */
  skipBadRows: boolean;
}

/**
 * A data file opened in a queue's store: its path reaches the opened file itself (store-open.ts), it is read
 * whole only up to `maxBytes`, and errors about it never quote its content (they go to other machines).
 */
export interface StoreFileRead {
  maxBytes: number;
  /** The files' keys in the store, for messages: [csv] or [images, labels]. */
  names: string[];
}

/** The training data: arrays already in (shared) memory, or a CSV file the worker loads or streams. */
export type JobData =
  | { kind: 'arrays'; x: SharedMatrix; y: SharedMatrix }
  | {
      kind: 'csv';
      path: string;
      target: string;
      options: JobCsvOptions;
      store?: StoreFileRead;
      stream?: JobStreamOptions;
    }
  | { kind: 'idx'; images: string; labels: string; normalize: boolean; store?: StoreFileRead }
  /** Data for a model's inputs and outputs by name (data-map.ts): checked against the model again in the worker. */
  | {
      kind: 'csvMap';
      path: string;
      map: DataMapSpec;
      options: Pick<JobCsvOptions, 'header' | 'delimiter' | 'maxColumns' | 'maxRows' | 'name'>;
      store?: StoreFileRead;
      stream?: JobStreamOptions;
    }
  /** Arrays by input and output name (mapped-arrays.ts), each [rows, values per sample]. */
  | { kind: 'arraysMap'; x: [string, SharedMatrix][]; y: [string, SharedMatrix][]; rows: number };

/** What a CSV job learned about its data (so predictions can be mapped back to class names). */
export interface JobDataInfo {
  featureNames: string[];
  targetName?: string;
  task?: 'classification' | 'regression';
  classes?: string[];
  /** Data mapped by name (data.inputs / data.targets): each input's columns, in order. */
  inputs?: Record<string, string[]>;
  /** Each target's columns, and a column of class labels' class names in index order. */
  targets?: Record<string, { columns: string[]; classes?: string[] }>;
}

export interface StartMessage {
  type: 'start';
  id: string;
  model: ModelSpec | { path: string };
  data: JobData;
  fit: { epochs?: number; batchSize?: number; shuffle?: boolean; validationSplit?: number };
  checkpointDir?: string;
  /** Checkpoint every this many epochs (and after the last). */
  checkpointEvery: number;
  /** Where the final model is saved (with optimizer state) when training ends, cancelled or not. */
  outputDir?: string;
  /** Checked before every write into checkpointDir / outputDir (a queue's store: the key still names them). */
  checkpointGuard?: StoreGuard;
  outputGuard?: StoreGuard;
  /**
   * What the job is (a hash of its spec): recorded in every checkpoint, and a checkpoint recording another is
   * refused instead of resumed.
   */
  specDigest: string;
  /** Int32[2]: [0] set to 1 (Atomics) to cancel, read by the worker after every batch; [1] batches done. */
  cancelFlag: SharedArrayBuffer;
  backend?: 'native' | 'wasm' | 'js' | 'auto';
  blasThreads: number;
  /** Minimum ms between batch progress messages. */
  progressEveryMs: number;
  /** The submitting thread's limits (bp.setLimits), which a worker does not inherit on its own. */
  limits: Limits;
  /** Most parameters the model may have (checked before it is built). */
  maxParameters?: number;
  /** Most bytes the job's thread may hold, heap and array buffers together (memory-watch.ts). */
  memoryLimitBytes?: number;
  /** Scheduling priority (nice, 0-19) of the worker thread on Linux. */
  priority?: number;
  /**
   * A rank of a multi-rank queued job (queue-group.ts): the thread joins the group, trains data-parallel, and
   * unless it is rank 0 reads the checkpoint directory (to resume) but writes nothing.
   */
  distributed?: QueueGroupOptions;
}

export interface ProgressEvent {
  epoch: number;
  epochs: number;
  batch: number;
  /** Batches per epoch (0 while unknown: a streamed CSV's first epoch, before its rows are counted). */
  batches: number;
  loss: number;
  metrics: Record<string, number>;
  samplesPerSecond: number;
  /** Seconds left, estimated (-1 while unknown, as `batches`). */
  etaSeconds: number;
  kind: 'batch' | 'epoch';
}

export type WorkerMessage =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'checkpoint'; epoch: number; dir: string }
  /** Sent once training starts: the epoch it starts from (above 0 when resumed from a checkpoint). */
  | { type: 'started'; initialEpoch: number }
  | {
      type: 'done';
      cancelled: boolean;
      /** Distributed: another rank stopped the group early (its worker closing); the job is not finished. */
      stoppedByGroup?: boolean;
      batchesDone: number;
      /** Every epoch's logs, those of earlier runs resumed from the checkpoint included. */
      history: Record<string, number[]>;
      epochs: number[];
      weights: { data: ArrayBuffer; kind: 'float32' | 'float64' }[];
      modelJson: unknown;
      dataInfo?: JobDataInfo;
    }
  | { type: 'error'; message: string };
