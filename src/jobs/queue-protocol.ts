/**
 * What queue clients and queue workers agree on: the job's data in Redis, its return value, the cancel
 * key and channel, and the form of job ids (which name directories in the store).
 */
import type { JobSpec } from './options';
import type { JobDataInfo } from './protocol';

/** The BullMQ job name of a training job. */
export const TRAIN_JOB = 'train';
/** The BullMQ job name of one rank's slot in a multi-rank job's group (queue-group.ts); internal to workers. */
export const RANK_JOB = 'rank';

/** A training job's data in Redis. */
export interface QueuedJobData {
  /**
   * A random token of the client that queued it, first in the stored JSON: BullMQ ignores an add whose id it
   * already holds, so a client knows the job is its own only by finding its token there (queue.ts).
   */
  submission?: string;
  spec: JobSpec;
  /** Ranks (worker slots) the job trains on at once, data-parallel (queue-group.ts); absent or 1: one slot. */
  ranks?: number;
}

/** The data of a rank task: rank `rank` of attempt `attempt` of the group of job `job`. */
export interface RankTaskData {
  job: string;
  attempt: number;
  rank: number;
  ranks: number;
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
  /** A multi-rank job: its ranks, and the group attempt that finished it (1 for a group that never failed). */
  ranks?: number;
  attempt?: number;
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

/** A rank task's BullMQ id: not a job id ('.' is not allowed there), so clients never mistake one for a job. */
export const rankTaskId = (job: string, attempt: number, rank: number) => `${job}.a${attempt}.r${rank}`;
export const RANK_TASK_ID = /^[A-Za-z0-9_-]{1,128}\.a\d{1,9}\.r\d{1,4}$/;
/** The Redis hash of a multi-rank job's group: its current attempt, members and state (queue-group.ts). */
export const groupKey = (queue: string, id: string) => `backprop:${queue}:group:${id}`;
/** Most ranks a queued job may ask for, whatever the limits say: a bound on the tasks one job adds to the queue. */
export const MAX_RANKS = 1024;
/** Default for QueueLimits.maxRanks. */
export const DEFAULT_MAX_RANKS = 64;

/**
 * Checks `ranks` as given to queue.train() (or read from Redis by a worker): an integer from 1 to `most`.
 * @example checkRanks(4, 64, 'queue.train()') // 4
 */
export function checkRanks(ranks: unknown, most: number, where: string): number {
  if (typeof ranks !== 'number' || !Number.isInteger(ranks) || ranks < 1 || ranks > most)
    throw new Error(
      `${where}: 'ranks' must be an integer from 1 to ${most} (the worker slots one job trains on at once; ` +
        `raise limits.maxRanks for more, up to ${MAX_RANKS}), got ${JSON.stringify(ranks) ?? String(ranks)}`,
    );
  return ranks;
}

/** Checks a queue's or worker's `limits.maxRanks`: an integer from 1 to MAX_RANKS. */
export function checkMaxRanks(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_RANKS)
    throw new Error(`${where}: 'limits.maxRanks' must be an integer from 1 to ${MAX_RANKS}, got ${String(v)}`);
  return v;
}
