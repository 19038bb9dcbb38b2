/**
 * The queue with 3 `backprop worker` processes on a real redis-server (its own port, temp dir, append-only):
 * 12 jobs finish with correct results and every client sees their progress; a job is cancelled from
 * another client within a batch; a worker SIGKILLed mid-epoch loses its job to another, which resumes it
 * from the checkpoint to the same weights as an uninterrupted run; Redis restarted mid-run and every job
 * still finishes; a worker given SIGTERM exits within a batch and its job resumes elsewhere; a sweep of 4
 * is ranked. Small models: the checks are about the queue, not training speed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RedisServer, hasRedis } from '../support/redis-server';
import { WorkerProcess } from './worker-process';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const maybe = bp && hasRedis ? describe : describe.skip;

type Queue = import('../../src/jobs/queue').JobQueue;
type Progress = import('../../src/jobs/protocol').ProgressEvent;

/** A 3-class problem on 4 features as CSV text, and its rows (for checking predictions). */
function blobs(rows: number, seed: number): { text: string; x: number[][]; y: number[] } {
  const rng = new bp!.Rng(seed);
  const x: number[][] = [],
    y: number[] = [];
  const lines = ['f0,f1,f2,f3,label'];
  for (let i = 0; i < rows; i++) {
    const r = [0, 1, 2, 3].map(() => rng.normal(0, 1));
    const c = r[0] + r[1] > 0 ? (r[2] > 0 ? 2 : 1) : 0;
    x.push(r);
    y.push(c);
    lines.push(`${r.map((v) => v.toFixed(5)).join(',')},c${c}`);
  }
  return { text: lines.join('\n'), x, y };
}

const spec = (seed: number, csv: string, fit: Record<string, unknown>) => ({
  model: {
    seed,
    layers: [
      { units: 32, activation: 'relu', inputShape: [4] },
      { units: 3, activation: 'softmax' },
    ],
    compile: {
      optimizer: { name: 'adam', learningRate: 0.01 },
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    },
  },
  data: { csv, target: 'label' },
  fit,
});
const weightsOf = (m: { getWeights(): { data: Float32Array | Float64Array }[] }) =>
  m.getWeights().map((w) => Array.from(w.data));

/**
 * Resolves at the first batch progress of `job` in epoch `epoch` (1-based) or later. Rejects if the job ends
 * first, so a job too quick for the test fails it with a reason instead of hanging it.
 */
function batchInEpoch(
  job: {
    on(e: 'progress', f: (p: Progress) => void): unknown;
    off(e: 'progress', f: (p: Progress) => void): unknown;
    result: Promise<unknown>;
  },
  epoch: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = (p: Progress) => {
      if (p.kind === 'batch' && p.epoch >= epoch) {
        job.off('progress', check);
        resolve();
      }
    };
    job.on('progress', check);
    job.result.then(
      () => reject(new Error(`the job ended before a batch of epoch ${epoch} was reported: make it longer`)),
      reject,
    );
  });
}

