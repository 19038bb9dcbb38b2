/**
 * Jobs as stored in Redis are hostile input too, and BullMQ reads a job whole — every field of its hash — and
 * JSON-parses its data on the worker's main thread before any check of ours can run: 30 MB of `[[],[],…]`
 * took a 256 MB worker down before the job's size was ever looked at (and, active, the job went on to the next
 * worker). So the queue worker bounds what it fetches and parses:
 *
 * - before each fetch, a Lua script looks at the jobs the fetch can take next (the tail of the wait list, the
 *   head of the prioritized set) and replaces any whose stored fields exceed the byte limit (or that has more
 *   fields than a job has) by a small stand-in saying why: BullMQ then fetches a few bytes, and the worker fails
 *   the job with that reason;
 * - after each fetch, before BullMQ parses anything, the raw fields are measured again (a job rewritten between
 *   the two steps), and the data's JSON is scanned for its count of arrays and objects and its depth, which bound
 *   what parsing it allocates (`[[],[],…]` is small in bytes, but each `[]` becomes an object);
 * - BullMQ's "fetch the next job while finishing this one" is turned off, so every fetch passes the screen.
 */
import type { Job, Worker } from 'bullmq';
import type IORedis from 'ioredis';
import type { QueuedJobData, QueuedJobReturn } from './queue-protocol';

/** The data key of a stand-in: the reason the job was refused unread. */
export const REFUSED_KEY = 'bpRefused';
/** More fields than a BullMQ job hash has. */
const MAX_FIELDS = 64;
/** How many of the next jobs each screen looks at (other workers may take the first ones meanwhile). */
const LOOK_AHEAD = 8;
/** Deeper JSON than any job spec: deeper is refused unparsed (and never reaches recursive code). */
const MAX_DEPTH = 64;

export interface JobSizeLimits {
  /** Most bytes of a stored job, all its fields together. */
  maxBytes: number;
  /** Most arrays and objects in its data's JSON. */
  maxContainers: number;
}

const SCREEN_SCRIPT = `
local maxBytes = tonumber(ARGV[2])
local refused = {}
local function screen(id)
  if string.sub(id, 1, 2) == '0:' then return end
  local key = ARGV[1] .. id
  local fields = redis.call('HLEN', key)
  if fields == 0 then return end
  local bytes = -1
  if fields <= ${MAX_FIELDS} then
    bytes = 0
    for _, f in ipairs(redis.call('HKEYS', key)) do bytes = bytes + #f + redis.call('HSTRLEN', key, f) end
    if bytes <= maxBytes then return end
  end
  local why = bytes < 0 and ('the job in Redis has ' .. fields .. ' fields')
    or ('the job in Redis is ' .. bytes .. ' bytes; at most ' .. maxBytes .. ' are read (maxSpecBytes)')
  redis.call('DEL', key)
  redis.call('HSET', key, 'name', ARGV[4], 'data', '{"${REFUSED_KEY}":"' .. why .. '"}', 'opts', '{}',
    'timestamp', ARGV[5])
  table.insert(refused, id)
end
for _, id in ipairs(redis.call('LRANGE', KEYS[1], -tonumber(ARGV[3]), -1)) do screen(id) end
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1)) do screen(id) end
return refused`;

/**
 * Arrays and objects in `text` (JSON) and its greatest depth, in one pass that allocates nothing; stops
 * counting once past `most`.
 * @example jsonShape('{"a":[[1],[2]]}', 100) // { containers: 4, depth: 3 }
 */
export function jsonShape(text: string, most: number): { containers: number; depth: number } {
  let containers = 0,
    depth = 0,
    deepest = 0,
    inString = false;
  for (let i = 0; i < text.length && containers <= most; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      containers++;
      if (++depth > deepest) deepest = depth;
    } else if (c === 93 || c === 125) depth--;
  }
  return { containers, depth: deepest };
}

/** Why a job as fetched (its raw fields) must not be parsed, or undefined when it may. */
function refusal(raw: Record<string, unknown>, limits: JobSizeLimits): string | undefined {
  const fields = Object.keys(raw);
  if (fields.length > MAX_FIELDS) return `the job in Redis has ${fields.length} fields`;
  let bytes = 0;
  for (const f of fields) bytes += f.length + (typeof raw[f] === 'string' ? (raw[f] as string).length : 0);
  if (bytes > limits.maxBytes)
    return `the job in Redis is ${bytes} bytes; at most ${limits.maxBytes} are read (maxSpecBytes)`;
  let containers = 0;
  for (const f of ['data', 'opts', 'progress', 'returnvalue', 'stacktrace']) {
    if (typeof raw[f] !== 'string') continue;
    const shape = jsonShape(raw[f] as string, limits.maxContainers - containers);
    containers += shape.containers;
    if (shape.depth > MAX_DEPTH)
      return `the job's ${f} in Redis is JSON nested ${shape.depth} deep (at most ${MAX_DEPTH})`;
    if (containers > limits.maxContainers)
      return `the job in Redis holds more than ${limits.maxContainers} JSON arrays and objects`;
  }
  return undefined;
}

/** The reason a fetched job was refused unread (its stand-in's data), or undefined. */
export function refusedReason(job: Job<QueuedJobData, QueuedJobReturn>): string | undefined {
  const data = job.data as unknown as Record<string, unknown> | undefined;
  const why = data && typeof data === 'object' ? data[REFUSED_KEY] : undefined;
  return typeof why === 'string' ? why.slice(0, 300) : undefined;
}

type WorkerClass = typeof Worker<QueuedJobData, QueuedJobReturn>;

/**
 * BullMQ's Worker class with the guards above. `redis` runs the screen; `jobName` is what a stand-in is called.
 * @example const W = guardedWorkerClass(bullmq().Worker, redis, { maxBytes: 17e6, maxContainers: 1.1e6 }, 'train');
 */
export function guardedWorkerClass(
  Base: WorkerClass,
  redis: IORedis,
  limits: JobSizeLimits,
  jobName: string,
): WorkerClass {
  const screen = async (w: Worker<QueuedJobData, QueuedJobReturn>) => {
    const args = [w.toKey(''), limits.maxBytes, LOOK_AHEAD, jobName, Date.now()];
    await redis.eval(SCREEN_SCRIPT, 2, w.keys.wait, w.keys.prioritized, ...args);
  };
  return class GuardedWorker extends Base {
    protected override async moveToActive(token: string, name?: string) {
      try {
        await screen(this);
      } catch {
        // Redis unreachable: so is the fetch, which reports it; the check after the fetch still applies
      }
      return super.moveToActive(token, name);
    }

    protected override createJob(data: Parameters<Worker['createJob']>[0], jobId: string) {
      const raw = data as unknown as Record<string, unknown>;
      const why = refusal(raw, limits);
      if (!why) return super.createJob(data, jobId);
      const stub = {
        name: jobName,
        data: JSON.stringify({ [REFUSED_KEY]: why }),
        opts: '{}',
        timestamp: raw.timestamp,
      };
      return super.createJob(stub as unknown as typeof data, jobId);
    }

    // Every fetch goes through moveToActive (and its screen): none piggybacks on finishing the previous job.
    override processJob(job: Job<QueuedJobData, QueuedJobReturn>, token: string) {
      return super.processJob(job, token, () => false);
    }
  };
}
