/**
 * A training queue shared by many machines, on BullMQ over Redis: clients queue JSON job specs, `backprop
 * worker` processes train them, and every client watching a job sees its progress (BullMQ job progress,
 * read from the queue's events stream) and its end. Datasets, checkpoints and finished models live in a
 * store shared by all (a directory on a shared file system).
 *
 * Redis is not a trust boundary: whatever a client reads there (events, progress, return values, ids) is
 * checked before use (queue-codec.ts), read within bounds (queue-read.ts), and a bad entry is reported as
 * a 'warning' and skipped — it never throws into the process or stops the events from being read.
 */
import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import { loadLayersModel } from '../sequential';
import type { LayersModel } from '../layers-model';
import { QueuedJob } from './queued-job';
import { bullmq, connectionOptions, describeConnection, redisClient, type RedisConnection } from './redis';
import { checkQueueSpec, DEFAULT_QUEUE_LIMITS, type QueueLimits } from './queue-spec';
import {
  CANCEL_KEY_SECONDS,
  TRAIN_JOB,
  cancelChannel,
  cancelKey,
  checkJobId,
  checkMaxRanks,
  checkRanks,
  JOB_ID,
  type QueuedJobData,
  type QueuedJobReturn,
} from './queue-protocol';
import { checkStoreKey, toStore, type JobStore } from './store';
import { EventStreamReader, type StreamEntry } from './queue-events';
import { decodeEvent, InvalidQueueValue, MAX_RETURN_BYTES, type QueueEvent } from './queue-codec';
import { readJob, readTimestamps, statusOf, summary, type JobRecord, type QueuedJobSummary } from './queue-read';
import { readGroup } from './queue-group';
import type { JobSpec } from './options';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export type { QueuedJobSummary } from './queue-read';

export interface QueueOptions {
  /** Redis: `redis://[user:password@]host:port[/db]`, `rediss://…` for TLS, or ioredis options. */
  connection: RedisConnection;
  /** The queue's name (default 'backprop'); workers must use the same. */
  name?: string;
  /**
   * The store shared with the workers: a directory path, or a store object (bp.jobs.directoryStore). Specs
   * name their files inside it; results are loaded from it. Omit it only to queue and watch (no paths
   * checked here, no models loaded: `backprop submit`).
   */
  store?: string | JobStore;
  /** Limits on specs, checked before queueing (data file size, inline data, model parameters, run time). */
  limits?: Partial<QueueLimits>;
  /**
   * How long finished jobs (their status, history and model path; not their models in the store) stay in
   * Redis for get(), status() and list(): at most `seconds` after they end (default a week) and the newest
   * `count` (default 10,000), so that Redis does not grow without bound under a service that never stops.
   */
  keepFinished?: { seconds?: number; count?: number };
}

/** 1 when the job hash KEYS[1] holds data starting with ARGV[1] (the adding client's token), else 0. */
const OWN_JOB_SCRIPT = `local d = redis.call('HGET', KEYS[1], 'data')
if d and string.sub(d, 1, string.len(ARGV[1])) == ARGV[1] then return 1 end
return 0`;

/** Seconds between checks of unfinished jobs' states: a safety net under the event stream. */
const POLL_MS = 2000;
/**
 * Most bytes of a return value read for a summary (list, status): ~12,000 epochs of a loss and 3 metrics,
 * and at most 100 MiB for a list of 100 jobs whatever Redis holds.
 */
const SUMMARY_RETURN_BYTES = 2 ** 20;
/** Most bytes of a return value read for a handle, which needs the whole history. */
const HANDLE_RETURN_BYTES = MAX_RETURN_BYTES;
/** Longest a close() waits for BullMQ to close its connections gracefully. */
const CLOSE_WAIT_MS = 2000;

/**
 * A queue client. Besides job handles it emits, for every job of the queue, ('progress', id, event) and
 * ('end', id, status) — for a dashboard watching all jobs — and ('warning', error) for each entry read
 * from Redis that was not what a worker writes (it is skipped).
 */
export class JobQueue extends EventEmitter {
  readonly name: string;
  readonly store?: JobStore;
  private readonly limits: QueueLimits;
  private readonly keep: { age: number; count: number };
  private readonly connection: ReturnType<typeof connectionOptions>;
  /** BullMQ's queue and our events reader, made once Redis answered (a wrong password never gets this far). */
  private parts?: Promise<Parts>;
  private made?: Parts;
  private readonly redis: IORedis;
  private readonly handles = new Map<string, QueuedJob>();
  private readonly poller: NodeJS.Timeout;
  private closed = false;
  /** Where Redis is, without the password. */
  private readonly where: string;

