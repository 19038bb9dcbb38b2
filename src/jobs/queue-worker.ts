/**
 * A queue worker: takes training jobs from a BullMQ queue and trains each in a worker thread (the pool of
 * bp.jobs), checkpointing into the store. If this process dies, BullMQ's stalled-job check hands the job to
 * another worker, which resumes from the last checkpoint. `close()` (SIGTERM for `backprop worker`) stops
 * taking jobs, stops the running ones within a batch and puts them back in the queue to resume elsewhere.
 */
import * as os from 'node:os';
import type { Job, Queue, RedisOptions, Worker } from 'bullmq';
import type IORedis from 'ioredis';
import { JobPool, defaultPoolSize } from './pool';
import { checkedStart } from './check';
import { TrainingJob } from './job';
import type { JobResult } from './job';
import type { ProgressEvent } from './protocol';
import { bullmq, connectionOptions, describeConnection, redisClient, type RedisConnection } from './redis';
import { DEFAULT_QUEUE_LIMITS, openQueueSpec, type QueueLimits } from './queue-spec';
import { specDigest } from './checkpoint-record';
import { guardedWorkerClass, refusedReason } from './job-size-guard';
import {
  RANK_JOB,
  TRAIN_JOB,
  cancelChannel,
  cancelKey,
  checkJobId,
  checkMaxRanks,
  checkRanks,
  rankTaskId,
  type QueuedJobData,
  type QueuedJobReturn,
  type RankTaskData,
} from './queue-protocol';
import { GroupAttempt, retryPauseMs } from './queue-group';
import { DirectoryStore, storeKeys, toStore, type JobStore, type StoreEntry } from './store';
import { encodeNumbers } from './json-numbers';
import { addressOf } from '../distributed/group';

export interface QueueWorkerOptions {
  connection: RedisConnection;
  /** The queue's name (default 'backprop'). */
  name?: string;
  /** The store shared with clients and other workers: a directory path or a store object. */
  store: string | JobStore;
  /** Jobs trained at once, one worker thread each (default 1). */
  concurrency?: number;
  /** BLAS threads per job (default: cores / concurrency, at least 1). One gives bit-identical resumes on native. */
  threads?: number;
  backend?: 'native' | 'wasm' | 'js' | 'auto';
  /**
   * Milliseconds a job's lock lasts without renewal (default 30000): a worker that dies loses its jobs to
   * another after about this long. The lock is renewed by this process's main thread, which trains nothing.
   */
  lockMs?: number;
  /** Milliseconds between checks for stalled jobs (default: lockMs). */
  stalledIntervalMs?: number;
  /**
   * Times a job may be recovered from a dead worker before it fails (default 1: a job whose worker dies twice
   * fails instead of going on to kill the next).
   */
  maxStalledCount?: number;
  /**
   * Limits this worker enforces on every job whatever its spec says. `workerMemoryMb` bounds each job's memory
   * — its heap and its typed arrays together (jobs/memory-watch.ts) — and defaults to half the machine's memory
   * shared by the `concurrency` jobs; `timeLimitMs` defaults to a day.
   */
  limits?: Partial<QueueLimits> & { workerMemoryMb?: number };
  /** Milliseconds between batch progress updates in Redis (default 200; epoch ends are always sent). */
  progressEveryMs?: number;
  /** Receives one object per event (started, checkpoint, finished, failed, requeued, error). Default: none. */
  log?: (entry: Record<string, unknown>) => void;
  /**
   * The network interface (`eth0`) or address of this machine the ranks of multi-rank jobs (`ranks` > 1) trained
   * here use to reach each other; never guessed. Without it this worker takes part in no group: a group it is
   * asked to join or lead is abandoned and formed again elsewhere.
   */
  iface?: string;
  /**
   * Milliseconds the ranks of a multi-rank job wait for their group to form (all its slots taken), and for a
   * peer in every exchange once training (Gloo's timeout): a lost rank fails the group within this (default 60000).
   */
  rankTimeoutMs?: number;
  /** Times a multi-rank job's group may fail while training (a rank lost) before the job fails (default 3). */
  maxGroupFailures?: number;
}

interface Running {
  training?: TrainingJob;
  cancelledByClient: boolean;
}

