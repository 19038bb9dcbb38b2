/**
 * What queue clients and queue workers agree on: the job's data in Redis, its return value, the cancel
 * key and channel, and the form of job ids (which name directories in the store).
 */
import type { JobSpec } from './options';
import type { JobDataInfo } from './protocol';

/** The BullMQ job name of a training job. */
export const TRAIN_JOB = 'train';

/** A training job's data in Redis. */
export interface QueuedJobData {
  /**
   * A random token of the client that queued it, first in the stored JSON: BullMQ ignores an add whose id it
   * already holds, so a client knows the job is its own only by finding its token there (queue.ts).
   */
  submission?: string;
  spec: JobSpec;
}

/** What a queue worker returns for a job (BullMQ's return value). */
export interface QueuedJobReturn {
  /** False when the job was cancelled before it started training (no model). */
  started: boolean;
  cancelled: boolean;
  /** Store key of the saved model (with optimizer state). */
  modelPath?: string;
  /** Every epoch's logs, also those trained before a resume. */
  history: Record<string, number[]>;
  epochs: number[];
  /** The epoch this (last) run started from: above 0 when it resumed from a checkpoint. */
  resumedFrom: number;
  /** Batches trained in the last run, and how many were done when its cancel arrived. */
  batchesDone: number;
  batchesAtCancel?: number;
  /** The worker (host:pid) that finished the job. */
  worker: string;
  data?: JobDataInfo;
}

/** Job ids name store directories: letters, digits, '-' and '_' only. */
export const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Checks a job id given by a caller or read from Redis. */
export function checkJobId(id: unknown, where: string): string {
  if (typeof id !== 'string' || !JOB_ID.test(id))
    throw new Error(`${where}: a job id is 1 to 128 letters, digits, '-' or '_', got ${JSON.stringify(id)}`);
  return id;
}

/** Redis key set when a job is cancelled (read by a worker that picks the job up later or missed the message). */
export const cancelKey = (queue: string, id: string) => `backprop:${queue}:cancel:${id}`;
/** Redis channel on which cancels are announced to every worker at once. */
export const cancelChannel = (queue: string) => `backprop:${queue}:cancel`;
/** How long a cancel key is kept (a week: longer than any job waits in a queue that is being watched). */
export const CANCEL_KEY_SECONDS = 7 * 24 * 3600;
