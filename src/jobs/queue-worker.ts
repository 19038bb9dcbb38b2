/**
 * A queue worker: takes training jobs from a BullMQ queue and trains each in a worker thread (the pool of
 * bp.jobs), checkpointing into the store. If this process dies, BullMQ's stalled-job check hands the job to
 * another worker, which resumes from the last checkpoint. `close()` (SIGTERM for `backprop worker`) stops
 * taking jobs, stops the running ones within a batch and puts them back in the queue to resume elsewhere.
 */
import * as os from 'node:os';
import type { Job, Worker } from 'bullmq';
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
  TRAIN_JOB,
  cancelChannel,
  cancelKey,
  checkJobId,
  type QueuedJobData,
  type QueuedJobReturn,
} from './queue-protocol';
import { DirectoryStore, storeKeys, toStore, type JobStore, type StoreEntry } from './store';
import { encodeNumbers } from './json-numbers';

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

  constructor(private readonly o: QueueWorkerOptions) {
    const where = 'jobs.worker()';
    if (!o || typeof o !== 'object') throw new Error(`${where}: expected { connection, store, name?, concurrency? }`);
    const queueName = o.name ?? 'backprop';
    const concurrency = o.concurrency ?? 1;
    for (const [k, v] of Object.entries({ concurrency, threads: o.threads, lockMs: o.lockMs }))
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0))
        throw new Error(`${where}: '${k}' must be a positive integer, got ${String(v)}`);
    const connection = connectionOptions(o.connection, where);
    this.store = toStore(o.store, where);
    // Limits left undefined keep their defaults (the time limit among them).
    const given = Object.entries(o.limits ?? {}).filter(([, v]) => v !== undefined);
    const workerMemoryMb = Math.max(64, Math.floor(os.totalmem() / 2 ** 20 / 2 / concurrency));
    this.limits = { ...DEFAULT_QUEUE_LIMITS, workerMemoryMb, ...Object.fromEntries(given) };
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
    this.log({ event: 'ready', worker: this.name, queue: queueName, redis: describeConnection(connection) });
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
    const id = checkJobId(job.id, 'worker');
    const refused = refusedReason(job);
    if (refused) {
      this.log({ event: 'failed', job: id, worker: this.name, message: refused });
      throw new UnrecoverableError(refused);
    }
    if (job.name !== TRAIN_JOB) throw new UnrecoverableError(`unknown job kind '${job.name}'`);
    if (this.stopping) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const entry: Running = { cancelledByClient: false };
    this.running.set(id, entry);
    try {
      if (await this.redis.exists(cancelKey(job.queueName, id)))
        return {
          started: false,
          cancelled: true,
          history: {},
          epochs: [],
          resumedFrom: 0,
          batchesDone: 0,
          worker: this.name,
        };
      let result: JobResult;
      let resumedFrom = 0;
      let training: TrainingJob | undefined;
      const ckptKey = storeKeys.checkpoint(id);
      const modelKey = storeKeys.model(id);
      const held: StoreEntry[] = []; // open until the job's thread has exited
      try {
        const spec = job.data?.spec;
        const opened = await openQueueSpec(spec, this.store, this.limits, 'job spec');
        held.push(...opened.entries);
        const ckpt = await this.store.openWritable(ckptKey, 'checkpoint directory');
        held.push(ckpt);
        const out = await this.store.openWritable(modelKey, 'model directory');
        held.push(out);
        const start = checkedStart(
          {
            ...opened.options,
            checkpointDir: ckpt.path,
            outputDir: out.path,
            backend: this.o.backend,
            memoryLimitMb: this.limits.workerMemoryMb,
            blasThreads: this.o.threads ?? Math.max(1, Math.floor(defaultPoolSize() / this.pool.size)),
            progressEveryMs: this.o.progressEveryMs ?? 200,
          },
          this.pool.size,
          defaultPoolSize(),
        );
        start.specDigest = specDigest(spec); // the spec as queued: a reused id with another spec is refused
        start.checkpointGuard = ckpt.guard;
        start.outputGuard = out.guard;
        if (start.data.kind === 'csv' || start.data.kind === 'csvMap' || start.data.kind === 'idx') {
          const d = spec.data as { csv?: string; idx?: string; labels?: string };
          const names = start.data.kind === 'idx' ? [d.idx!, d.labels!] : [d.csv!];
          start.data.store = { maxBytes: this.limits.maxDataBytes, names };
        }
        training = new TrainingJob(start, id, {
          timeLimitMs: opened.options.timeLimitMs,
          resourceLimits: { maxOldGenerationSizeMb: this.limits.workerMemoryMb },
        });
        entry.training = training;
        training.on('started', (m: { initialEpoch: number }) => {
          resumedFrom = m.initialEpoch;
          this.log({ event: 'started', job: id, worker: this.name, resumedFrom });
        });
        training.on('progress', (e: ProgressEvent) => {
          // NaN and ±Infinity (a loss that overflowed) go as strings: JSON would make them null. A progress
          // entry lost while Redis restarts is replaced by the next one.
          job.updateProgress(encodeNumbers(e) as unknown as object).catch(() => {});
        });
        training.on('checkpoint', (m: { epoch: number }) => {
          void this.store.commit(ckptKey).catch(() => {});
          this.log({ event: 'checkpoint', job: id, worker: this.name, epoch: m.epoch });
        });
        this.pool.submit(training); // starts at once: the pool has a thread for each job BullMQ gives this worker
        if (entry.cancelledByClient || this.stopping) training.cancel();
        result = await training.result;
        await this.store.commit(modelKey);
      } catch (e) {
        // The job's own failure (bad spec or data, NaN loss, over a limit): fail once, never retried.
        const message = this.withoutLocalPaths((e as Error).message.replace(`job ${id} failed: `, ''), held);
        this.log({ event: 'failed', job: id, worker: this.name, message });
        throw new UnrecoverableError(message);
      } finally {
        // Closed only once the thread that reads and writes through them has exited.
        void (training?.exited ?? Promise.resolve()).then(() => held.forEach((h) => h.close()));
      }
      if (result.cancelled && !entry.cancelledByClient) {
        // Stopped by close(): back to the queue, to resume from the checkpoint on another worker.
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
      this.log({ event: 'finished', job: id, worker: this.name, cancelled: result.cancelled });
      return encodeNumbers({
        started: true,
        cancelled: result.cancelled,
        modelPath: modelKey,
        history: result.history, // every epoch's, those before a resume included (checkpoint-record.ts)
        epochs: result.epochs,
        resumedFrom,
        batchesDone: result.batchesDone,
        batchesAtCancel: entry.training?.batchesAtCancel,
        worker: this.name,
        ...(result.data ? { data: result.data } : {}),
      });
    } finally {
      this.running.delete(id);
    }
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
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  /** Kills the running jobs' threads at once (as a crash would), for tests of recovery. */
  async terminate(): Promise<void> {
    this.stopping = true;
    clearInterval(this.cancelPoll);
    await Promise.all([...this.running.values()].map((r) => r.training?.terminate()));
    await this.worker.close(true);
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
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
