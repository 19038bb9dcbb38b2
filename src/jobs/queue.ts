/**
 * A training queue shared by many machines, on BullMQ over Redis: clients queue JSON job specs, `backprop
 * worker` processes train them, and every client watching a job sees its progress (BullMQ job progress,
 * carried by QueueEvents) and its end. Datasets, checkpoints and finished models live in a store shared
 * by all (a directory on a shared file system).
 */
import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Job, Queue, QueueEvents } from 'bullmq';
import type IORedis from 'ioredis';
import { loadLayersModel, type Sequential } from '../sequential';
import type { JobStatus } from './job';
import type { ProgressEvent } from './protocol';
import { QueuedJob } from './queued-job';
import { bullmq, connectionOptions, describeConnection, redisClient, type RedisConnection } from './redis';
import { checkQueueSpec, DEFAULT_QUEUE_LIMITS, type QueueLimits } from './queue-spec';
import {
  CANCEL_KEY_SECONDS,
  TRAIN_JOB,
  cancelChannel,
  cancelKey,
  checkJobId,
  type QueuedJobData,
  type QueuedJobReturn,
} from './queue-protocol';
import { checkStoreKey, toStore, type JobStore } from './store';

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
}

/** 1 when the job hash KEYS[1] holds data starting with ARGV[1] (the adding client's token), else 0. */
const OWN_JOB_SCRIPT = `local d = redis.call('HGET', KEYS[1], 'data')
if d and string.sub(d, 1, string.len(ARGV[1])) == ARGV[1] then return 1 end
return 0`;

/** Seconds between checks of unfinished jobs' states: a safety net under the event stream. */
const POLL_MS = 2000;
/** Longest a close() waits for BullMQ to close its connections gracefully. */
const CLOSE_WAIT_MS = 2000;

const statusOf = (state: string, r?: QueuedJobReturn): JobStatus =>
  state === 'active'
    ? 'running'
    : state === 'completed'
      ? r && (r.cancelled || !r.started)
        ? 'cancelled'
        : 'completed'
      : state === 'failed'
        ? 'failed'
        : 'queued';

/**
 * A queue client. Besides job handles it emits, for every job of the queue, ('progress', id, event) and
 * ('end', id, status) — for a dashboard watching all jobs.
 */
