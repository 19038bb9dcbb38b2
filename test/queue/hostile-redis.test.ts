/**
 * Clients that do not trust Redis: whatever a client reads there — the events stream, a job's progress and
 * return value, job ids — may have been written by anyone who can write to Redis (a rogue or older worker,
 * a hand-made entry). Each case below once crashed or silenced a client; now it is checked, skipped with a
 * 'warning', and the client goes on: a `null` return value (the client and the example service crashed on
 * an unhandled rejection), a progress entry that is not JSON (BullMQ's event reader stopped for good),
 * progress with `loss: null` (`backprop status` crashed), and `status` reading only the fields it prints
 * (it fetched every job's spec: 330 MB for 10 jobs with large inline data).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Job } from 'bullmq';
import { RedisServer, hasRedis } from '../support/redis-server';
import { request, until, csv, model as serviceModel } from '../jobs/service-client';
import { CLI } from './worker-process';

const DIST = path.resolve(__dirname, '../../dist/index.js');
const EXAMPLE = path.resolve(__dirname, '../../examples/training-service.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const maybe = bp && hasRedis ? describe : describe.skip;

type Queue = import('../../src/jobs/queue').JobQueue;
type IORedis = import('ioredis').default;

const model = {
  seed: 1,
  layers: [
    { units: 4, activation: 'tanh', inputShape: [2] },
    { units: 2, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' },
};
const inline = { model, data: { x: [[0, 1]], y: [0] }, fit: { epochs: 1 } };
/** A progress event as a worker sends it. */
const progress = (epoch: number, loss: unknown = 0.5) => ({
  kind: 'epoch',
  epoch,
  epochs: 3,
  batch: 1,
  batches: 1,
  loss,
  metrics: { val_loss: 0.25 },
  samplesPerSecond: 100,
  etaSeconds: 1,
});

