/**
 * Multi-rank jobs through the queue (`queue.train(spec, { ranks: 2 })`): real `backprop worker` processes (from
 * dist/, each with --iface 127.0.0.1) on a real redis-server with a password, ranks meeting through that Redis.
 * A 2-rank job waits while only one slot is free and runs when a second worker appears, to the weights of a
 * 1-rank job at the global batch; a rank SIGKILLed mid-run fails its group, and the job resumes on a new
 * group from the last checkpoint to those same weights; hostile `ranks` are refused by the client, the CLI
 * and the worker.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RedisServer, hasRedis } from '../support/redis-server';
import { CLI, WorkerProcess } from '../queue/worker-process';
import { GLOO_ADDON } from './ranks';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
if (!fs.existsSync(GLOO_ADDON) && process.env.BACKPROP_REQUIRE_GLOO === '1')
  throw new Error(`BACKPROP_REQUIRE_GLOO=1 but ${GLOO_ADDON} was not built (apt-get install libgloo-dev)`);
const maybe = bp && hasRedis && fs.existsSync(GLOO_ADDON) ? describe : describe.skip;

type Queue = import('../../src/jobs/queue').JobQueue;

const PASSWORD = 'rank-sekret';
/** Short, so that the test does not wait long for a group that cannot form; a lost rank is seen at once anyway. */
const RANK_TIMEOUT_MS = 4000;
/** The equivalence job: few steps (float32 rounding differs between 2 × 8 rows and 16 rows, and adds up). */
const SMALL = { csv: 'datasets/small.csv', rows: 1024, hidden: [16], epochs: 3 };
/** The job killed mid-run: long enough (~770 steps) that the kill lands while it trains, on any machine. */
const LONG = { csv: 'datasets/long.csv', rows: 2048, hidden: [128, 128], epochs: 12 };

/** A 3-class problem on 4 features as CSV text. */
function blobs(rows: number, seed: number): string {
  const rng = new bp!.Rng(seed);
  const lines = ['f0,f1,f2,f3,label'];
  for (let i = 0; i < rows; i++) {
    const r = [0, 1, 2, 3].map(() => rng.normal(0, 1));
    const c = r[0] + r[1] > 0 ? (r[2] > 0 ? 2 : 1) : 0;
    lines.push(`${r.map((v) => v.toFixed(5)).join(',')},c${c}`);
  }
  return lines.join('\n');
}

/**
 * Plain SGD without shuffling: N ranks × batch B and 1 rank × batch N·B take the same rows in every step, so
 * their weights agree to float32 rounding, and a resumed run continues exactly where the checkpoint was.
 */
const spec = (job: typeof SMALL, batchSize: number) => ({
  model: {
    seed: 3,
    layers: [
      ...job.hidden.map((units, i) => ({ units, activation: 'tanh', ...(i === 0 ? { inputShape: [4] } : {}) })),
      { units: 3, activation: 'softmax' },
    ],
    compile: { optimizer: { name: 'sgd', learningRate: 0.05 }, loss: 'sparseCategoricalCrossentropy' },
  },
  data: { csv: job.csv, target: 'label' },
  fit: { epochs: job.epochs, batchSize, shuffle: false },
});

const weightsOf = (m: { getWeights(): { data: Float32Array | Float64Array }[] }) =>
  m.getWeights().map((w) => Array.from(w.data));
function maxDiff(a: number[][], b: number[][]): number {
  let d = 0;
  a.forEach((w, i) => w.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i][j])))));
  return d;
}