  constructor(o: QueueOptions) {
    super();
    const where = 'jobs.queue()';
    if (!o || typeof o !== 'object') throw new Error(`${where}: expected { connection, name?, store }`);
    this.name = o.name ?? 'backprop';
    if (typeof this.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(this.name))
      throw new Error(`${where}: 'name' must be 1 to 64 letters, digits, '.', '-' or '_'`);
    const connection = connectionOptions(o.connection, where);
    this.where = describeConnection(connection);
    this.store = o.store === undefined ? undefined : toStore(o.store, where);
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...(o.limits ?? {}) };
    checkMaxRanks(this.limits.maxRanks, where);
    const keep = { seconds: 7 * 24 * 3600, count: 10_000, ...(o.keepFinished ?? {}) };
    for (const [k, v] of Object.entries(keep))
      if (!Number.isSafeInteger(v) || v < 1)
        throw new Error(`${where}: 'keepFinished.${k}' must be a positive integer, got ${String(v)}`);
    this.keep = { age: keep.seconds, count: keep.count };
    this.connection = connection;
    this.redis = redisClient(connection);
    this.redis.on('error', () => {});
    this.poller = setInterval(() => void this.pollUnfinished(), POLL_MS);
    this.poller.unref();
    // Listening for every job's events starts with the first listener (await ready() to be sure it has).
    this.on('newListener', (event) => {
      if (event === 'progress' || event === 'end') this.bull('queue').catch(() => {});
    });
  }

  /**
   * Connects and starts listening to the queue's events; rejects with the reason when Redis cannot be used
   * (a wrong password, TLS refused). Every other method does this on first use.
   * @example await queue.ready(); queue.on('progress', (id, p) => console.log(id, p.epoch));
   */
  async ready(): Promise<void> {
    await this.bull('queue.ready()');
  }

  /**
   * Checks a JSON job spec completely (its form, every store path, the model's size, the limits) and
   * queues it. Returns the job's handle at once; a refused spec fails it (`status` 'failed', `submitted`
   * and `result` reject with the reason) and nothing is queued. `options.id` names the job (1 to 128
   * letters, digits, '-' or '_'; default a random UUID): it must not be in the queue already.
   *
   * `options.ranks` (default 1) trains the one job on that many worker slots at once, data-parallel over Gloo
   * (as `fit({ distributed: true })`: `fit.batchSize` is per rank, so the global batch is ranks × batchSize):
   * all or none start, on workers started with `--iface`; a rank lost mid-run fails its group within the
   * workers' timeout and the job resumes from its last checkpoint on a new group. An integer from 1 to the
   * queue's `limits.maxRanks` (default 64); the data must be in memory (no `stream`).
   * @example
   * const data = { csv: 'datasets/iris.csv', target: 'species' };
   * const job = queue.train({ model: spec, data, fit: { epochs: 20 } });
   * job.on('progress', (p) => console.log(p.epoch, p.loss));
   * const { model, modelPath, history } = await job.result;
   * const big = queue.train(spec, { ranks: 4 }); // one model on 4 worker slots (backprop worker --iface eth0)
   */
  train(spec: unknown, options: { id?: string; ranks?: number } = {}): QueuedJob {
    const where = 'queue.train()';
    let id: string;
    let ranks: number;
    try {
      if (options === null || typeof options !== 'object' || Array.isArray(options))
        throw new Error(`${where}: the second argument must be an options object { id?, ranks? }`);
      for (const k of Object.keys(options))
        if (k !== 'id' && k !== 'ranks') throw new Error(`${where}: unknown option '${k}'; options are: id, ranks`);
      ranks = options.ranks === undefined ? 1 : checkRanks(options.ranks, this.limits.maxRanks, where);
      if (ranks > 1 && !isObject(spec))
        throw new Error(`${where}: the job spec must be an object { model, data, fit? }`);
      if (ranks > 1 && isObject(spec) && isObject(spec.data) && spec.data.stream)
        throw new Error(
          `${where}: a job of ${ranks} ranks trains on data in memory: remove 'stream' from its data (or use ranks 1)`,
        );
      id = options.id === undefined ? crypto.randomUUID() : checkJobId(options.id, where);
      if (this.handles.has(id)) throw new Error(`${where}: job '${id}' is already being followed by this client`);
    } catch (e) {
      const refused = new QueuedJob(String(options?.id), { cancel: async () => {}, loadModel: async () => undefined });
      refused.ranks = typeof options?.ranks === 'number' ? options.ranks : 1;
      refused.fail(e as Error);
      return refused;
    }
    const job = this.handleFor(id);
    job.ranks = ranks;
    const submit = async () => {
      if (this.closed) throw new Error(`${where}: the queue is closed`);
      await this.check(spec, where);
      const { queue } = await this.bull(where);
      // BullMQ ignores an add with a jobId it holds (in one Lua script, so two clients cannot both add): the job
      // is this client's only if the stored data starts with this submission's token. Checking before adding
      // instead would let two clients of one id both pass the check.
      const submission = crypto.randomUUID();
      const data: QueuedJobData =
        ranks > 1 ? { submission, spec: spec as JobSpec, ranks } : { submission, spec: spec as JobSpec };
      await queue.add(TRAIN_JOB, data, {
        jobId: job.id,
        attempts: 1, // a job failing for its own reasons fails once
        removeOnComplete: this.keep,
        removeOnFail: this.keep,
      });
      const prefix = JSON.stringify({ submission }).slice(0, -1);
      if ((await this.redis.eval(OWN_JOB_SCRIPT, 1, queue.toKey(id), prefix)) !== 1)
        throw new Error(`${where}: a job '${id}' is already in queue '${this.name}'; choose another id`);
    };
    submit().then(
      () => job.queued(),
      (e: Error) => job.fail(e),
    );
    return job;
  }

  /**
   * Checks a job spec as train() does — form, store paths, sizes, limits — and queues nothing.
   * @example await queue.check(spec); // throws naming what is wrong
   */
  async check(spec: unknown, where = 'queue.check()'): Promise<void> {
    await checkQueueSpec(spec, this.store ?? NO_STORE, this.limits, where);
  }

  /**
   * BullMQ's queue and the events reader, made on first use once Redis answers: listening before any job is
   * queued, so no event is missed. A failure (refused, wrong password) is thrown and tried again next time.
   */
  private bull(where: string): Promise<Parts> {
    this.parts ??= this.reachable(where).then(async () => {
      const { Queue } = bullmq();
      const queue = new Queue<QueuedJobData, QueuedJobReturn>(this.name, { connection: this.connection });
      queue.on('error', () => {}); // connection errors: ioredis reconnects; calls fail on their own
      const connection = redisClient(this.connection);
      connection.on('error', () => {});
      const events = new EventStreamReader(
        connection,
        queue.keys.events,
        (entry) => this.dispatch(entry),
        (e) => this.warn(e),
      );
      const made = { queue, events };
      if (this.closed) {
        // close() ran while Redis was being reached: nothing may stay connected after it.
        await Promise.allSettled([events.close(), queue.disconnect()]);
        throw new Error(`${where}: the queue is closed`);
      }
      this.made = made;
      try {
        await events.start();
      } catch (e) {
        // tried again on the next call, with new connections: these must not stay open
        this.made = undefined;
        await Promise.allSettled([events.close(), queue.close()]);
        if (this.closed) throw new Error(`${where}: the queue is closed`);
        throw new Error(`${where}: the queue's events cannot be read: ${(e as Error).message}`);
      }
      return made;
    });
    this.parts.catch(() => (this.parts = undefined));
    return this.parts;
  }

  /** One entry of the events stream: checked, then passed to the job's handle and the queue's listeners. */
  private onEvent(entry: StreamEntry): void {
    let e: QueueEvent | undefined;
    try {
      e = decodeEvent(entry);
    } catch (err) {
      // A handle must not miss its job's end over one bad entry: the job's record in Redis decides.
      const handle = err instanceof InvalidQueueValue && err.jobId ? this.handles.get(err.jobId) : undefined;
      if (handle) void this.syncHandle(handle);
      throw err;
    }
    if (!e) return;
    const handle = this.handles.get(e.id);
    switch (e.kind) {
      case 'progress':
        handle?.setProgress(e.progress);
        this.emit('progress', e.id, e.progress);
        return;
      case 'active':
        // A multi-rank job is active while its group forms: it runs from its first progress on.
        return handle && handle.ranks === 1 ? handle.setStatus('running') : undefined;
      case 'waiting':
        return handle?.setStatus('queued');
      case 'completed':
        handle?.complete(e.returnValue).catch(rethrowLater);
        this.emit('end', e.id, statusOf('completed', e.returnValue));
        return;
      case 'failed':
        handle?.fail(new Error(`job ${e.id} failed: ${e.reason}`));
        this.emit('end', e.id, 'failed');
        return;
      case 'removed':
        return handle?.fail(new Error(`job ${e.id} was cancelled before it started`), 'cancelled');
    }
  }

  /**
   * A refused entry is a 'warning'; an error thrown by a listener (user code) is thrown again outside the
   * reader, as it would be from any event emitter — either way the next entry is read.
   */
  private dispatch(entry: StreamEntry): void {
    try {
      this.onEvent(entry);
    } catch (e) {
      if (e instanceof InvalidQueueValue) this.warn(e);
      else rethrowLater(e);
    }
  }

  /** Entries refused and reads failed (Redis restarting): for whoever listens to 'warning'. */
  private warn(e: Error): void {
    if (!this.closed && this.listenerCount('warning') > 0) this.emit('warning', e);
  }

  /**
   * Fails fast with the reason (a wrong password, TLS refused) where BullMQ would wait for a connection that
   * never becomes ready. While Redis is down (restarting) it waits, as BullMQ does.
   */
  private async reachable(where: string): Promise<void> {
    try {
      await this.redis.ping();
    } catch (e) {
      if (this.closed) throw new Error(`${where}: the queue is closed`);
      throw new Error(`${where}: Redis at ${this.where} cannot be used: ${(e as Error).message}`);
    }
  }

  /**
   * A handle on a job queued anywhere (by its id): its progress from now on, its status, its result.
   * @example const job = await queue.get(id); await job.cancel();
   */
  async get(id: string): Promise<QueuedJob> {
    checkJobId(id, 'queue.get()');
    const known = this.handles.get(id);
    if (known) return known;
    const { queue } = await this.bull('queue.get()');
    const job = this.handleFor(id);
    const found = await readJob(queue, this.redis, id, HANDLE_RETURN_BYTES);
    if (!found) {
      this.handles.delete(id);
      throw new Error(`queue.get(): no job '${id}' in queue '${this.name}'`);
    }
    job.ranks = (await readGroup(this.redis, this.name, id, this.limits.maxRanks))?.ranks ?? 1;
    job.queued();
    await this.sync(job, found);
    return job;
  }

  /**
   * The queue's jobs, newest first (at most `limit`, default 100): status, latest progress, error, result.
   * Each is read without its spec, and its return value only up to 1 MiB (beyond, `returnValue` is null
   * and `error` says why; queue.get(id) reads it whole).
   * @example for (const j of await queue.list()) console.log(j.id, j.status, j.progress?.epoch);
   */
  async list(limit = 100): Promise<QueuedJobSummary[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`queue.list(): 'limit' must be a positive integer`);
    const { queue } = await this.bull('queue.list()');
    const ids = await queue.getRanges(
      ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'],
      0,
      limit - 1,
    );
    const valid = ids.filter((id) => typeof id === 'string' && JOB_ID.test(id)); // others no client made: not shown
    // Up to `limit` of each state: the newest `limit` of them by their timestamps alone, then their records.
    const stamps = await readTimestamps(queue, this.redis, valid);
    const newest = valid
      .map((id, i) => ({ id, t: stamps[i] }))
      .sort((a, b) => b.t - a.t)
      .slice(0, limit);
    const records = await Promise.all(newest.map(({ id }) => this.summaryOf(queue, id)));
    return records.filter((r): r is QueuedJobSummary => !!r).sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * One job's summary (as in list()), or undefined when the queue has no such job.
   * @example (await queue.status(id))?.status // 'running'
   */
  async status(id: string): Promise<QueuedJobSummary | undefined> {
    checkJobId(id, 'queue.status()');
    const { queue } = await this.bull('queue.status()');
    return this.summaryOf(queue, id);
  }

  /** A job's summary with its group (a multi-rank job): 'queued' while the group forms. */
  private async summaryOf(queue: Queue, id: string): Promise<QueuedJobSummary | undefined> {
    const r = await readJob(queue, this.redis, id, SUMMARY_RETURN_BYTES);
    if (!r) return undefined;
    const s = summary(id, r);
    const group = await readGroup(this.redis, this.name, id, this.limits.maxRanks);
    if (group) {
      s.group = group;
      if (s.status === 'running' && group.state !== 'training') s.status = 'queued';
    }
    return s;
  }

  /** Stops listening and closes the connections; jobs go on in the workers (queue.get follows them later). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    for (const job of this.handles.values())
      job.fail(new Error(`job ${job.id}: the queue client was closed before it finished (it goes on in the workers)`));
    // BullMQ's close waits for a connection to become ready; one that never will (a wrong password) is dropped.
    this.redis.disconnect();
    const made = this.made;
    if (!made) return;
    const closing = Promise.allSettled([made.events.close(), made.queue.close()]);
    const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), CLOSE_WAIT_MS).unref());
    if ((await Promise.race([closing, timer])) === 'late') void made.queue.disconnect().catch(() => {});
  }

  /** @internal the BullMQ queue (for tests and tools). */
  async bullQueue(): Promise<Queue<QueuedJobData, QueuedJobReturn>> {
    return (await this.bull('queue')).queue;
  }

  private handleFor(id: string): QueuedJob {
    const job = new QueuedJob(id, {
      cancel: (jobId) => this.cancel(jobId),
      loadModel: (modelPath) => this.loadModel(modelPath),
    });
    this.handles.set(id, job);
    job.once('end', () => this.handles.delete(id));
    return job;
  }

  private async loadModel(modelPath: string): Promise<LayersModel | undefined> {
    if (!this.store) return undefined;
    // Read through the opened directory: a link swapped in after the check is never followed.
    const entry = await this.store.open(modelPath, 'directory', 'modelPath');
    try {
      return await loadLayersModel(entry.path);
    } catch (e) {
      throw new Error((e as Error).message.split(entry.path).join(modelPath));
    } finally {
      entry.close();
    }
  }

  /** Cancels across machines: a key (for a worker that takes the job later), a message (for the one training it). */
  private async cancel(id: string): Promise<void> {
    checkJobId(id, 'cancel()');
    await this.redis.set(cancelKey(this.name, id), '1', 'EX', CANCEL_KEY_SECONDS);
    await this.redis.publish(cancelChannel(this.name), id);
    const { queue } = await this.bull('cancel()');
    const state = await queue.getJobState(id);
    // remove() refuses a job a worker took meanwhile (it is locked): that worker sees the key.
    if (['waiting', 'prioritized', 'delayed'].includes(state) && (await queue.remove(id)) === 1)
      this.handles.get(id)?.fail(new Error(`job ${id} was cancelled before it started`), 'cancelled');
  }

  /** Brings a handle up to date with the job's record in Redis. */
  private async sync(handle: QueuedJob, r: JobRecord): Promise<void> {
    if (r.state === 'completed') {
      if (r.returnValue) await handle.complete(r.returnValue);
      else
        handle.fail(
          new Error(`job ${handle.id} completed, but its return value in Redis cannot be used: ${r.returnError}`),
        );
    } else if (r.state === 'failed') handle.fail(new Error(`job ${handle.id} failed: ${r.failedReason ?? ''}`));
    else {
      if (r.progress) handle.progress = r.progress;
      // A multi-rank job is active while its group forms: running once its group trains.
      const forming =
        r.state === 'active' && (await readGroup(this.redis, this.name, handle.id, this.limits.maxRanks))?.state;
      handle.setStatus(r.state === 'active' && (!forming || forming === 'training') ? 'running' : 'queued');
    }
  }

  /** Reads a handle's job again (after a bad event about it, and by the poller). */
  private async syncHandle(handle: QueuedJob): Promise<void> {
    const queue = this.made?.queue;
    if (!queue || this.closed) return;
    try {
      const r = await readJob(queue, this.redis, handle.id, HANDLE_RETURN_BYTES);
      if (r) await this.sync(handle, r);
    } catch (e) {
      this.warn(e as Error); // Redis unreachable for now: the next poll tries again
    }
  }

  /** Events can be missed (a client reconnecting after Redis restarted): unfinished handles are checked. */
  private async pollUnfinished(): Promise<void> {
    for (const handle of [...this.handles.values()]) {
      if (this.closed) return;
      await this.syncHandle(handle);
    }
  }
}

interface Parts {
  queue: Queue<QueuedJobData, QueuedJobReturn>;
  events: EventStreamReader;
}

/** An error thrown by user code inside our reader, thrown again where nothing of ours catches it. */
function rethrowLater(e: unknown): void {
  process.nextTick(() => {
    throw e;
  });
}

/** For a client without a store: paths are checked for their form only; the worker checks the rest. */
const NO_STORE: JobStore = {
  description: 'no store',
  open: async (key, kind, what) => ({
    key: checkStoreKey(key, what ?? 'store key'),
    kind,
    path: key,
    size: 0,
    close() {},
  }),
  openWritable: async () => {
    throw new Error('no store');
  },
  commit: async () => {},
  remove: async () => {},
};

/**
 * Opens a training queue on Redis (bullmq and ioredis are loaded now, not when backprop is imported).
 * @example
 * const queue = bp.jobs.queue({ connection: 'redis://:secret@redis:6379', store: '/mnt/shared/backprop' });
 * const job = queue.train(spec);
 * const { model, modelPath } = await job.result;
 * await queue.close();
 */
export function queue(options: QueueOptions): JobQueue {
  return new JobQueue(options);
}
