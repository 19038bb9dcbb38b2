/**
 * Jobs that pass every check and still kill workers (issue 20, finding 11), on a real redis-server: job data
 * written straight into Redis is measured before BullMQ fetches and parses it (a worker with a 256 MB heap
 * survives 30 MB of `[[],[],…]`, and 8 MB of it, small in bytes but millions of arrays once parsed); a job
 * whose worker dies twice fails instead of going on to the next; a job's memory limit counts its typed
 * arrays, not only its heap; and a model whose step buffers do not fit is refused before they are allocated.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectionOptions, redisClient } from '../../src/jobs/redis';
import { RedisServer, hasRedis } from '../support/redis-server';
import { WorkerProcess } from './worker-process';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const maybe = bp && hasRedis ? describe : describe.skip;
const HOOK = path.resolve(__dirname, '../support/fs-hook.js');

const compile = { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' };
const dense = (inputs: number) => ({
  seed: 1,
  layers: [
    { units: 4, activation: 'tanh', inputShape: [inputs] },
    { units: 2, activation: 'softmax' },
  ],
  compile,
});
const rows = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]);
const labels = rows.map((r) => (r[0] + r[1] > 0 ? 1 : 0));
const inline = { model: dense(2), data: { x: rows, y: labels }, fit: { epochs: 1, batchSize: 16 } };

maybe('workers against jobs that would kill them', () => {
  let redis: RedisServer;
  let storeDir: string;
  let q: import('../../src/jobs/queue').JobQueue;
  const workers: WorkerProcess[] = [];
  const startWorker = (extra: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    const args = ['--redis', redis.url, '--store', storeDir, '--threads', '1', '--lock-ms', '1500', ...extra];
    const w = new WorkerProcess(args, env);
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    q = bp!.jobs.queue({ connection: redis.url, store: storeDir });
    await q.ready();
  }, 30_000);
  afterEach(async () => {
    await Promise.allSettled(workers.map((w) => w.stop()));
  });
  afterAll(async () => {
    await q?.close();
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  /** Queues a job straight into Redis (as anyone with its password can) whose data is `data`, verbatim. */
  const hostile = async (id: string, data: string) => {
    const queue = await q.bullQueue();
    await queue.add('train', { spec: inline } as never, { jobId: id, attempts: 1 });
    const admin = redisClient(connectionOptions(redis.url, 'test'));
    try {
      await admin.hset(queue.toKey(id), 'data', data);
    } finally {
      admin.disconnect();
    }
  };
  /** The failed reason of job `id`, read from Redis once the job has failed. */
  const failedReason = async (id: string): Promise<string> => {
    const key = (await q.bullQueue()).toKey(id);
    const admin = redisClient(connectionOptions(redis.url, 'test'));
    try {
      for (;;) {
        const reason = await admin.hget(key, 'failedReason'); // read alone: the test parses no hostile data
        if (reason) return reason;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      admin.disconnect();
    }
  };
  const emptyRows = (bytes: number) => `{"spec":{"data":{"x":[${'[],'.repeat(Math.floor(bytes / 3))}[]]}}}`;

  test('30 MB of [[],[],…] written into Redis: refused unread by a worker with a 256 MB heap, which lives on', async () => {
    await hostile('huge', emptyRows(30 * 2 ** 20));
    const w = startWorker([], { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=256` });
    expect(await failedReason('huge')).toMatch(/^the job in Redis is \d+ bytes; at most \d+ are read/);
    // Screened before the fetch: the stored data was replaced, so no client ever loads the 30 MB either.
    const queue = await q.bullQueue();
    expect((await queue.getJob('huge'))!.data).toEqual({ bpRefused: expect.stringMatching(/bytes; at most/) });
    expect(w.proc.exitCode).toBeNull();
    const next = await q.train(inline).result; // the same worker goes on
    expect(next.worker).toBe(`${os.hostname()}:${w.pid}`);
  }, 90_000);

  test('8 MB of [[],[],…] (within the byte limit, millions of arrays once parsed) is refused unparsed', async () => {
    await hostile('many', emptyRows(8 * 2 ** 20)); // written before a worker runs, which would take it at once
    const w = startWorker([], { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=256` });
    expect(await failedReason('many')).toMatch(/^the job in Redis holds more than \d+ JSON arrays and objects/);
    expect(w.proc.exitCode).toBeNull();
  }, 90_000);

  test('a job whose worker dies twice fails; a third worker never gets it', async () => {
    const kill = {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${HOOK}`,
      BP_TEST_FS_HOOK: JSON.stringify({ kill: { file: 'model.json', nth: 1, when: 'after' } }),
    };
    const job = q.train({ ...inline, fit: { epochs: 3, batchSize: 16 } });
    await job.submitted;
    for (let i = 0; i < 2; i++) {
      const victim = startWorker([], kill); // dies at its first checkpoint
      await victim.exited;
      expect(victim.proc.signalCode).toBe('SIGKILL');
    }
    const third = startWorker();
    await expect(job.result).rejects.toThrow(/stalled more than allowable limit/);
    expect(third.did('started', job.id)).toBe(false);
  }, 90_000);

  test("a job's memory limit counts its typed arrays: 120 MB of data under a 64 MB limit fails the job alone", async () => {
    fs.mkdirSync(path.join(storeDir, 'datasets'), { recursive: true });
    const n = 3000;
    // IDX by hand (writeIdx converts value by value): uint8, 3,000 images of 100 × 100, zeros.
    const idx = (dims: number[]) => {
      const header = Buffer.alloc(4 + 4 * dims.length);
      header.set([0, 0, 8, dims.length]);
      dims.forEach((d, i) => header.writeInt32BE(d, 4 + 4 * i));
      return Buffer.concat([header, Buffer.alloc(dims.reduce((a, b) => a * b, 1))]);
    };
    fs.writeFileSync(path.join(storeDir, 'datasets/images.idx'), idx([n, 100, 100]));
    fs.writeFileSync(path.join(storeDir, 'datasets/labels.idx'), idx([n]));
    const w = bp!.jobs.worker({
      connection: redis.url,
      store: storeDir,
      name: 'memory',
      threads: 1,
      limits: { workerMemoryMb: 64 },
    });
    const mq = bp!.jobs.queue({ connection: redis.url, name: 'memory', store: storeDir });
    try {
      const big = mq.train({
        model: dense(10_000),
        data: { idx: 'datasets/images.idx', labels: 'datasets/labels.idx' },
        fit: { epochs: 1 },
      });
      await expect(big.result).rejects.toThrow(
        /the job holds [\d.]+ MiB \(heap and array buffers\) once its data is loaded, over its memory limit of 64\.0 MiB/,
      );
      // A recurrent model whose step buffers (~74 MB at 16 rows) do not fit is refused before they are allocated.
      const lstm = mq.train({
        model: {
          seed: 1,
          layers: [
            { className: 'LSTM', config: { units: 64, inputShape: [3000, 1] } },
            { units: 2, activation: 'softmax' },
          ],
          compile,
        },
        data: { x: Array.from({ length: 16 }, (_, i) => Array(3000).fill(i / 16)), y: Array(16).fill(1) },
        fit: { epochs: 1, batchSize: 16 },
      });
      await expect(lstm.result).rejects.toThrow(
        /the model has [\d,]+ parameters and [\d,]+ activation values per batch/,
      );
      expect((await mq.train(inline).result).epochs).toEqual([0]);
    } finally {
      await w.close();
      await mq.close();
    }
  }, 120_000);
});