maybe('multi-rank jobs through the queue', () => {
  let redis: RedisServer;
  let url: string;
  let storeDir: string;
  const workers: WorkerProcess[] = [];
  let queue: Queue;

  const startWorker = () => {
    const w = new WorkerProcess(
      [
        ...['--store', storeDir, '--threads', '1', '--lock-ms', '5000'],
        ...['--iface', '127.0.0.1', '--rank-timeout-ms', String(RANK_TIMEOUT_MS)],
      ],
      { BACKPROP_REDIS: url }, // not on the command line: a password there is visible to ps
    );
    workers.push(w);
    return w;
  };
  /** The weights of the LONG job trained without interruption (by the first kill test). */
  let longWeights: number[][] | undefined;
  /** Workers still running (one killed by a signal keeps exitCode null). */
  const live = () => workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null).length;
  const leaderOf = (id: string) =>
    workers.find((w) => w.logs.some((e) => e.event === 'group-training' && e.job === id));
  /** Resolves once some worker has logged `event` for job `id`. */
  const someWorker = (event: string, id: string) =>
    new Promise<void>((resolve) => {
      const look = setInterval(() => workers.some((w) => w.did(event, id)) && (clearInterval(look), resolve()), 20);
    });

  beforeAll(async () => {
    redis = await RedisServer.start(['--requirepass', PASSWORD]);
    url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    fs.mkdirSync(path.join(storeDir, 'datasets'));
    fs.writeFileSync(path.join(storeDir, 'datasets/small.csv'), blobs(SMALL.rows, 5));
    fs.writeFileSync(path.join(storeDir, 'datasets/long.csv'), blobs(LONG.rows, 6));
    queue = bp!.jobs.queue({ connection: url, store: storeDir });
    await queue.ready();
  }, 30_000);

  afterAll(async () => {
    if (process.env.QUEUE_RANKS_LOG)
      fs.writeFileSync(
        process.env.QUEUE_RANKS_LOG,
        workers
          .map((w, i) => `worker ${i} ${w.pid}\n${w.logs.map((e) => JSON.stringify(e)).join('\n')}\n${w.stderr}`)
          .join('\n'),
      );
    await queue?.close();
    await Promise.allSettled(workers.map((w) => w.stop()));
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test('all or none: with one slot a 2-rank job does not start; a second worker appears and it runs', async () => {
    const first = startWorker();
    await first.waitFor((e) => e.event === 'ready');
    const job = queue.train(spec(SMALL, 8), { ranks: 2 });
    await job.submitted;
    // The group cannot form: the attempt is abandoned, the slot given back, and the job tried again.
    await first.waitFor((e) => e.event === 'group-abandoned' && e.job === job.id, 30_000);
    await first.waitFor((e) => e.event === 'group-forming' && e.job === job.id && Number(e.attempt) >= 2, 30_000);
    expect(first.did('started', job.id)).toBe(false); // nothing trained
    expect(job.progress).toBeUndefined();
    expect(job.status).toBe('queued');
    const waiting = await queue.status(job.id);
    expect(waiting!.status).toBe('queued');
    expect(waiting!.group).toMatchObject({ ranks: 2 });
    expect(['forming', 'abandoned']).toContain(waiting!.group!.state);
    expect(waiting!.group!.attempt).toBeGreaterThanOrEqual(2);

    // The same spec as 1 rank at the global batch (2 × 8), queued behind it: the reference.
    const single = queue.train(spec(SMALL, 16));
    startWorker();
    const r = await job.result;
    expect(job.status).toBe('completed');
    expect([r.ranks, r.epochs]).toEqual([2, [0, 1, 2]]);
    const reference = await single.result;
    expect(reference.ranks).toBeUndefined();
    expect(maxDiff(weightsOf(r.model), weightsOf(reference.model))).toBeLessThan(1e-6);
    r.history.loss.forEach((l, i) => expect(l).toBeCloseTo(reference.history.loss[i], 6));
    const done = await queue.status(job.id);
    expect(done!.group).toMatchObject({ ranks: 2, state: 'done', attempt: r.attempt, failures: 0 });
    expect(new Set(done!.group!.workers).size).toBe(2); // two slots: one per worker (each has one)
    const cli = spawnSync(process.execPath, [CLI, 'status', job.id], {
      encoding: 'utf8',
      env: { ...process.env, BACKPROP_REDIS: url },
    });
    expect(cli.stdout).toContain(`${job.id} completed`);
    expect(cli.stdout).toContain(`[2 ranks, group attempt ${r.attempt} done]`);
    // The rendezvous keys of every attempt are gone once the ranks have left.
    await someWorker('rank-finished', job.id);
    const keys = spawnSync(
      'redis-cli',
      ['-p', String(redis.port), '-a', PASSWORD, '--no-auth-warning', 'KEYS', 'backprop:gloo:*'],
      { encoding: 'utf8' },
    ).stdout.trim();
    expect(keys).toBe('');
  }, 120_000);

  test('a rank SIGKILLed mid-run: its group fails, the job resumes on a new group from the checkpoint', async () => {
    while (live() < 2) startWorker();
    // The same job uninterrupted, first: the weights a resumed run must reach.
    const straight = await queue.train(spec(LONG, 16), { ranks: 2 }).result;
    longWeights = weightsOf(straight.model);
    const job = queue.train(spec(LONG, 16), { ranks: 2 });
    await job.submitted;
    // After its second checkpoint (rank 0 writes them), during the third epoch or later.
    const leader = await new Promise<WorkerProcess>((resolve, reject) => {
      const look = setInterval(() => {
        const l = leaderOf(job.id);
        if (l?.logs.some((e) => e.event === 'checkpoint' && e.job === job.id && Number(e.epoch) >= 2)) {
          clearInterval(look);
          resolve(l);
        }
      }, 5);
      job.result.then(() => {
        clearInterval(look);
        reject(new Error('the job finished before the kill: make it longer'));
      }, reject);
    });
    const victim = workers.find((w) => w.logs.some((e) => e.event === 'rank-joined' && e.job === job.id))!;
    expect(victim).toBeDefined();
    expect(victim).not.toBe(leader);
    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    // The survivor fails its group with a clear error (a peer lost), within the timeout, and gives the job back.
    const failed = await leader.waitFor((e) => e.event === 'group-failed' && e.job === job.id, 60_000);
    expect(String(failed.message)).toMatch(/rank 0 of 2 failed while .*the group cannot continue/);
    expect(Date.now() - killedAt).toBeLessThan(RANK_TIMEOUT_MS + 20_000); // a hang guard, not a speed check
    const lastCheckpoint = Math.max(
      ...leader.logs.filter((e) => e.event === 'checkpoint' && e.job === job.id).map((e) => Number(e.epoch)),
    );
    startWorker(); // a slot for the new group
    const r = await job.result;
    expect(job.status).toBe('completed');
    expect(r.attempt).toBeGreaterThanOrEqual(2);
    // Resumed from the last whole checkpoint: the epochs before it were not trained again, and none is missing.
    expect(r.resumedFrom).toBe(lastCheckpoint);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(2);
    expect(r.epochs).toEqual(Array.from({ length: LONG.epochs }, (_, e) => e));
    expect(r.batchesDone).toBe((LONG.epochs - r.resumedFrom) * (LONG.rows / 2 / 16));
    // The checkpoint was never torn (it loaded to resume), and the result is the uninterrupted run's.
    expect(maxDiff(weightsOf(r.model), weightsOf(straight.model))).toBeLessThan(1e-6);
    r.history.loss.forEach((l, i) => expect(l).toBeCloseTo(straight.history.loss[i], 6));
    const ckpt = await bp!.loadLayersModel(path.join(storeDir, 'checkpoints', job.id));
    expect(ckpt.trainingState.epoch).toBe(LONG.epochs);
    const status = await queue.status(job.id);
    expect(status!.group).toMatchObject({ ranks: 2, state: 'done', failures: 1 });
  }, 180_000);

  test('rank 0 SIGKILLed at a random moment: the job is recovered, resumes from a whole checkpoint', async () => {
    while (live() < 3) startWorker();
    const job = queue.train(spec(LONG, 16), { ranks: 2 });
    const leader = await new Promise<WorkerProcess>((resolve, reject) => {
      const look = setInterval(() => {
        const l = leaderOf(job.id);
        if (l?.logs.some((e) => e.event === 'checkpoint' && e.job === job.id && Number(e.epoch) >= 2)) {
          clearInterval(look);
          resolve(l);
        }
      }, 5);
      job.result.then(() => {
        clearInterval(look);
        reject(new Error('the job finished before the kill: make it longer'));
      }, reject);
    });
    // Anywhere in the next epoch: in a step, or while rank 0 saves a checkpoint.
    await new Promise((r) => setTimeout(r, Math.random() * 100));
    leader.proc.kill('SIGKILL');
    const logged = leader.logs.filter((e) => e.event === 'checkpoint' && e.job === job.id).map((e) => Number(e.epoch));
    // Rank 1 fails at its next exchange; the job itself comes back after the dead leader's lock expires.
    const rank1 = workers.find((w) => w.did('rank-joined', job.id) && w !== leader)!;
    const failed = await rank1.waitFor((e) => e.event === 'rank-failed' && e.job === job.id, 60_000);
    expect(String(failed.message)).toMatch(/rank 1 of 2 failed while .*the group cannot continue/);
    const r = await job.result;
    expect(r.attempt).toBeGreaterThanOrEqual(2);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(Math.max(...logged)); // a checkpoint saved but not logged: later
    expect(r.epochs).toEqual(Array.from({ length: LONG.epochs }, (_, e) => e));
    expect(longWeights).toBeDefined();
    expect(maxDiff(weightsOf(r.model), longWeights!)).toBeLessThan(1e-6);
  }, 180_000);

  test('hostile ranks are refused, by the client, the CLI and the worker', async () => {
    for (const ranks of [0, -1, 1.5, NaN, Infinity, 65, 1e9, '2', null, true]) {
      const job = queue.train(spec(SMALL, 8), { ranks: ranks as number });
      await expect(job.result).rejects.toThrow(/queue.train\(\): 'ranks' must be an integer from 1 to 64/);
    }
    await expect(queue.train(spec(SMALL, 8), { rank: 2 } as never).result).rejects.toThrow(/unknown option 'rank'/);
    const streamed = { ...spec(SMALL, 8), data: { csv: SMALL.csv, target: 'label', stream: true } };
    await expect(queue.train(streamed, { ranks: 2 }).result).rejects.toThrow(/remove 'stream'/);

    const file = path.join(storeDir, 'job.json');
    fs.writeFileSync(file, JSON.stringify(spec(SMALL, 8)));
    const cli = spawnSync(process.execPath, [CLI, 'submit', '--spec', file, '--ranks', '2x'], {
      encoding: 'utf8',
      env: { ...process.env, BACKPROP_REDIS: url },
    });
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toMatch(/--ranks must be an integer from 1 to 64/);

    // Redis is not a trust boundary: a job written there with absurd ranks fails, and adds no tasks.
    const bull = await queue.bullQueue();
    await bull.add('train', { spec: spec(SMALL, 8), ranks: 1e6 } as never, { jobId: 'hostile-ranks' });
    const hostile = await queue.get('hostile-ranks');
    await expect(hostile.result).rejects.toThrow(/'ranks' must be an integer from 1 to 64/);
    expect((await queue.status('hostile-ranks'))!.group).toBeUndefined(); // no group was opened
    expect(await bull.getJob('hostile-ranks.a1.r1')).toBeUndefined();
  }, 60_000);
});