/** A worker taking jobs from a queue; `close()` stops it gracefully. */
export class QueueWorker {
  readonly name: string;
  readonly worker: Worker<QueuedJobData, QueuedJobReturn>;
  private readonly store: JobStore;
  private readonly pool: JobPool;
  private readonly running = new Map<string, Running>();
  private readonly subscriber: IORedis;
  private readonly redis: IORedis;
  private readonly cancelPoll: NodeJS.Timeout;
  private readonly limits: QueueLimits & { workerMemoryMb: number };
  private stopping = false;
  private readonly log: (entry: Record<string, unknown>) => void;
  private readonly connection: RedisOptions;
  private readonly rankTimeoutMs: number;
  /** For the rank tasks of the groups this worker leads. */
  private tasks?: Queue;

  constructor(private readonly o: QueueWorkerOptions) {
    const where = 'jobs.worker()';
    if (!o || typeof o !== 'object') throw new Error(`${where}: expected { connection, store, name?, concurrency? }`);
    const queueName = o.name ?? 'backprop';
    const concurrency = o.concurrency ?? 1;
    const counts = { concurrency, threads: o.threads, lockMs: o.lockMs, maxGroupFailures: o.maxGroupFailures };
    for (const [k, v] of Object.entries(counts))
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0))
        throw new Error(`${where}: '${k}' must be a positive integer, got ${String(v)}`);
    this.rankTimeoutMs = o.rankTimeoutMs ?? 60_000;
    if (!Number.isSafeInteger(this.rankTimeoutMs) || this.rankTimeoutMs < 100 || this.rankTimeoutMs > 86_400_000)
      throw new Error(
        `${where}: 'rankTimeoutMs' must be an integer from 100 to 86400000, got ${String(o.rankTimeoutMs)}`,
      );
    if (o.iface !== undefined && (typeof o.iface !== 'string' || o.iface === '' || o.iface.length > 256))
      throw new Error(`${where}: 'iface' must be a network interface name or an address of this machine`);
    // Checked now, not at the first group: a wrong --iface is a deployment error to see at start.
    if (o.iface !== undefined) addressOf(o.iface);
    const connection = connectionOptions(o.connection, where);
    this.connection = connection;
    this.store = toStore(o.store, where);
    // Limits left undefined keep their defaults (the time limit among them).
    const given = Object.entries(o.limits ?? {}).filter(([, v]) => v !== undefined);
    const workerMemoryMb = Math.max(64, Math.floor(os.totalmem() / 2 ** 20 / 2 / concurrency));
    this.limits = { ...DEFAULT_QUEUE_LIMITS, workerMemoryMb, ...Object.fromEntries(given) };
    checkMaxRanks(this.limits.maxRanks, where);
    this.log = o.log ?? (() => {});
    this.pool = new JobPool(concurrency);
    this.name = `${os.hostname()}:${process.pid}`;
    const lockDuration = o.lockMs ?? 30_000;
    this.redis = redisClient(connection);
    this.redis.on('error', () => {});
    // Jobs are measured in Redis before they are fetched, and again before BullMQ parses them (job-size-guard.ts).
    const Worker = guardedWorkerClass(
      bullmq().Worker,
      this.redis,
      {
        maxBytes: this.limits.maxSpecBytes + 2 ** 20, // the spec, and BullMQ's own fields
        maxContainers: this.limits.maxInlineValues + 100_000, // a row per value at most, and the model spec's
      },
      TRAIN_JOB,
    );
    this.worker = new Worker(queueName, (job, token) => this.process(job, token), {
      connection,
      concurrency,
      name: this.name,
      lockDuration,
      stalledInterval: o.stalledIntervalMs ?? lockDuration,
      maxStalledCount: o.maxStalledCount ?? 1,
      autorun: true,
    });
    this.worker.on('error', (e) => this.log({ event: 'error', message: e.message }));
    this.subscriber = redisClient(connection);
    this.subscriber.on('error', () => {});
    const channel = cancelChannel(queueName);
    void this.subscriber.subscribe(channel).catch(() => {});
    this.subscriber.on('message', (ch: string, id: string) => {
      if (ch === channel) this.cancelRunning(id);
    });
    // A cancel published while this worker's subscription was down (Redis restarting) is still in its key.
    this.cancelPoll = setInterval(() => void this.pollCancels(queueName), 1000);
    this.cancelPoll.unref();
    this.log({
      event: 'ready',
      worker: this.name,
      queue: queueName,
      redis: describeConnection(connection),
      ...(o.iface ? { iface: o.iface } : {}),
    });
  }

  private cancelRunning(id: string): void {
    const r = this.running.get(id);
    if (!r || r.cancelledByClient) return;
    r.cancelledByClient = true;
    r.training?.cancel();
    this.log({ event: 'cancel', job: id });
  }

  private async pollCancels(queueName: string): Promise<void> {
    const ids = [...this.running.keys()];
    if (!ids.length) return;
    try {
      const set = await this.redis.mget(ids.map((id) => cancelKey(queueName, id)));
      set.forEach((v, i) => v && this.cancelRunning(ids[i]));
    } catch {
      // Redis unreachable: tried again in a second
    }
  }

  private async process(job: Job<QueuedJobData, QueuedJobReturn>, token?: string): Promise<QueuedJobReturn> {
    const { UnrecoverableError, WaitingError } = bullmq();
    const refused = refusedReason(job);
    if (refused) {
      this.log({ event: 'failed', job: String(job.id).slice(0, 200), worker: this.name, message: refused });
      throw new UnrecoverableError(refused);
    }
    if (job.name === RANK_JOB) return this.processRank(job as unknown as Job<RankTaskData>);
    const id = checkJobId(job.id, 'worker');
    if (job.name !== TRAIN_JOB) throw new UnrecoverableError(`unknown job kind '${job.name}'`);
    if (this.stopping) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    let ranks: number;
    try {
      ranks = job.data?.ranks === undefined ? 1 : checkRanks(job.data.ranks, this.limits.maxRanks, `job ${id}`);
    } catch (e) {
      this.log({ event: 'failed', job: id, worker: this.name, message: (e as Error).message });
      throw new UnrecoverableError((e as Error).message);
    }
    const entry: Running = { cancelledByClient: false };
    this.running.set(id, entry);
    try {
      if (await this.redis.exists(cancelKey(job.queueName, id))) return notStarted(this.name);
      let group: GroupAttempt | undefined;
      if (ranks > 1) {
        group = await this.formGroup(job, token, id, ranks, entry);
        if (!group) return notStarted(this.name); // cancelled by its client while its group formed
      }
      let run: Awaited<ReturnType<QueueWorker['trainJob']>>;
      try {
        run = await this.trainJob(id, job.data?.spec, entry, group && { group, rank: 0, ranks }, (e) =>
          job.updateProgress(encodeNumbers(e) as unknown as object).catch(() => {}),
        );
      } catch (e) {
        const message = (e as Error).message;
        if (group && GROUP_LOST.test(message)) {
          // A rank was lost: the job itself is sound. Back to the queue, to resume on a new group.
          await group.end('failed', `rank 0 on ${this.name}: ${message}`).catch(() => {});
          const why = await group.reason().catch(() => message);
          const failures = await group.countFailure();
          const most = this.o.maxGroupFailures ?? 3;
          this.log({
            event: 'group-failed',
            job: id,
            worker: this.name,
            attempt: group.attempt,
            failures,
            message,
            why,
          });
          if (failures <= most) {
            await job.moveToDelayed(Date.now() + retryPauseMs(), token);
            throw new (bullmq().DelayedError)();
          }
          throw new UnrecoverableError(`its group of ${ranks} ranks failed ${failures} times; the last: ${why}`);
        }
        // The job's own failure (bad spec or data, NaN loss, over a limit): fail once, never retried.
        await group?.end('failed', message).catch(() => {});
        this.log({ event: 'failed', job: id, worker: this.name, message });
        throw new UnrecoverableError(message);
      }
      const { result, resumedFrom } = run;
      if (result.cancelled && !entry.cancelledByClient) {
        // Stopped by close() (here, or on another rank's worker): back to the queue, to resume from the checkpoint.
        await group?.end('failed', 'a worker of the group stopped').catch(() => {});
        await job.moveToWait(token);
        this.log({
          event: 'requeued',
          job: id,
          worker: this.name,
          batchesDone: result.batchesDone,
          batchesAtCancel: entry.training?.batchesAtCancel,
        });
        throw new WaitingError();
      }
      await group?.end('done');
      this.log({ event: 'finished', job: id, worker: this.name, cancelled: result.cancelled });
      return encodeNumbers({
        started: true,
        cancelled: result.cancelled,
        modelPath: storeKeys.model(id),
        history: result.history, // every epoch's, those before a resume included (checkpoint-record.ts)
        epochs: result.epochs,
        resumedFrom,
        batchesDone: result.batchesDone,
        batchesAtCancel: entry.training?.batchesAtCancel,
        worker: this.name,
        ...(result.data ? { data: result.data } : {}),
        ...(group ? { ranks, attempt: group.attempt } : {}),
      });
    } finally {
      this.running.delete(id);
    }
  }

  /**
   * The leader (rank 0) of a multi-rank job: opens a new attempt of its group, adds the other ranks' tasks and
   * waits for them to join (queue-group.ts). Returns the attempt once it trains; undefined when the job's
   * client cancelled it meanwhile; otherwise (no group in time, this worker stopping) gives the job back to the
   * queue and throws BullMQ's DelayedError / WaitingError.
   */
  private async formGroup(
    job: Job<QueuedJobData, QueuedJobReturn>,
    token: string | undefined,
    id: string,
    ranks: number,
    entry: Running,
  ): Promise<GroupAttempt | undefined> {
    const { DelayedError, WaitingError } = bullmq();
    const group = await GroupAttempt.open(this.redis, job.queueName, id, ranks, this.name);
    const ids = Array.from({ length: ranks - 1 }, (_, k) => rankTaskId(id, group.attempt, k + 1));
    const state = this.o.iface
      ? await (async () => {
          const queue = this.taskQueue(job.queueName);
          await queue.addBulk(
            ids.map((taskId, k) => ({
              name: RANK_JOB,
              data: { job: id, attempt: group.attempt, rank: k + 1, ranks, spec: job.data.spec },
              // At the head of the queue: the next free slots go to the group that already holds one.
              opts: { jobId: taskId, lifo: true, attempts: 1, removeOnComplete: true, removeOnFail: true },
            })),
          );
          this.log({ event: 'group-forming', job: id, worker: this.name, attempt: group.attempt, ranks });
          return group.waitToTrain(
            Date.now() + this.rankTimeoutMs,
            () => (entry.cancelledByClient ? 'cancelled' : this.stopping ? `worker ${this.name} stopping` : undefined),
            () => `${ranks} worker slots were not free within ${this.rankTimeoutMs} ms`,
          );
        })()
      : await group.abandon(`worker ${this.name} has no --iface: it cannot lead a group of ranks`);
    if (state === 'training') {
      this.log({ event: 'group-training', job: id, worker: this.name, attempt: group.attempt, ranks });
      return group;
    }
    // Not formed: the tasks still queued go (those taken end on their own: their attempt is not current).
    const queue = this.taskQueue(job.queueName);
    await Promise.all(ids.map((t) => queue.remove(t).catch(() => 0)));
    this.log({ event: 'group-abandoned', job: id, worker: this.name, attempt: group.attempt, state });
    if (entry.cancelledByClient) return undefined;
    if (this.stopping) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    await job.moveToDelayed(Date.now() + retryPauseMs(), token);
    throw new DelayedError();
  }

  /**
   * Rank k ≥ 1 of a multi-rank job: joins the attempt named by the task, waits for the group to form, then
   * trains its shard (writing nothing to the store: rank 0 does). A task of an attempt that is no longer
   * current, or that did not form, ends at once and gives its slot back.
   */
  private async processRank(job: Job<RankTaskData>): Promise<QueuedJobReturn> {
    const { UnrecoverableError } = bullmq();
    const d = job.data;
    const taskId = String(job.id);
    let ranks: number;
    try {
      if (!d || typeof d !== 'object') throw new Error('rank task without data');
      checkJobId(d.job, 'rank task');
      ranks = checkRanks(d.ranks, this.limits.maxRanks, 'rank task');
      if (!Number.isSafeInteger(d.attempt) || d.attempt < 1) throw new Error('rank task: bad attempt number');
      if (!Number.isInteger(d.rank) || d.rank < 1 || d.rank >= ranks) throw new Error('rank task: bad rank');
      if (taskId !== rankTaskId(d.job, d.attempt, d.rank)) throw new Error('rank task: its id does not match');
    } catch (e) {
      throw new UnrecoverableError((e as Error).message);
    }
    const group = new GroupAttempt(this.redis, job.queueName, d.job, d.attempt);
    const where = { job: d.job, rank: d.rank, attempt: d.attempt, worker: this.name };
    const entry: Running = { cancelledByClient: false };
    let state = this.o.iface
      ? await group.join(d.rank, this.name)
      : await group.abandon(`worker ${this.name} has no --iface: it cannot train a rank`);
    if (state === 'forming')
      state = await group.waitToTrain(
        Date.now() + this.rankTimeoutMs,
        () => (this.stopping ? `worker ${this.name} stopping` : undefined),
        () => `the group of ${ranks} ranks did not form within ${this.rankTimeoutMs} ms`,
      );
    if (state !== 'training') {
      this.log({ event: 'rank-left', ...where, state });
      return notStarted(this.name);
    }
    this.log({ event: 'rank-joined', ...where });
    this.running.set(taskId, entry);
    try {
      const { result } = await this.trainJob(d.job, d.spec, entry, { group, rank: d.rank, ranks });
      this.log({ event: 'rank-finished', ...where, cancelled: result.cancelled });
      return { ...notStarted(this.name), started: true, cancelled: result.cancelled };
    } catch (e) {
      // The job's leader reports the failure (this rank's reason first, when it is the first recorded).
      const message = (e as Error).message;
      await group.end('failed', `rank ${d.rank} on ${this.name}: ${message}`).catch(() => {});
      this.log({ event: 'rank-failed', ...where, message });
      throw new UnrecoverableError((e as Error).message);
    } finally {
      this.running.delete(taskId);
    }
  }

  /**
   * Trains one job (or one rank of it) in a thread of the pool, checkpointing into the store. Rank 0 (and a
   * one-slot job) write the checkpoint and the model; other ranks only read the checkpoint, to resume from it.
   */
  private async trainJob(
    id: string,
    spec: unknown,
    entry: Running,
    rank?: { group: GroupAttempt; rank: number; ranks: number },
    onProgress?: (e: ProgressEvent) => void,
  ): Promise<{ result: JobResult; resumedFrom: number }> {
    let resumedFrom = 0;
    let training: TrainingJob | undefined;
    const writer = !rank || rank.rank === 0;
    const ckptKey = storeKeys.checkpoint(id);
    const modelKey = storeKeys.model(id);
    const held: StoreEntry[] = []; // open until the job's thread has exited
    try {
      const opened = await openQueueSpec(spec, this.store, this.limits, 'job spec');
      held.push(...opened.entries);
      const ckpt = writer
        ? await this.store.openWritable(ckptKey, 'checkpoint directory')
        : await this.store.open(ckptKey, 'directory', 'checkpoint directory').catch(() => undefined);
      if (ckpt) held.push(ckpt);
      const out = writer ? await this.store.openWritable(modelKey, 'model directory') : undefined;
      if (out) held.push(out);
      const start = checkedStart(
        {
          ...opened.options,
          checkpointDir: ckpt?.path,
          outputDir: out?.path,
          backend: this.o.backend,
          memoryLimitMb: this.limits.workerMemoryMb,
          blasThreads: this.o.threads ?? Math.max(1, Math.floor(defaultPoolSize() / this.pool.size)),
          progressEveryMs: this.o.progressEveryMs ?? 200,
        },
        this.pool.size,
        defaultPoolSize(),
      );
      start.specDigest = specDigest(spec); // the spec as queued: a reused id with another spec is refused
      if (writer) {
        start.checkpointGuard = ckpt?.guard;
        start.outputGuard = out?.guard;
      }
      if (rank) {
        if ((start.data.kind === 'csv' || start.data.kind === 'csvMap') && start.data.stream)
          throw new Error(`a job of ${rank.ranks} ranks needs its data in memory: its CSV cannot be streamed`);
        start.distributed = {
          rank: rank.rank,
          worldSize: rank.ranks,
          redis: threadConnection(this.connection),
          runId: rank.group.runId,
          iface: this.o.iface!,
          timeoutMs: this.rankTimeoutMs,
        };
      }
      if (start.data.kind === 'csv' || start.data.kind === 'csvMap' || start.data.kind === 'idx') {
        const d = (spec as { data: { csv?: string; idx?: string; labels?: string } }).data;
        const names = start.data.kind === 'idx' ? [d.idx!, d.labels!] : [d.csv!];
        start.data.store = { maxBytes: this.limits.maxDataBytes, names };
      }
      training = new TrainingJob(start, rank && rank.rank > 0 ? rankTaskId(id, rank.group.attempt, rank.rank) : id, {
        timeLimitMs: opened.options.timeLimitMs,
        resourceLimits: { maxOldGenerationSizeMb: this.limits.workerMemoryMb },
      });
      entry.training = training;
      training.on('started', (m: { initialEpoch: number }) => {
        resumedFrom = m.initialEpoch;
        this.log({ event: 'started', job: id, worker: this.name, resumedFrom, ...(rank ? { rank: rank.rank } : {}) });
      });
      // NaN and ±Infinity (a loss that overflowed) go as strings: JSON would make them null. A progress entry lost
      // while Redis restarts is replaced by the next one.
      if (onProgress) training.on('progress', onProgress);
      training.on('checkpoint', (m: { epoch: number }) => {
        void this.store.commit(ckptKey).catch(() => {});
        this.log({ event: 'checkpoint', job: id, worker: this.name, epoch: m.epoch });
      });
      this.pool.submit(training); // starts at once: the pool has a thread for each job BullMQ gives this worker
      if (entry.cancelledByClient || this.stopping) training.cancel();
      const result = await training.result;
      if (writer) await this.store.commit(modelKey);
      return { result, resumedFrom };
    } catch (e) {
      const message = this.withoutLocalPaths((e as Error).message.replace(/^job \S+ failed: /, ''), held);
      throw new Error(message);
    } finally {
      // Closed only once the thread that reads and writes through them has exited.
      void (training?.exited ?? Promise.resolve()).then(() => held.forEach((h) => h.close()));
    }
  }

  /** A BullMQ queue on this worker's connection, for adding and removing rank tasks (made on first use). */
  private taskQueue(name: string): Queue {
    if (!this.tasks) {
      this.tasks = new (bullmq().Queue)(name, { connection: this.connection });
      this.tasks.on('error', () => {});
    }
    return this.tasks;
  }

  /**
   * A message for clients on other machines: the paths of opened entries are shown as their keys, and this
   * machine's path to the store as '<store>'.
   */
  private withoutLocalPaths(message: string, entries: StoreEntry[]): string {
    for (const e of [...entries].sort((a, b) => b.path.length - a.path.length))
      message = message.split(e.path).join(e.key);
    return this.store instanceof DirectoryStore ? message.split(this.store.root).join('<store>') : message;
  }

  /** Jobs training now (their ids). */
  get active(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Stops taking jobs, stops the running ones after their current batch and puts them back in the queue
   * (another worker resumes each from its last checkpoint), then closes the connections.
   */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.cancelPoll);
    const closing = this.worker.close();
    for (const r of this.running.values()) r.training?.cancel();
    await closing;
    await this.tasks?.close().catch(() => {});
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  /** Kills the running jobs' threads at once (as a crash would), for tests of recovery. */
  async terminate(): Promise<void> {
    this.stopping = true;
    clearInterval(this.cancelPoll);
    await Promise.all([...this.running.values()].map((r) => r.training?.terminate()));
    await this.worker.close(true);
    void this.tasks?.disconnect().catch(() => {});
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}