maybe('the queue with 3 worker processes', () => {
  let redis: RedisServer;
  let storeDir: string;
  const workers: WorkerProcess[] = [];
  let a: Queue, b: Queue;
  const small = blobs(600, 1);
  const long = blobs(3000, 2);

  const startWorker = () => {
    const w = new WorkerProcess(['--redis', redis.url, '--store', storeDir, '--threads', '1', '--lock-ms', '8000']);
    workers.push(w);
    return w;
  };
  const runnerOf = (id: string) => workers.find((w) => w.did('started', id) && w.proc.exitCode === null);

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    fs.mkdirSync(path.join(storeDir, 'datasets'));
    fs.writeFileSync(path.join(storeDir, 'datasets/small.csv'), small.text);
    fs.writeFileSync(path.join(storeDir, 'datasets/long.csv'), long.text);
    for (let i = 0; i < 3; i++) startWorker();
    await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready')));
    a = bp!.jobs.queue({ connection: redis.url, store: storeDir });
    b = bp!.jobs.queue({ connection: redis.url, store: storeDir });
    await Promise.all([a.ready(), b.ready()]);
  }, 30_000);

  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await Promise.allSettled(workers.map((w) => w.stop()));
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test('12 jobs finish with correct results; both clients see every epoch of every job; a bad job fails once', async () => {
    const seenByB = new Map<string, number[]>();
    b.on('progress', (id: string, p: Progress) => {
      if (p.kind === 'epoch') seenByB.set(id, [...(seenByB.get(id) ?? []), p.epoch]);
    });
    const jobs = Array.from({ length: 12 }, (_, i) =>
      a.train(spec(i + 1, 'datasets/small.csv', { epochs: 4, batchSize: 32, validationSplit: 0.2 })),
    );
    const seenByA = new Map<string, number[]>();
    for (const j of jobs)
      j.on(
        'progress',
        (p: Progress) => p.kind === 'epoch' && seenByA.set(j.id, [...(seenByA.get(j.id) ?? []), p.epoch]),
      );
    const diverging = spec(99, 'datasets/small.csv', { epochs: 3 });
    diverging.model.compile.optimizer.learningRate = 1e30;
    const bad = a.train(diverging);

    const results = await Promise.all(jobs.map((j) => j.result));
    for (const [i, r] of results.entries()) {
      expect(jobs[i].status).toBe('completed');
      expect(r.epochs).toEqual([0, 1, 2, 3]);
      expect(r.history.val_accuracy.at(-1)).toBeGreaterThan(0.8);
      expect(r.modelPath).toBe(`models/${jobs[i].id}`);
      // The model loaded from the store predicts the training data well.
      const p = r.model.predict(small.x);
      let right = 0;
      for (let row = 0; row < small.x.length; row++) {
        const scores = Array.from(p.data.subarray(row * 3, row * 3 + 3));
        if (scores.indexOf(Math.max(...scores)) === small.y[row]) right++;
      }
      expect(right / small.x.length).toBeGreaterThan(0.8);
      expect(r.data!.classes).toEqual(['c0', 'c1', 'c2']);
      expect(seenByA.get(jobs[i].id)).toEqual([1, 2, 3, 4]);
      expect(seenByB.get(jobs[i].id)).toEqual([1, 2, 3, 4]);
    }
    expect(new Set(results.map((r) => r.worker)).size).toBeGreaterThanOrEqual(2); // spread over the workers

    await expect(bad.result).rejects.toThrow(/job .* failed: fit\(\): the loss is NaN at epoch 1/);
    expect(bad.status).toBe('failed');
    await new Promise((r) => setTimeout(r, 1500)); // time in which a retry would have started
    const inRedis = await (await a.bullQueue()).getJob(bad.id);
    expect([await inRedis!.getState(), inRedis!.attemptsStarted]).toEqual(['failed', 1]);
    expect(workers.filter((w) => w.did('started', bad.id))).toHaveLength(1);
    const listed = await b.list();
    expect(listed.filter((j) => j.status === 'completed').length).toBeGreaterThanOrEqual(12);
  }, 180_000);

  test('a job is cancelled from another client and stops within a batch', async () => {
    const job = a.train(spec(5, 'datasets/long.csv', { epochs: 1000, batchSize: 4 }));
    await new Promise<void>((resolve) => {
      const onProgress = (id: string, p: Progress) => {
        if (id === job.id && p.kind === 'batch') {
          b.off('progress', onProgress);
          resolve();
        }
      };
      b.on('progress', onProgress);
    });
    const other = await b.get(job.id);
    expect(other.status).toBe('running');
    await other.cancel();
    const [mine, theirs] = await Promise.all([job.result, other.result]);
    expect([job.status, other.status]).toEqual(['cancelled', 'cancelled']);
    expect(mine.cancelled).toBe(true);
    expect(mine.batchesAtCancel).toBeDefined();
    expect(mine.batchesDone - mine.batchesAtCancel!).toBeLessThanOrEqual(1); // stopped after the batch in flight
    expect(theirs.modelPath).toBe(mine.modelPath);
    expect(mine.epochs.length).toBeLessThan(1000);
  }, 120_000);

  test('a worker SIGKILLed mid-epoch: its job resumes on another from the checkpoint, same weights as uninterrupted', async () => {
    // Long enough (~15k batches) that the kill lands mid-run on any machine; the model is tiny.
    const fit = { epochs: 40, batchSize: 8 };
    const straight = a.train(spec(7, 'datasets/long.csv', fit));
    const killed = a.train(spec(7, 'datasets/long.csv', fit));
    // After its second checkpoint, in a batch of the third epoch or later: mid-epoch.
    await batchInEpoch(killed, 3);
    const victim = runnerOf(killed.id)!;
    expect(victim).toBeDefined();
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const replacement = startWorker();
    const [r, s] = await Promise.all([killed.result, straight.result]);
    expect(r.worker).not.toBe(`${os.hostname()}:${victim.pid}`);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(2);
    expect(r.resumedFrom).toBeLessThan(40);
    expect(r.epochs).toEqual([...Array(40).keys()]); // the history spans both runs
    expect(weightsOf(r.model)).toEqual(weightsOf(s.model));
    await replacement.waitFor((e) => e.event === 'ready');
  }, 180_000);

  test('Redis restarted mid-run (append-only): the workers reconnect and finish every job', async () => {
    const jobs = Array.from({ length: 6 }, (_, i) =>
      a.train(spec(20 + i, 'datasets/long.csv', { epochs: 12, batchSize: 16 })),
    );
    await batchInEpoch(jobs[0], 1);
    await redis.restart(500);
    const results = await Promise.all(jobs.map((j) => j.result));
    expect(jobs.map((j) => j.status)).toEqual(Array(6).fill('completed'));
    for (const r of results) expect(r.epochs).toEqual([...Array(12).keys()]);
  }, 180_000);

  test('a worker given SIGTERM exits within a batch and its job resumes on another worker', async () => {
    const fit = { epochs: 40, batchSize: 8 };
    const straight = a.train(spec(11, 'datasets/long.csv', fit));
    const job = a.train(spec(11, 'datasets/long.csv', fit));
    await batchInEpoch(job, 2);
    const leaving = runnerOf(job.id)!;
    leaving.proc.kill('SIGTERM');
    expect(await leaving.exited).toBe(0);
    const requeued = leaving.logs.find((e) => e.event === 'requeued' && e.job === job.id)!;
    expect(requeued).toBeDefined();
    // Stopped after the batch in flight when SIGTERM arrived (counts, not wall-clock time: the machine is shared).
    expect((requeued.batchesDone as number) - (requeued.batchesAtCancel as number)).toBeLessThanOrEqual(1);
    expect(leaving.logs.at(-1)!.event).toBe('stopped');
    const replacement = startWorker();
    const [r, s] = await Promise.all([job.result, straight.result]);
    expect(r.worker).not.toBe(`${os.hostname()}:${leaving.pid}`);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(1);
    expect(weightsOf(r.model)).toEqual(weightsOf(s.model));
    await replacement.waitFor((e) => e.event === 'ready');
  }, 180_000);

  test('a sweep of 4 finishes ranked by val_loss, with the best model path', async () => {
    const r = await bp!.jobs.sweep(
      {
        base: spec(3, 'datasets/small.csv', { epochs: 3, validationSplit: 0.25 }),
        grid: { 'fit.batchSize': [16, 64], 'compile.optimizer.learningRate': [0.001, 0.02] },
        metric: 'val_loss',
      },
      { queue: a },
    );
    expect(r.runs).toHaveLength(4);
    expect(r.runs.every((run) => run.status === 'completed')).toBe(true);
    const values = r.runs.map((run) => run.value!);
    expect(values).toEqual([...values].sort((x, y) => x - y));
    expect(r.mode).toBe('min');
    expect(r.best).toBe(r.runs[0]);
    expect(new Set(r.runs.map((run) => JSON.stringify(run.params))).size).toBe(4);
    expect(fs.existsSync(path.join(storeDir, r.bestModelPath!, 'model.json'))).toBe(true);
  }, 120_000);
});
