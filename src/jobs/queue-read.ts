/**
 * A job's record read from Redis the way a client needs it: its state and the few fields of its hash a
 * status line or a handle uses, each bounded on the server. BullMQ's getJob fetches the whole hash, the
 * spec with its inline data included (up to 16 MiB a job), and parses it: `backprop status` of 10 such
 * jobs took 5 s and 330 MB to print 10 lines.
 */
import type { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import type { JobStatus } from './job';
import type { ProgressEvent } from './protocol';
import type { QueuedJobReturn } from './queue-protocol';
import { decodeProgress, decodeReturn, MAX_PROGRESS_BYTES } from './queue-codec';
import type { GroupSummary } from './queue-group';

/** Longest error message and worker name kept (longer ones are cut). */
const MAX_REASON_CHARS = 4096;
const MAX_WORKER_CHARS = 256;

/**
 * KEYS[1] the job's hash; ARGV: (field, most bytes, 'json' | 'text') triples. Per field: its length in
 * bytes, then its value — whole up to the bound; beyond it, cut to the bound ('text') or nil ('json').
 * Nil for a key that is not a hash (no such job).
 */
const READ_FIELDS = `
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return false end
local out = {}
for i = 1, #ARGV, 3 do
  local field, most = ARGV[i], tonumber(ARGV[i + 1])
  local n = redis.call('HSTRLEN', KEYS[1], field)
  out[#out + 1] = n
  if n == 0 then
    out[#out + 1] = false
  elseif n <= most then
    out[#out + 1] = redis.call('HGET', KEYS[1], field)
  elseif ARGV[i + 2] == 'text' then
    out[#out + 1] = string.sub(redis.call('HGET', KEYS[1], field), 1, most)
  else
    out[#out + 1] = false
  end
end
return out`;

/** What a client knows of a job from Redis. */
export interface JobRecord {
  /** BullMQ's state: 'waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', … */
  state: string;
  /** When it was queued (ms since 1970; 0 if Redis does not say). */
  timestamp: number;
  finishedOn: number | null;
  /** The worker that took it last (host:pid). */
  worker: string | null;
  failedReason: string | null;
  progress: ProgressEvent | null;
  /** The return value of a completed job, when it could be read and is what a worker returns. */
  returnValue: QueuedJobReturn | null;
  /** Why a completed job's return value could not be used (not JSON, the wrong form, too large). */
  returnError?: string;
}

/** A field to read: its name, most bytes, and whether a longer value is cut ('text') or left out ('json'). */
type Field = [name: string, most: number, kind: 'json' | 'text'];

/** Each field's length in bytes and its value (null when absent, or left out). Undefined: no such hash. */
async function readFields(
  redis: IORedis,
  key: string,
  fields: Field[],
): Promise<{ len: number; value: string | null }[] | undefined> {
  const reply = (await redis.eval(READ_FIELDS, 1, key, ...fields.flat())) as (number | string | null)[] | null;
  if (!Array.isArray(reply)) return undefined;
  return fields.map((_, i) => ({ len: Number(reply[2 * i]), value: (reply[2 * i + 1] as string | null) ?? null }));
}

const time = (v: string | null) => (v !== null && /^\d{1,16}$/.test(v) ? Number(v) : null);

/**
 * When each job was queued (ms since 1970; 0 when Redis does not say), reading nothing else: list() keeps
 * the newest before reading their records.
 */
export async function readTimestamps(queue: Queue, redis: IORedis, ids: string[]): Promise<number[]> {
  return Promise.all(
    ids.map(
      async (id) =>
        time((await readFields(redis, queue.toKey(id), [['timestamp', 32, 'json']]))?.[0].value ?? null) ?? 0,
    ),
  );
}
const cut = (v: string | null, n: number, len: number) => (v === null ? null : len > n ? `${v}…` : v);

/**
 * The record of job `id`, reading at most `returnBytes` of its return value; undefined when the queue
 * has no such job. Progress that is not a worker's progress event reads as null.
 * @example const r = await readJob(queue, redis, id, 2 ** 20); // { state: 'active', progress: { epoch: 3, … } }
 */
export async function readJob(
  queue: Queue,
  redis: IORedis,
  id: string,
  returnBytes: number,
): Promise<JobRecord | undefined> {
  const fields: Field[] = [
    ['timestamp', 32, 'json'],
    ['finishedOn', 32, 'json'],
    ['pb', MAX_WORKER_CHARS, 'text'], // processedBy
    ['failedReason', MAX_REASON_CHARS, 'text'],
    ['progress', MAX_PROGRESS_BYTES, 'json'],
    ['returnvalue', returnBytes, 'json'],
  ];
  // The state first: a job is moved to 'completed' or 'failed' in the same script that writes its return value
  // or reason, so fields read after a finished state are those of the finished job (read in parallel, a job
  // finishing in between looked completed without a return value).
  const state = await queue.getJobState(id);
  if (state === 'unknown') return undefined;
  const reply = await readFields(redis, queue.toKey(id), fields);
  if (!reply) return undefined;
  const len = (i: number) => reply[i].len;
  const value = (i: number) => reply[i].value;
  let progress: ProgressEvent | null = null;
  try {
    progress = value(4) === null ? null : decodeProgress(value(4));
  } catch {
    // not a worker's progress event: none shown
  }
  const record: JobRecord = {
    state,
    timestamp: time(value(0)) ?? 0,
    finishedOn: time(value(1)),
    worker: cut(value(2), MAX_WORKER_CHARS, len(2)),
    failedReason: cut(value(3), MAX_REASON_CHARS, len(3)) || null,
    progress,
    returnValue: null,
  };
  if (state === 'completed') {
    try {
      if (len(5) > returnBytes) throw new Error(`it is ${len(5)} bytes, over the ${returnBytes} read here`);
      record.returnValue = decodeReturn(value(5) ?? undefined, returnBytes);
    } catch (e) {
      record.returnError = (e as Error).message;
    }
  }
  return record;
}

/** One job in queue.list(). */
export interface QueuedJobSummary {
  id: string;
  status: JobStatus;
  progress: ProgressEvent | null;
  createdAt: number;
  finishedAt: number | null;
  /** The worker that took it last (host:pid). */
  worker: string | null;
  error: string | null;
  /** The return value of a finished job: model path, history, … */
  returnValue: QueuedJobReturn | null;
  /** A multi-rank job's group: ranks, current attempt, its state and workers. */
  group?: GroupSummary;
}

/** A job's status as clients show it, from BullMQ's state and (for a completed job) its return value. */
export const statusOf = (state: string, r?: QueuedJobReturn): JobStatus =>
  state === 'active'
    ? 'running'
    : state === 'completed'
      ? r && (r.cancelled || !r.started)
        ? 'cancelled'
        : 'completed'
      : state === 'failed'
        ? 'failed'
        : 'queued';

/** A job's record as list() and status() show it. */
export function summary(id: string, r: JobRecord): QueuedJobSummary {
  const error = r.returnError ? `its return value in Redis cannot be used: ${r.returnError}` : r.failedReason;
  return {
    id,
    status: statusOf(r.state, r.returnValue ?? undefined),
    progress: r.progress,
    createdAt: r.timestamp,
    finishedAt: r.finishedOn,
    worker: r.worker,
    error: error || null,
    returnValue: r.returnValue,
  };
}
