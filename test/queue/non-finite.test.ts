/**
 * NaN and Infinity carried as they are: a validation loss that overflows is Infinity in the worker, and
 * JSON (BullMQ's, the CLI's --json, the service's responses) turned it into null — which the client then
 * printed as 0.000. Workers now send non-finite numbers as strings, clients read them back as numbers,
 * and every JSON output writes them as 'NaN' / 'Infinity' / '-Infinity'.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type * as http from 'node:http';
import { RedisServer, hasRedis } from '../support/redis-server';
import { events, request } from '../jobs/service-client';
import { CLI } from './worker-process';

const DIST = path.resolve(__dirname, '../../dist/index.js');
const EXAMPLE = path.resolve(__dirname, '../../examples/training-service.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
if (process.env.CI && !hasRedis) throw new Error('CI: redis-server is not installed (.ci/run installs it)');

/**
 * 48 training rows of zeros and 16 validation rows of 100s, through a kernel of 1e38: training is finite,
 * validation overflows float32 to Infinity — or, through a second layer of zeros (0 × Infinity), to NaN.
 */
const x = Array.from({ length: 64 }, (_, i) => (i < 48 ? [0, 0] : [100, 100]));
const y = x.map((_, i) => i % 2);
const huge = { className: 'Constant', config: { value: 1e38 } };
const zeros = { className: 'Constant', config: { value: 0 } };
const modelFor = (nan: boolean) => ({
  seed: 1,
  layers: nan
    ? [
        { units: 1, inputShape: [2], kernelInitializer: huge },
        { units: 1, kernelInitializer: zeros },
      ]
    : [{ units: 1, inputShape: [2], kernelInitializer: huge }],
  compile: { optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] },
});
const specFor = (nan: boolean) => ({
  model: modelFor(nan),
  data: { x, y },
  fit: { epochs: 2, batchSize: 16, validationSplit: 0.25 },
});

