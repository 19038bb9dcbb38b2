/**
 * A checkpoint is one atomic record (issue 20, findings 4 and 13), through `backprop worker` processes on a real
 * redis-server: a worker SIGKILLed at an exact point of a checkpoint save (just before or just after model.json
 * is renamed into place; a preload, test/support/fs-hook.js, makes the kill) leaves a checkpoint whose resumed
 * history has every epoch once, equal to an uninterrupted run's; and a job of many one-row epochs appends its
 * history instead of rewriting it (bytes written to history files counted by the same preload).
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
const HOOK = path.resolve(__dirname, '../support/fs-hook.js');

const rows = Array.from({ length: 300 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]);
const labels = rows.map((r) => (r[0] + r[1] > 0 ? 1 : 0));
const csv = ['a,b,label', ...rows.map((r, i) => `${r[0]},${r[1]},${labels[i]}`)].join('\n');
const spec = (
  seed: number,
  fit: Record<string, unknown>,
  data: unknown = { csv: 'datasets/d.csv', target: 'label' },
) => ({
  model: {
    seed,
    layers: [
      { units: 8, activation: 'tanh', inputShape: [2] },
      { units: 2, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
  },
  data,
  fit,
});

maybe('checkpoints as one atomic record', () => {
  let redis: RedisServer;
  let storeDir: string;
  let q: import('../../src/jobs/queue').JobQueue;
  const workers: WorkerProcess[] = [];
  const startWorker = (env: NodeJS.ProcessEnv = {}) => {
    const w = new WorkerProcess(
      ['--redis', redis.url, '--store', storeDir, '--threads', '1', '--backend', 'js', '--lock-ms', '1500'],
      env,
    );
    workers.push(w);
    return w;
  };
  const hooked = (hook: unknown) =>
    startWorker({
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${HOOK}`,
      BP_TEST_FS_HOOK: JSON.stringify(hook),
    });

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    fs.mkdirSync(path.join(storeDir, 'datasets'));
    fs.writeFileSync(path.join(storeDir, 'datasets/d.csv'), csv);
    q = bp!.jobs.queue({ connection: redis.url, store: storeDir });
    await q.ready();
  }, 30_000);

  // Each test starts the workers it needs: none may take another test's job.
  afterEach(async () => {
    await Promise.allSettled(workers.map((w) => w.stop()));
  });

  afterAll(async () => {
    await q?.close();
    await Promise.allSettled(workers.map((w) => w.stop()));
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test.each(['after', 'before'])(
    'a worker killed just %s a checkpoint renames model.json: the resumed history has every epoch once',
    async (when) => {
      const fit = { epochs: 5, batchSize: 32 };
      const straightWorker = startWorker();
      const straight = await q.train(spec(3, fit)).result;
      await straightWorker.stop();

      // The 3rd rename onto model.json is the checkpoint of epoch 3.
      const victim = hooked({ kill: { file: 'model.json', nth: 3, when } });
      const job = q.train(spec(3, fit));
      await job.submitted;
      await victim.exited;
      expect(victim.proc.signalCode).toBe('SIGKILL');
      startWorker();
      const r = await job.result;
      expect(r.resumedFrom).toBe(when === 'after' ? 3 : 2);
      expect(r.epochs).toEqual([0, 1, 2, 3, 4]);
      expect(r.history.loss).toEqual(straight.history.loss); // each epoch once, none lost, none repeated
      expect(r.history.accuracy).toEqual(straight.history.accuracy);
      const ckpt = path.join(storeDir, 'checkpoints', job.id);
      expect(fs.readdirSync(ckpt)).not.toContain('history.json'); // one record: model.json and its epochs' log
    },
    90_000,
  );

  test('a job of many one-row epochs appends its history: bytes written grow with epochs, not their square', async () => {
    const log = path.join(storeDir, 'history-writes.log');
    const w = hooked({ count: { match: 'history', log } });
    try {
      const epochs = 150;
      const job = q.train(spec(5, { epochs, batchSize: 1 }, { x: [[0.5, -0.5]], y: [1] }));
      const r = await job.result;
      expect(r.epochs).toHaveLength(epochs);
      const written = fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .reduce((s, n) => s + Number(n), 0);
      const ckpt = path.join(storeDir, 'checkpoints', job.id);
      const kept = fs
        .readdirSync(ckpt)
        .filter((f) => f.startsWith('history'))
        .reduce((s, f) => s + fs.statSync(path.join(ckpt, f)).size, 0);
      expect(kept).toBeGreaterThan(0);
      // Appending writes each epoch's line once; rewriting the whole file each epoch writes ~epochs/2 times more.
      expect(written).toBeLessThanOrEqual(2 * kept);
    } finally {
      await w.stop();
    }
  }, 120_000);
});

describe('job time limits', () => {
  test('a queued job has a time limit by default (a day); a spec asking for more gets the limit', async () => {
    const { openQueueSpec, DEFAULT_QUEUE_LIMITS } = await import('../../src/jobs/queue-spec');
    const { directoryStore } = await import('../../src/jobs/store');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    const store = directoryStore(dir);
    try {
      const inline = spec(1, { epochs: 1 }, { x: [[0, 1]], y: [0] });
      const plain = await openQueueSpec(inline, store, DEFAULT_QUEUE_LIMITS, 'job spec');
      plain.close();
      expect(plain.options.timeLimitMs).toBe(24 * 3600 * 1000);
      const greedy = await openQueueSpec({ ...inline, timeLimitMs: 1e12 }, store, DEFAULT_QUEUE_LIMITS, 'job spec');
      greedy.close();
      expect(greedy.options.timeLimitMs).toBe(24 * 3600 * 1000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a time limit longer than setTimeout can wait (24.8 days) does not end the job at once', async () => {
    if (!bp) return;
    const job = bp.jobs.train({ ...spec(1, { epochs: 2 }, { x: [[0, 1]], y: [0] }), timeLimitMs: 3e9 } as never);
    const r = await job.result;
    expect(r.epochs).toEqual([0, 1]);
  });
});
