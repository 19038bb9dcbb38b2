/**
 * The queue's API against a real redis-server: Redis stays optional (importing backprop loads neither
 * bullmq nor ioredis); specs are checked completely before queueing and again by the worker, and nothing
 * a spec names resolves outside the store; a queued job cancelled before it starts is removed; Redis
 * URLs with passwords and rediss:// (TLS) are passed through, and errors never show the password.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectionOptions, describeConnection, redisClient } from '../../src/jobs/redis';
import { RedisServer, hasRedis } from '../support/redis-server';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');
const maybe = bp && hasRedis ? describe : describe.skip;

const compile = { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] };
const model = {
  seed: 1,
  layers: [
    { units: 8, activation: 'tanh', inputShape: [2] },
    { units: 2, activation: 'softmax' },
  ],
  compile,
};
const rows = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]);
const labels = rows.map((r) => (r[0] + r[1] > 0 ? 1 : 0));
const inline = { model, data: { x: rows, y: labels }, fit: { epochs: 2, batchSize: 16 } };

test('importing backprop loads neither bullmq nor ioredis; making a queue does', () => {
  if (!bp) return;
  const script = `
    const bp = require(${JSON.stringify(DIST)});
    const loaded = () => Object.keys(require.cache).some((k) => /node_modules[\\\\/](bullmq|ioredis)[\\\\/]/.test(k));
    const before = loaded();
    const q = bp.jobs.queue({ connection: { host: '127.0.0.1', port: 1, lazyConnect: true, retryStrategy: () => null } });
    const after = loaded();
    q.close().finally(() => { console.log(JSON.stringify({ before, after })); process.exit(0); });`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ before: false, after: true });
});

test('connections: redis:// and rediss:// URLs (password included) and ioredis options reach ioredis as given', () => {
  const url = 'rediss://user:pa55%40word@redis.internal:6380/2';
  expect(connectionOptions(url, 'q')).toEqual({ url, maxRetriesPerRequest: null, enableOfflineQueue: true });
  const tls = { host: 'redis.internal', port: 6380, password: 'secret', tls: { ca: 'PEM', servername: 'redis' } };
  expect(connectionOptions(tls, 'q')).toEqual({ ...tls, maxRetriesPerRequest: null, enableOfflineQueue: true });
  // ioredis itself reads the URL: TLS on, the password decoded, the database selected.
  const client = redisClient({ ...connectionOptions(url, 'q'), lazyConnect: true });
  try {
    expect(client.options).toMatchObject({ host: 'redis.internal', port: 6380, username: 'user', db: 2 });
    expect(client.options.password).toBe('pa55@word');
    expect(client.options.tls).toBeTruthy();
  } finally {
    client.disconnect();
  }
  expect(() => connectionOptions('http://:secret@h:1', 'jobs.queue()')).toThrow(
    /^jobs.queue\(\): 'connection' must be a URL redis:\/\/.*, got a http: URL \(http:\/\/\*\*\*@h:1\)$/,
  );
  expect(() => connectionOptions('redis://:secret@[bad', 'jobs.queue()')).toThrow(
    /jobs.queue\(\): 'connection' must be a URL .*; the string given is not one \(not shown: it may hold a password\)/,
  );
  expect(describeConnection(connectionOptions(url, 'q'))).toBe('rediss://***@redis.internal:6380/2');
});

maybe('the queue API on a real Redis', () => {
  let redis: RedisServer;
  let storeDir: string;
  let outside: string;
  const open = (extra: Record<string, unknown> = {}) =>
    bp!.jobs.queue({ connection: redis.url, name: 'api', store: storeDir, ...extra });

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-outside-'));
    const csv = ['a,b,label', ...rows.map((r, i) => `${r[0]},${r[1]},${labels[i]}`)].join('\n');
    fs.writeFileSync(path.join(outside, 'secret.csv'), csv);
    fs.mkdirSync(path.join(storeDir, 'datasets'));
    fs.writeFileSync(path.join(storeDir, 'datasets/points.csv'), csv);
    fs.symlinkSync(outside, path.join(storeDir, 'datasets/link-out'));
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(storeDir, 'datasets/file-link.csv'));
  }, 20_000);

  afterAll(async () => {
    await redis?.destroy();
    for (const d of [storeDir, outside]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  test('a bad spec is refused before queueing, naming the problem; nothing outside the store is read', async () => {
    const q = open({ limits: { maxInlineValues: 500, maxDataBytes: 100_000, maxParameters: 1000 } });
    try {
      const csv = (p: string) => ({ ...inline, data: { csv: p, target: 'label' } });
      const cases: [unknown, RegExp][] = [
        [csv('/etc/passwd'), /data.csv '\/etc\/passwd' is an absolute path/],
        [csv('../../etc/passwd'), /data.csv '..\/..\/etc\/passwd' has an empty, '.' or '..' segment/],
        [csv('datasets/./points.csv'), /has an empty, '.' or '..' segment/],
        [csv('datasets/link-out/secret.csv'), /data.csv 'datasets\/link-out\/secret.csv' is or passes through a symb/],
        [csv('datasets/file-link.csv'), /links are not followed in the store \(one could lead outside it\)/],
        [csv('datasets/missing.csv'), /data.csv 'datasets\/missing.csv' does not exist in the store/],
        [csv('datasets'), /data.csv 'datasets' is not a regular file/],
        [{ ...inline, model: '../models/x' }, /model '..\/models\/x' has an empty, '.' or '..' segment/],
        [{ ...inline, model: outside }, /is an absolute path/],
        [{ ...inline, extra: 1 }, /unknown key 'extra' in the job spec/],
        [{ ...inline, fit: { epochs: 0 } }, /'fit.epochs' must be a positive integer, got 0/],
        [{ ...inline, fit: { learningRate: 1 } }, /unknown key 'fit.learningRate'/],
        [{ ...inline, checkpointEvery: 1.5 }, /'checkpointEvery' must be a positive integer/],
        [{ ...inline, model: { ...model, compile: { ...compile, optimizer: 'nadam' } } }, /unknown optimizer "nadam"/],
        [{ ...inline, model: { ...model, layers: [{ units: 1e6, inputShape: [2] }] } }, /at most 1,000 are allowed/],
        [{ ...inline, data: { x: Array(300).fill([0, 1]), y: Array(300).fill(0) } }, /inline data has 900 values/],
        [{ ...inline, data: { x: rows, y: labels.slice(1) } }, /'data.x' has 64 rows but 'data.y' has 63/],
      ];
      for (const [spec, message] of cases) {
        const job = q.train(spec);
        await expect(job.submitted).rejects.toThrow(message);
        expect(job.status).toBe('failed');
        await expect(job.result).rejects.toThrow(message);
      }
      fs.writeFileSync(path.join(storeDir, 'datasets/big.csv'), 'a,label\n'.padEnd(200_000, '1'));
      await expect(q.train(csv('datasets/big.csv')).submitted).rejects.toThrow(
        /data.csv is 200000 bytes; at most 100000 are allowed \(maxDataBytes\)/,
      );
      const counts = await (await q.bullQueue()).getJobCounts();
      expect(Object.values(counts).reduce((s: number, n) => s + (n as number), 0)).toBe(0); // nothing was queued
    } finally {
      await q.close();
    }
  }, 30_000);

  test('the worker checks again: a hostile spec written straight into Redis fails once, reading nothing', async () => {
    const q = open();
    const w = bp!.jobs.worker({ connection: redis.url, name: 'api', store: storeDir, threads: 1 });
    try {
      const raw = await (
        await q.bullQueue()
      ).add(
        'train',
        { spec: { ...inline, data: { csv: 'datasets/link-out/secret.csv', target: 'label' } } as never },
        { jobId: 'hostile-1', attempts: 5 },
      );
      const job = await q.get(raw.id!);
      await expect(job.result).rejects.toThrow(/job hostile-1 failed: .*links are not followed in the store/);
      const state = await (await q.bullQueue()).getJob('hostile-1');
      expect([await state!.getState(), state!.attemptsStarted]).toEqual(['failed', 1]); // not retried 5 times
      expect(fs.existsSync(path.join(storeDir, 'checkpoints/hostile-1'))).toBe(false);
    } finally {
      await w.close();
      await q.close();
    }
  }, 30_000);

  test('a queued job cancelled before any worker takes it is removed; get() follows jobs by id', async () => {
    const q = open({ name: 'idle' });
    try {
      const job = q.train(inline);
      await job.submitted;
      expect((await q.status(job.id))!.status).toBe('queued');
      await job.cancel();
      await expect(job.result).rejects.toThrow(`job ${job.id} was cancelled before it started`);
      expect(job.status).toBe('cancelled');
      expect(await q.status(job.id)).toBeUndefined();
      await expect(q.get('no-such-job')).rejects.toThrow("queue.get(): no job 'no-such-job' in queue 'idle'");
      await expect(q.get('../x')).rejects.toThrow(/a job id is 1 to 128 letters, digits/);
    } finally {
      await q.close();
    }
  }, 20_000);

  test('the job handle: train → id, status, progress, result { model, history, cancelled, modelPath }; get, list, close', async () => {
    const q = open({ name: 'handles' });
    const other = open({ name: 'handles' });
    const w = bp!.jobs.worker({ connection: redis.url, name: 'handles', store: storeDir, threads: 1 });
    try {
      // A layer named by its TF.js class name and config, as in a saved model.json.
      const tfjsModel = {
        ...model,
        layers: [
          { className: 'Dense', config: { units: 8, activation: 'tanh', batch_input_shape: [null, 2] } },
          { className: 'Dense', config: { units: 2, activation: 'softmax' } },
        ],
      };
      const job = q.train({ ...inline, model: tfjsModel, fit: { epochs: 3, batchSize: 16 } });
      expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(job.status).toBe('queued');
      const epochs: number[] = [];
      job.on('progress', (p: { kind: string; epoch: number; samplesPerSecond: number; etaSeconds?: number }) => {
        if (p.kind === 'epoch') epochs.push(p.epoch);
      });
      await job.submitted;
      const theirs = await other.get(job.id);
      const [r, seen] = await Promise.all([job.result, theirs.result]);
      expect(job.status).toBe('completed');
      expect(epochs).toEqual([1, 2, 3]);
      expect(r.cancelled).toBe(false);
      expect(r.modelPath).toBe(`models/${job.id}`);
      expect(r.history.loss).toHaveLength(3);
      expect(r.model.layers.map((l) => l.className)).toEqual(['Dense', 'Dense']);
      expect(r.model.predict(rows.slice(0, 2)).shape).toEqual([2, 2]);
      expect(seen.modelPath).toBe(r.modelPath);
      expect(seen.model.getWeights().map((t) => Array.from(t.data))).toEqual(
        r.model.getWeights().map((t) => Array.from(t.data)),
      );
      expect(job.progress).toMatchObject({ kind: 'epoch', epoch: 3, epochs: 3 });
      expect(Object.keys(job.progress!).sort()).toEqual(
        ['batch', 'batches', 'epoch', 'epochs', 'etaSeconds', 'kind', 'loss', 'metrics', 'samplesPerSecond'].sort(),
      );
      expect(job.progress!.samplesPerSecond).toBeGreaterThan(0);

      const [listed] = (await other.list()).filter((j) => j.id === job.id);
      expect(listed).toMatchObject({ id: job.id, status: 'completed', error: null });
      expect(listed.returnValue!.modelPath).toBe(r.modelPath);
      expect(listed.worker).toBe(w.name);
      await expect(other.list(0)).rejects.toThrow("queue.list(): 'limit' must be a positive integer");

      const named = q.train(inline, { id: 'my-job_1' });
      await named.submitted;
      expect(named.id).toBe('my-job_1');
      await named.result;
      await expect(q.train(inline, { id: 'my-job_1' }).submitted).rejects.toThrow(
        "queue.train(): a job 'my-job_1' is already in queue 'handles'; choose another id",
      );
      await expect(q.train(inline, { id: '../x' }).result).rejects.toThrow(/a job id is 1 to 128 letters/);

      // close(): this client's handles end at once; the job goes on in the worker, another client follows it.
      const long = q.train({ ...inline, fit: { epochs: 100000, batchSize: 1 } });
      await long.submitted;
      await new Promise<void>((resolve) => long.once('progress', () => resolve()));
      await q.close();
      await expect(long.result).rejects.toThrow(/the queue client was closed before it finished/);
      await expect(q.train(inline).submitted).rejects.toThrow('queue.train(): the queue is closed');
      const followed = await other.get(long.id);
      await new Promise<void>((resolve) => followed.once('progress', () => resolve())); // still training
      await followed.cancel();
      expect((await followed.result).cancelled).toBe(true);
    } finally {
      await w.close();
      await Promise.all([q.close(), other.close()]);
    }
  }, 60_000);

  test('finished jobs are kept in Redis within keepFinished only; close() while connecting leaves no connection', async () => {
    const admin = redisClient(connectionOptions(redis.url, 'admin'));
    const clients = async () => ((await admin.client('LIST')) as string).split('\n').filter((l) => l.trim()).length;
    const baseline = await clients();
    const q = open({ name: 'kept', keepFinished: { count: 2 } });
    const w = bp!.jobs.worker({ connection: redis.url, name: 'kept', store: storeDir, threads: 1 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const job = q.train(inline);
        await job.result;
        ids.push(job.id);
      }
      const listed = (await q.list()).map((j) => j.id);
      expect(listed.sort()).toEqual(ids.slice(2).sort()); // the newest 2
      expect(await q.status(ids[0])).toBeUndefined();
      expect(() => open({ keepFinished: { seconds: 0 } })).toThrow(
        "jobs.queue(): 'keepFinished.seconds' must be a positive integer, got 0",
      );
    } finally {
      await w.close();
      await q.close();
    }
    // A client closed while it is still reaching Redis: its pending calls fail and no connection stays open.
    const late = open({ name: 'late' });
    const ready = late.ready();
    await late.close();
    await expect(ready).rejects.toThrow('queue.ready(): the queue is closed');
    for (let i = 0; i < 100 && (await clients()) > baseline; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await clients()).toBe(baseline);
    admin.disconnect();
  }, 30_000);

  test('a job failing on its own data fails once with its error, and is not retried', async () => {
    const q = open({ name: 'bad-data' });
    const logs: Record<string, unknown>[] = [];
    const w = bp!.jobs.worker({
      connection: redis.url,
      name: 'bad-data',
      store: storeDir,
      threads: 1,
      log: (e) => logs.push(e),
    });
    try {
      fs.writeFileSync(path.join(storeDir, 'datasets/broken.csv'), 'a,b,label\n1,2,0\n3,oops,1\n');
      const job = q.train({ ...inline, data: { csv: 'datasets/broken.csv', target: 'label' } });
      // Messages from a worker name lines and columns, and quote nothing of the file.
      await expect(job.result).rejects.toThrow(
        `job ${job.id} failed: datasets/broken.csv: line 3, column 2: the cell is not a number`,
      );
      expect(job.status).toBe('failed');
      const inRedis = await (await q.bullQueue()).getJob(job.id);
      expect([await inRedis!.getState(), inRedis!.attemptsStarted, inRedis!.attemptsMade]).toEqual(['failed', 1, 1]);
      expect(logs.filter((e) => e.event === 'failed' && e.job === job.id)).toHaveLength(1);
    } finally {
      await w.close();
      await q.close();
    }
  }, 30_000);

  test('a password in the URL and rediss:// (TLS) are passed through; errors do not show the password', async () => {
    const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-tls-'));
    const cert = path.join(certs, 'cert.pem');
    const key = path.join(certs, 'key.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ]),
      { stdio: 'ignore' },
    );
    const secure = await RedisServer.start(['--requirepass', 'pa55:w@rd'], { cert, key });
    try {
      const password = encodeURIComponent('pa55:w@rd');
      const plain = `redis://:${password}@127.0.0.1:${secure.port}`;
      const q = bp!.jobs.queue({ connection: plain, name: 'auth', store: storeDir });
      const w = bp!.jobs.worker({ connection: plain, name: 'auth', store: storeDir, threads: 1 });
      try {
        const r = await q.train(inline).result;
        expect(r.epochs).toEqual([0, 1]);
      } finally {
        await w.close();
        await q.close();
      }
      // TLS on a port that speaks only TLS; the client trusts the server's certificate (ioredis options).
      const overTls = { url: `rediss://:${password}@127.0.0.1:${secure.tlsPort}`, tls: { ca: fs.readFileSync(cert) } };
      const tq = bp!.jobs.queue({ connection: overTls, name: 'tls', store: storeDir });
      const tw = bp!.jobs.worker({ connection: overTls, name: 'tls', store: storeDir, threads: 1 });
      try {
        const r = await tq.train(inline).result;
        expect(r.epochs).toEqual([0, 1]);
      } finally {
        await tw.close();
        await tq.close();
      }
      const wrong = bp!.jobs.queue({
        connection: `redis://:not-the-${password}@127.0.0.1:${secure.port}`,
        name: 'auth',
        store: storeDir,
      });
      try {
        const job = wrong.train(inline);
        const error = await job.submitted.then(
          () => undefined,
          (e: Error) => e,
        );
        expect(error?.message).toMatch(/WRONGPASS|NOAUTH|invalid username-password/i);
        expect(error?.message).not.toContain('pa55');
      } finally {
        await wrong.close();
      }
    } finally {
      await secure.destroy();
      fs.rmSync(certs, { recursive: true, force: true });
    }
  }, 60_000);
});
