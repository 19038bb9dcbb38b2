/**
 * A JSON job spec checked against a store: the spec's form, then every path it names resolved inside the
 * store (and its size bounded), then the same checks bp.jobs.train makes (checkedStart) on the result.
 * Clients run it before queueing; workers run it again before training, since Redis is not a trust boundary.
 */
import { checkedStart } from './check';
import type { JobSpec, TrainJobOptions } from './options';
import type { JobStore, StoreEntry } from './store';
import { DEFAULT_MAX_RANKS } from './queue-protocol';

/** Limits a queue applies to job specs, on top of bp.setLimits and the spec's own. */
export interface QueueLimits {
  /** Most bytes of a data file in the store (default 4 GiB). */
  maxDataBytes: number;
  /** Most values (rows × columns of x, plus y) of inline data (default 1,000,000). */
  maxInlineValues: number;
  /** Most bytes of a spec as JSON, inline data included (default 16 MiB): it is held in Redis. */
  maxSpecBytes: number;
  /** Most parameters of a model (default: none beyond the memory limit). */
  maxParameters?: number;
  /**
   * Most milliseconds a job may run once started (default a day, `DEFAULT_JOB_TIME_LIMIT_MS`): a spec asking for
   * more gets this, so a job that would run for ever (a million tiny epochs) ends. Raise it for longer jobs
   * (`backprop worker --max-job-seconds`).
   */
  timeLimitMs?: number;
  /**
   * Most ranks (worker slots at once) a job may ask for with `queue.train(spec, { ranks })` (default 64, at most
   * 1024): each adds that many tasks to the queue and waits for that many slots.
   */
  maxRanks: number;
}

/** The time limit of a queued job when neither its spec nor its worker says less (a day). */
export const DEFAULT_JOB_TIME_LIMIT_MS = 24 * 3600 * 1000;

export const DEFAULT_QUEUE_LIMITS: QueueLimits = {
  maxDataBytes: 4 * 2 ** 30,
  maxInlineValues: 1_000_000,
  maxSpecBytes: 16 * 2 ** 20,
  timeLimitMs: DEFAULT_JOB_TIME_LIMIT_MS,
  maxRanks: DEFAULT_MAX_RANKS,
};

const SPEC_KEYS = new Set(['model', 'data', 'fit', 'checkpointEvery', 'seed', 'timeLimitMs', 'maxParameters']);

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Values in inline JSON data (arrays of arrays, or objects of them by name); deep nesting counts as too many. */
function leaves(v: unknown, depth = 0): number {
  if (depth > 8) return Infinity;
  if (Array.isArray(v)) return v.reduce((n: number, e) => n + leaves(e, depth + 1), 0);
  if (isObject(v)) return Object.values(v).reduce((n: number, e) => n + leaves(e, depth + 1), 0);
  return 1;
}

/** The spec's form: known keys, a JSON-sized object, inline data within bounds. */
function checkForm(spec: unknown, limits: QueueLimits, where: string): JobSpec {
  if (!isObject(spec)) throw new Error(`${where}: the job spec must be an object { model, data, fit? }`);
  for (const key of Object.keys(spec))
    if (!SPEC_KEYS.has(key))
      throw new Error(`${where}: unknown key '${key}' in the job spec; keys are ${[...SPEC_KEYS].join(', ')}`);
  let json: string;
  try {
    json = JSON.stringify(spec);
  } catch (e) {
    throw new Error(`${where}: the job spec must be JSON (${(e as Error).message})`);
  }
  if (Buffer.byteLength(json) > limits.maxSpecBytes)
    throw new Error(
      `${where}: the job spec is ${Buffer.byteLength(json)} bytes as JSON; at most ${limits.maxSpecBytes} are ` +
        `allowed (maxSpecBytes). Put large data in the store and name it ({ csv: 'datasets/…' })`,
    );
  const data = spec.data;
  if (!isObject(data)) throw new Error(`${where}: 'data' must be { csv, target }, { idx, labels } or { x, y }`);
  if ('x' in data && isObject(data.x)) {
    // Arrays by input and output name: every number counts.
    const values = leaves(data.x) + leaves(data.y);
    if (values > limits.maxInlineValues)
      throw new Error(
        `${where}: inline data has ${values} values; at most ${limits.maxInlineValues} are allowed ` +
          `(maxInlineValues). Put it in the store as a CSV and map its columns ({ csv, inputs, targets })`,
      );
  } else if ('x' in data) {
    const x = data.x;
    if (!Array.isArray(x) || !x.every((r) => Array.isArray(r)))
      throw new Error(`${where}: inline 'data.x' must be an array of rows (number[][])`);
    const values = x.reduce((n, r: unknown[]) => n + r.length, 0) + (Array.isArray(data.y) ? data.y.length : 0);
    if (values > limits.maxInlineValues)
      throw new Error(
        `${where}: inline data has ${values} values; at most ${limits.maxInlineValues} are allowed ` +
          `(maxInlineValues). Put it in the store as a CSV and name it`,
      );
  }
  return spec as unknown as JobSpec;
}