/** A rank's failure that is its group's (a peer lost or unreachable), not its job's: the job is tried again. */
const GROUP_LOST = /the group cannot continue|could not join the group/;

/** The return value of a job (or rank task) that never trained. */
function notStarted(worker: string): QueuedJobReturn {
  return { started: false, cancelled: true, history: {}, epochs: [], resumedFrom: 0, batchesDone: 0, worker };
}

/**
 * The queue's connection for a job's thread (the rendezvous of its group): what a structured clone carries —
 * no functions (retry strategies, TLS identity checks) — with the URL, password and TLS material kept.
 */
function threadConnection(c: RedisOptions): RedisOptions & { url?: string } {
  const plain = (o: object) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v !== 'function' && v !== undefined));
  const out = plain(c) as RedisOptions & { url?: string };
  delete out.maxRetriesPerRequest;
  delete out.enableOfflineQueue;
  if (c.tls && typeof c.tls === 'object') out.tls = plain(c.tls);
  return out;
}

/**
 * Starts a queue worker in this process (what `backprop worker` runs).
 * @example
 * const worker = bp.jobs.worker({ connection: 'redis://127.0.0.1:6379', store: '/mnt/shared/backprop', threads: 1 });
 * process.once('SIGTERM', () => worker.close().then(() => process.exit(0)));
 */
export function worker(options: QueueWorkerOptions): QueueWorker {
  return new QueueWorker(options);
}