export class JobQueue extends EventEmitter {
  readonly name: string;
  readonly store?: JobStore;
  private readonly limits: QueueLimits;
  private readonly keep: { age: number; count: number };
  private readonly connection: ReturnType<typeof connectionOptions>;
  /** BullMQ's queue and event listener, made once Redis answered (a wrong password never gets this far). */
  private parts?: Promise<{ queue: Queue<QueuedJobData, QueuedJobReturn>; events: QueueEvents }>;
  private made?: { queue: Queue<QueuedJobData, QueuedJobReturn>; events: QueueEvents };
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
   * @example
   * const data = { csv: 'datasets/iris.csv', target: 'species' };
   * const job = queue.train({ model: spec, data, fit: { epochs: 20 } });
   * job.on('progress', (p) => console.log(p.epoch, p.loss));
   * const { model, modelPath, history } = await job.result;
   */
  train(spec: unknown, options: { id?: string } = {}): QueuedJob {
    const where = 'queue.train()';
    let id: string;
    try {
      id = options?.id === undefined ? crypto.randomUUID() : checkJobId(options.id, where);
      if (this.handles.has(id)) throw new Error(`${where}: job '${id}' is already being followed by this client`);
    } catch (e) {
      const refused = new QueuedJob(String(options?.id), { cancel: async () => {}, loadModel: async () => undefined });
      refused.fail(e as Error);
      return refused;
    }
    const job = this.handleFor(id);
    const submit = async () => {
      if (this.closed) throw new Error(`${where}: the queue is closed`);
      await this.check(spec, where);
      const { queue } = await this.bull(where);
      // BullMQ ignores an add with a jobId it holds (in one Lua script, so two clients cannot both add): the job
      // is this client's only if the stored data starts with this submission's token. Checking before adding
      // instead would let two clients of one id both pass the check.
      const submission = crypto.randomUUID();
      await queue.add(TRAIN_JOB, { submission, spec } as QueuedJobData, {
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
   * BullMQ's queue and event listener, made on first use once Redis answers: listening before any job is
   * queued, so no event is missed. A failure (refused, wrong password) is thrown and tried again next time.
   */
  private bull(where: string): Promise<{ queue: Queue<QueuedJobData, QueuedJobReturn>; events: QueueEvents }> {
    this.parts ??= this.reachable(where).then(async () => {
      const { Queue, QueueEvents } = bullmq();
      const queue = new Queue<QueuedJobData, QueuedJobReturn>(this.name, { connection: this.connection });
      queue.on('error', () => {}); // connection errors: ioredis reconnects; calls fail on their own
      const events = new QueueEvents(this.name, { connection: this.connection });
      events.on('error', () => {});
      const handle = (id: string) => this.handles.get(id);
      events.on('progress', ({ jobId, data }) => {
        handle(jobId)?.setProgress(data as unknown as ProgressEvent);
        this.emit('progress', jobId, data);
      });
      events.on('active', ({ jobId }) => handle(jobId)?.setStatus('running'));
      events.on('waiting', ({ jobId }) => handle(jobId)?.setStatus('queued'));
      events.on('completed', ({ jobId, returnvalue }) => {
        const r = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as QueuedJobReturn;
        void handle(jobId)?.complete(r);
        this.emit('end', jobId, statusOf('completed', r));
      });
      events.on('failed', ({ jobId, failedReason }) => {
        handle(jobId)?.fail(new Error(`job ${jobId} failed: ${failedReason}`));
        this.emit('end', jobId, 'failed');
      });
      events.on('removed', ({ jobId }) =>
        handle(jobId)?.fail(new Error(`job ${jobId} was cancelled before it started`), 'cancelled'),
      );
      const made = { queue, events };
      if (this.closed) {
        // close() ran while Redis was being reached: nothing may stay connected after it.
        await Promise.allSettled([events.disconnect(), queue.disconnect()]);
        throw new Error(`${where}: the queue is closed`);
      }
      this.made = made;
      await events.waitUntilReady();
      return made;
    });
    this.parts.catch(() => (this.parts = undefined));
    return this.parts;
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
    const found = await queue.getJob(id);
    if (!found) {
      this.handles.delete(id);
      throw new Error(`queue.get(): no job '${id}' in queue '${this.name}'`);
    }
    job.queued();
    await this.sync(job, found);
    return job;
  }

  /**
   * The queue's jobs, newest first (at most `limit`, default 100): status, latest progress, error, result.
   * @example for (const j of await queue.list()) console.log(j.id, j.status, j.progress?.epoch);
   */
  async list(limit = 100): Promise<QueuedJobSummary[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`queue.list(): 'limit' must be a positive integer`);
    const { queue } = await this.bull('queue.list()');
    const jobs = await queue.getJobs(
      ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'],
      0,
      limit - 1,
    );
    const summaries = await Promise.all(jobs.filter(Boolean).map((j) => this.summary(j)));
    return summaries.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  }

  /**
   * One job's summary (as in list()), or undefined when the queue has no such job.
   * @example (await queue.status(id))?.status // 'running'
   */
  async status(id: string): Promise<QueuedJobSummary | undefined> {
    checkJobId(id, 'queue.status()');
    const { queue } = await this.bull('queue.status()');
    const job = await queue.getJob(id);
    return job ? this.summary(job) : undefined;
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
    if ((await Promise.race([closing, timer])) === 'late') {
      void made.events.disconnect().catch(() => {});
      void made.queue.disconnect().catch(() => {});
    }
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

  private async loadModel(modelPath: string): Promise<Sequential | undefined> {
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
    const job = await queue.getJob(id);
    if (!job) return;
    const state = await job.getState();
    if (['waiting', 'prioritized', 'delayed'].includes(state)) {
      try {
        await job.remove(); // fails if a worker took it meanwhile: that worker sees the key
        this.handles.get(id)?.fail(new Error(`job ${id} was cancelled before it started`), 'cancelled');
      } catch {
        // taken by a worker: it reads the key before training
      }
    }
  }

  /** Brings a handle up to date with the job's state in Redis. */
  private async sync(handle: QueuedJob, job: Job<QueuedJobData, QueuedJobReturn>): Promise<void> {
    const state = await job.getState();
    if (state === 'completed') await handle.complete(job.returnvalue);
    else if (state === 'failed') handle.fail(new Error(`job ${job.id} failed: ${job.failedReason}`));
    else {
      if (job.progress && typeof job.progress === 'object') handle.progress = job.progress as unknown as ProgressEvent;
      handle.setStatus(state === 'active' ? 'running' : 'queued');
    }
  }

  /** Events can be missed (a client reconnecting after Redis restarted): unfinished handles are checked. */
  private async pollUnfinished(): Promise<void> {
    const queue = this.made?.queue;
    if (!queue) return;
    for (const handle of this.handles.values()) {
      if (this.closed) return;
      try {
        const job = await queue.getJob(handle.id);
        if (job) await this.sync(handle, job);
      } catch {
        // Redis unreachable for now: the next poll tries again
      }
    }
  }

  private async summary(j: Job<QueuedJobData, QueuedJobReturn>): Promise<QueuedJobSummary> {
    const state = await j.getState();
    const r = state === 'completed' ? j.returnvalue : undefined;
    return {
      id: j.id!,
      status: statusOf(state, r),
      progress: j.progress && typeof j.progress === 'object' ? (j.progress as unknown as ProgressEvent) : null,
      createdAt: j.timestamp,
      finishedAt: j.finishedOn ?? null,
      worker: j.processedBy ?? null,
      error: j.failedReason || null,
      returnValue: r ?? null,
    };
  }
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