/** A spec checked and opened against a store: bp.jobs.train options whose paths reach the opened entries. */
export interface OpenedSpec {
  options: TrainJobOptions;
  /** The store entries the options' paths reach; close() releases them (after the job's thread has exited). */
  entries: StoreEntry[];
  close(): void;
}

/**
 * Checks `spec` completely against `store`, opening every file and directory it names (held open, so what is
 * read later is what was checked), and returns bp.jobs.train options whose paths reach the opened entries; or
 * throws an Error naming what is wrong (with nothing left open). `where` prefixes messages.
 * @example const opened = await openQueueSpec(spec, store, DEFAULT_QUEUE_LIMITS, 'job spec'); … opened.close();
 */
export async function openQueueSpec(
  spec: unknown,
  store: JobStore,
  limits: QueueLimits,
  where: string,
): Promise<OpenedSpec> {
  const s = checkForm(spec, limits, where);
  const options: TrainJobOptions = { ...s };
  const entries: StoreEntry[] = [];
  const close = () => entries.forEach((e) => e.close());
  // A streamed file is never held in memory: its size is not limited (timeLimitMs bounds the time).
  const file = async (key: unknown, what: string, streamed = false) => {
    const entry = await store.open(key as string, 'file', what);
    entries.push(entry);
    if (entry.size > limits.maxDataBytes && !streamed)
      throw new Error(
        `${where}: ${what} is ${entry.size} bytes; at most ${limits.maxDataBytes} are allowed (maxDataBytes)`,
      );
    return entry.path;
  };
  const data = s.data as Record<string, unknown>;
  try {
    try {
      if (typeof s.model === 'string') {
        const entry = await store.open(s.model, 'directory', 'model');
        entries.push(entry);
        options.model = entry.path;
      }
      if ('csv' in data)
        options.data = {
          ...(data as { csv: string; target: string; name?: string }),
          csv: await file(data.csv, 'data.csv', data.stream === true),
          name: typeof data.name === 'string' ? data.name : (data.csv as string), // errors name the key, not a path
        };
      else if ('idx' in data)
        options.data = {
          ...(data as { idx: string; labels: string }),
          idx: await file(data.idx, 'data.idx'),
          labels: await file(data.labels, 'data.labels'),
        };
    } catch (e) {
      throw new Error(
        (e as Error).message.startsWith(where) ? (e as Error).message : `${where}: ${(e as Error).message}`,
      );
    }
    const cap = (given: number | undefined, most: number | undefined) =>
      given === undefined ? most : most === undefined ? given : Math.min(given, most);
    options.maxParameters = cap(s.maxParameters, limits.maxParameters);
    options.timeLimitMs = cap(s.timeLimitMs, limits.timeLimitMs);
    try {
      checkedStart(options, 1, 1); // the checks bp.jobs.train makes: spec, data, fit, model size
    } catch (e) {
      throw new Error((e as Error).message.replace(/^jobs\.train\(\)/, where));
    }
  } catch (e) {
    close();
    throw e;
  }
  return { options, entries, close };
}

/**
 * Checks `spec` completely against `store` (as openQueueSpec, releasing what it opened) and throws an Error
 * naming what is wrong. `where` prefixes messages (e.g. 'queue.train()').
 * @example await checkQueueSpec(spec, store, DEFAULT_QUEUE_LIMITS, 'queue.train()');
 */
export async function checkQueueSpec(
  spec: unknown,
  store: JobStore,
  limits: QueueLimits,
  where: string,
): Promise<void> {
  (await openQueueSpec(spec, store, limits, where)).close();
}