test('the number codec: non-finite numbers as strings and back; null (an older worker) reads as NaN', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const n = require('../../dist/jobs/json-numbers') as typeof import('../../src/jobs/json-numbers');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const c = require('../../dist/jobs/queue-codec') as typeof import('../../src/jobs/queue-codec');
  const value = { a: [1, NaN, Infinity, -Infinity], b: { c: -Infinity }, d: 'NaN' };
  expect(n.toJson(value)).toBe('{"a":[1,"NaN","Infinity","-Infinity"],"b":{"c":"-Infinity"},"d":"NaN"}');
  expect(JSON.stringify(n.encodeNumbers(value))).toBe(n.toJson(value));
  expect([NaN, Infinity, -Infinity, null, 2, 'inf', '', undefined, {}].map(n.readNumber)).toEqual([
    NaN,
    Infinity,
    -Infinity,
    NaN,
    2,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  const p = (loss: unknown, etaSeconds: unknown) =>
    n.toJson({
      kind: 'epoch',
      epoch: 1,
      epochs: 1,
      batch: 1,
      batches: 1,
      loss,
      metrics: {},
      samplesPerSecond: 1,
      etaSeconds,
    });
  expect(c.decodeProgress(p(-Infinity, Infinity))).toMatchObject({ loss: -Infinity, etaSeconds: Infinity });
  expect(c.decodeProgress(p(null, 1)).loss).toBeNaN();
  expect(() => c.decodeProgress(p('Inf', 1))).toThrow(`the progress event's loss is not a number: 'Inf'`);
});

const maybe = bp && hasRedis ? describe : describe.skip;

maybe('finding 8: non-finite losses through the queue', () => {
  let redis: RedisServer;
  let storeDir: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
  }, 20_000);

  afterAll(async () => {
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test('Infinity and NaN validation losses reach the client, `status --json` and `submit --wait` as they are', async () => {
    const q = bp!.jobs.queue({ connection: redis.url, name: 'nonfinite', store: storeDir });
    const w = bp!.jobs.worker({ connection: redis.url, name: 'nonfinite', store: storeDir, threads: 1 });
    try {
      const inf = q.train(specFor(false));
      const nan = q.train(specFor(true));
      const epochs: Record<string, number>[] = [];
      inf.on('progress', (p: { kind: string; metrics: Record<string, number> }) => {
        if (p.kind === 'epoch') epochs.push(p.metrics);
      });
      const [ri, rn] = await Promise.all([inf.result, nan.result]);
      expect(ri.history.loss.every(Number.isFinite)).toBe(true);
      expect(ri.history.val_loss).toEqual([Infinity, Infinity]);
      expect(ri.history.val_mae).toEqual([Infinity, Infinity]);
      expect(epochs.map((m) => m.val_loss)).toEqual([Infinity, Infinity]);
      expect(rn.history.val_loss.map(Number.isNaN)).toEqual([true, true]);

      const status = spawnSync(
        process.execPath,
        [CLI, 'status', inf.id, '--json', '--redis', redis.url, '--queue', 'nonfinite'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(status.stderr).toBe('');
      const s = JSON.parse(status.stdout);
      expect(s.progress.metrics).toMatchObject({ val_loss: 'Infinity', val_mae: 'Infinity' });
      expect(s.returnValue.history.val_loss).toEqual(['Infinity', 'Infinity']);

      const specFile = path.join(storeDir, '..', `${path.basename(storeDir)}-nan.json`);
      fs.writeFileSync(specFile, JSON.stringify(specFor(true)));
      try {
        // Not spawnSync: the worker training the job runs in this process.
        const submit = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
          execFile(
            process.execPath,
            [CLI, 'submit', '--spec', specFile, '--wait', '--redis', redis.url, '--queue', 'nonfinite'],
            { encoding: 'utf8', timeout: 60_000 },
            (e, stdout, stderr) => resolve({ status: e ? (e.code as number) : 0, stdout, stderr }),
          ),
        );
        expect([submit.status, submit.stderr]).toEqual([0, '']);
        const last = submit.stdout.trim().split('\n').at(-1)!;
        expect(last).toMatch(/ completed: model models\/\S+, loss [0-9.]+, mae [0-9.]+, val_loss NaN, val_mae NaN$/);
      } finally {
        fs.rmSync(specFile, { force: true });
      }
    } finally {
      await w.close();
      await q.close();
    }
  }, 60_000);
});

maybe('finding 8: non-finite losses across a resume', () => {
  let redis: RedisServer;
  let storeDir: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
  }, 20_000);

  afterAll(async () => {
    await redis?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test("the checkpoint's history keeps Infinity: a job resumed by another worker returns it for every epoch", async () => {
    const q = bp!.jobs.queue({ connection: redis.url, name: 'resume', store: storeDir });
    const first = bp!.jobs.worker({ connection: redis.url, name: 'resume', store: storeDir, threads: 1 });
    const job = q.train({ ...specFor(false), fit: { epochs: 300, batchSize: 1, validationSplit: 0.25 } });
    // Stopped (as on SIGTERM) after its second epoch's checkpoint: back to the queue, resumed by another worker.
    const stopped = new Promise<void>((resolve) =>
      job.on('progress', (p: { kind: string; epoch: number }) => {
        if (p.kind === 'epoch' && p.epoch >= 2) resolve();
      }),
    );
    await stopped;
    await first.close();
    const second = bp!.jobs.worker({ connection: redis.url, name: 'resume', store: storeDir, threads: 1 });
    try {
      const r = await job.result;
      expect(r.resumedFrom).toBeGreaterThanOrEqual(2);
      expect(r.history.val_loss).toHaveLength(300);
      expect(r.history.val_loss.filter((v) => v !== Infinity)).toEqual([]);
    } finally {
      await second.close();
      await q.close();
    }
  }, 60_000);
});

const hasDist = fs.existsSync(DIST);
(hasDist ? describe : describe.skip)('finding 8: non-finite losses in the example service', () => {
  test('GET /jobs/:id and the events stream carry Infinity as "Infinity", not null', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-service-nonfinite-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createService } = require(EXAMPLE);
    const service = createService({ dataDir: tmp }) as { server: http.Server; close(): Promise<void> };
    try {
      await new Promise<void>((r) => service.server.listen(0, '127.0.0.1', r));
      const port = (service.server.address() as AddressInfo).port;
      const text = ['a,b,y', ...x.map((r, i) => `${r[0]},${r[1]},${y[i]}`)].join('\n');
      const created = await request(port, 'POST', '/jobs', {
        model: modelFor(false),
        csv: text,
        target: 'y',
        fit: { epochs: 2, batchSize: 16, validationSplit: 0.25 },
      });
      expect(created.status).toBe(201);
      const stream = await events(port, `/jobs/${created.json.id}/events`);
      expect(stream.at(-1)!.data.status).toBe('completed');
      const epochs = stream.filter((e) => e.event === 'progress' && e.data.kind === 'epoch');
      expect(epochs.map((e) => (e.data.metrics as Record<string, unknown>).val_loss)).toEqual(['Infinity', 'Infinity']);
      const status = await request(port, 'GET', `/jobs/${created.json.id}`);
      expect(status.json.final).toMatchObject({ val_loss: 'Infinity', val_mae: 'Infinity' });
      expect(typeof (status.json.final as Record<string, unknown>).loss).toBe('number');
    } finally {
      await service.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