/** Resolves with `p`, or rejects after `ms` saying what did not happen (instead of the test's timeout). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref()),
  ]);
}

maybe('queue clients that do not trust Redis', () => {
  let redis: RedisServer;
  let admin: IORedis;
  let storeDir: string;
  const open = (name: string) => bp!.jobs.queue({ connection: redis.url, name, store: storeDir });
  /** A rogue worker: BullMQ's own, processing jobs with `processor` (what a worker of another version might do). */
  const rogue = (name: string, processor: (job: Job) => Promise<unknown>) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Worker } = require('bullmq') as typeof import('bullmq');
    const w = new Worker(name, processor, { connection: { host: '127.0.0.1', port: redis.port } });
    w.on('error', () => {});
    return w;
  };
  const eventsKey = async (q: Queue) => (await q.bullQueue()).keys.events;

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const IORedis = require('ioredis') as typeof import('ioredis').default;
    admin = new IORedis(redis.port, '127.0.0.1');
  }, 20_000);

  afterAll(async () => {
    admin?.disconnect();
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test('finding 5: a null return value fails the job with a clear error; bad entries are warnings, not crashes', async () => {
    const q = open('null-return');
    const warnings: string[] = [];
    q.on('warning', (e: Error) => warnings.push(e.message));
    const w = rogue('null-return', async () => null);
    try {
      const job = q.train(inline);
      await job.submitted;
      const error = await within(
        job.result.then(
          () => undefined,
          (e: Error) => e.message,
        ),
        15_000,
        'the job with a null return value did not end',
      );
      expect(error).toBe(
        `job ${job.id} completed, but its return value in Redis cannot be used: the return value is not an object: null`,
      );
      expect(job.status).toBe('failed');
      expect(warnings).toContain(`job ${job.id}: the return value is not an object: null`);
      const summary = await q.status(job.id);
      expect(summary).toMatchObject({ status: 'completed', returnValue: null });
      expect(summary!.error).toMatch(/its return value in Redis cannot be used: the return value is not an object/);

      // Entries of every kind a worker never writes: each is a warning and nothing else.
      const key = await eventsKey(q);
      const ends: unknown[] = [];
      q.on('end', (...a: unknown[]) => ends.push(a));
      const before = warnings.length;
      const bad: string[][] = [
        ['event', 'completed', 'jobId', 'no-such-job', 'returnvalue', '"started"'],
        ['event', 'completed', 'jobId', 'no-such-job', 'returnvalue', JSON.stringify({ started: true })],
        ['event', 'progress', 'jobId', 'no-such-job', 'data', JSON.stringify(progress(1, { valueOf: 1 }))],
        ['event', 'progress', 'jobId', 'no-such-job', 'data', JSON.stringify({ ...progress(1), epoch: -1 })],
        ['event', 'progress', 'jobId', '../../etc', 'data', JSON.stringify(progress(1))],
        ['event', 'progress', 'jobId', 'x'.repeat(200), 'data', JSON.stringify(progress(1))],
        ['event', 'progress', 'jobId', 'no-such-job', 'data', 'x'.repeat(100_000)],
        ['event', 'completed', 'jobId', 'no-such-job', 'returnvalue', '{"started":true,"__proto__":{"cancelled":1}}'],
      ];
      for (const fields of bad) await admin.xadd(key, '*', ...fields);
      await until(async () => (warnings.length - before >= bad.length ? true : undefined), 10_000);
      expect(warnings.slice(before)).toEqual([
        "job no-such-job: the return value is not an object: 'started'",
        "job no-such-job: the return value's cancelled is not true or false: undefined",
        'job no-such-job: the progress event\'s loss is not a number: {"valueOf":1}',
        "job no-such-job: the progress event's epoch is not a count: -1",
        `a 'progress' event names no valid job id: '../../etc'`,
        `a 'progress' event names no valid job id: '${'x'.repeat(80)}…' (200 characters)`,
        'job no-such-job: the progress event is 100000 bytes, over the 65536 a client reads',
        "job no-such-job: the return value's cancelled is not true or false: undefined",
      ]);
      expect(ends).toEqual([]);
    } finally {
      await w.close();
      await q.close();
    }
  }, 30_000);

  test('finding 5: the example service in queue mode survives a null return value and shows the job failed', async () => {
    const w = rogue('service-null', async () => null);
    let service: ChildProcess | undefined;
    try {
      service = spawn(
        process.execPath,
        [EXAMPLE, '--port=0', `--redis=${redis.url}`, `--store=${storeDir}`, '--queue=service-null'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      service.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const exited = new Promise<number | null>((r) => service!.once('exit', (code) => r(code)));
      const port = await new Promise<number>((resolve, reject) => {
        service!.stdout!.on('data', (c: Buffer) => {
          const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(c.toString());
          if (m) resolve(Number(m[1]));
        });
        void exited.then((code) => reject(new Error(`the service exited (${code}): ${stderr}`)));
      });
      const created = await request(port, 'POST', '/jobs', { model: serviceModel, csv: csv(50), target: 'label' });
      expect(created.status).toBe(201);
      const job = await until(async () => {
        const r = await request(port, 'GET', `/jobs/${created.json.id}`);
        return r.json.status === 'failed' ? r.json : undefined;
      }, 20_000);
      expect(job.error).toBe(
        `job ${created.json.id} completed, but its return value in Redis cannot be used: ` +
          'the return value is not an object: null',
      );
      expect((await request(port, 'GET', `/jobs/${created.json.id}`)).status).toBe(200); // still serving
      expect(service.exitCode).toBeNull();
      expect(stderr).toContain('queue: job'); // the warning went to the log
    } finally {
      service?.kill('SIGTERM');
      await w.close();
    }
  }, 40_000);

  test('finding 6: progress that is not JSON is skipped; progress and ends after it still arrive', async () => {
    const q = open('bad-progress');
    const warnings: string[] = [];
    q.on('warning', (e: Error) => warnings.push(e.message));
    try {
      const job = q.train(inline); // no worker takes it: every event below is written by the test
      await job.submitted;
      const key = await eventsKey(q);
      const seen: unknown[] = [];
      const all: unknown[] = [];
      job.on('progress', (p: unknown) => seen.push(p));
      q.on('progress', (id: string, p: unknown) => all.push([id, p]));
      await admin.xadd(key, '*', 'event', 'progress', 'jobId', job.id, 'data', '{"epoch": 1, oops');
      await admin.xadd(key, '*', 'event', 'progress', 'jobId', job.id, 'data', JSON.stringify(progress(2)));
      await within(
        until(async () => (seen.length ? true : undefined), 30_000),
        10_000,
        'no progress event after one that was not JSON',
      );
      expect(seen).toEqual([progress(2)]);
      expect(all).toEqual([[job.id, progress(2)]]);
      expect(warnings).toEqual([`job ${job.id}: the progress event is not JSON: '{"epoch": 1, oops'`]);
      // The same for a non-JSON return value: the handle re-reads its job (still waiting) and goes on.
      await admin.xadd(key, '*', 'event', 'completed', 'jobId', job.id, 'returnvalue', 'not json');
      await admin.xadd(key, '*', 'event', 'progress', 'jobId', job.id, 'data', JSON.stringify(progress(3)));
      await within(
        until(async () => (seen.length === 2 ? true : undefined), 30_000),
        10_000,
        'no progress event after a completed entry that was not JSON',
      );
      expect(job.finished).toBe(false);
      const ended = new Promise((r) => job.once('end', r));
      await admin.xadd(key, '*', 'event', 'failed', 'jobId', job.id, 'failedReason', 'stopped by hand');
      expect(await within(ended, 10_000, 'no end after bad entries')).toBe('failed');
      expect(job.error!.message).toBe(`job ${job.id} failed: stopped by hand`);
    } finally {
      await q.close();
    }
  }, 30_000);

  test('finding 7: `backprop status` prints a job whose progress has loss null or is not JSON', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const w = rogue('odd-progress', async (job) => {
      await job.updateProgress({ ...progress(1), loss: null, metrics: { val_loss: null } });
      await hold;
      return null;
    });
    const q = open('odd-progress');
    try {
      const a = q.train(inline);
      await a.submitted;
      await until(async () => ((await q.status(a.id))?.progress ? true : undefined), 10_000);
      const run = (...args: string[]) =>
        spawnSync(process.execPath, [CLI, 'status', ...args, '--redis', redis.url, '--queue', 'odd-progress'], {
          encoding: 'utf8',
          timeout: 30_000,
        });
      const one = run(a.id);
      expect([one.status, one.stderr]).toEqual([0, '']);
      expect(one.stdout).toBe(`${a.id} running epoch 1/3 loss NaN\n`);
      const json = JSON.parse(run(a.id, '--json').stdout);
      expect(json.progress).toMatchObject({ loss: 'NaN', metrics: { val_loss: 'NaN' } });

      // A job whose progress field is not JSON at all (BullMQ's getJob threw on it).
      const b = q.train(inline);
      await b.submitted;
      await admin.hset(`bull:odd-progress:${b.id}`, 'progress', '{not json');
      const list = run();
      expect([list.status, list.stderr]).toEqual([0, '']);
      expect(list.stdout).toContain(`${b.id} queued\n`);
      expect(list.stdout).toMatch(new RegExp(`^${a.id} running epoch 1/3 loss NaN`, 'm'));
    } finally {
      release();
      await w.close();
      await q.close();
    }
  }, 40_000);

  test('finding 7: status and list read a few hundred bytes a job, not its spec', async () => {
    const q = open('big-specs');
    try {
      const queue = await q.bullQueue();
      // 4 jobs with ~4 MB of inline data each, as a client may queue them (maxSpecBytes is 16 MiB).
      const x = Array.from({ length: 100_000 }, (_, i) => [Math.sin(i), Math.cos(i)]);
      const spec = { ...inline, data: { x, y: x.map((r) => (r[0] > 0 ? 1 : 0)) } };
      expect(JSON.stringify(spec).length).toBeGreaterThan(4e6);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await queue.add('train', { spec } as never, { jobId: `big-${i}` })).id!);
      const sent = async () => Number(/total_net_output_bytes:(\d+)/.exec(await admin.info('stats'))![1]);
      const t0 = await sent();
      const all = await q.list();
      const one = await q.status(ids[0]);
      const bytes = (await sent()) - t0;
      expect(all.map((j) => j.id).sort()).toEqual(ids);
      expect(one).toMatchObject({ id: ids[0], status: 'queued', progress: null, worker: null, error: null });
      // Every byte Redis sent for 4 summaries and 1 status (the INFO reply itself included): no spec.
      expect(bytes).toBeLessThan(20_000);
      console.log(`list() and status() of 4 jobs with ~4 MB specs: ${bytes} bytes from Redis`);
    } finally {
      await q.close();
    }
  }, 60_000);
});
