/**
 * The example training service over real HTTP on 127.0.0.1: training, progress over server-sent events,
 * cancel, predictions — and what makes it safe to expose: no client-named paths, limits on bodies, models,
 * jobs and run time (413 / 400 / 429), eviction of finished work, no file contents or internals in errors.
 * The load test (8 jobs on ~45 MB CSVs, memory and latency measured) is in service-load.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type * as http from 'node:http';
import { csv, events, model, request, until } from './service-client';

const EXAMPLE = path.resolve(__dirname, '../../examples/training-service.js');
const hasDist = fs.existsSync(path.resolve(__dirname, '../../dist/index.js'));
const maybe = hasDist ? describe : describe.skip;

interface Service {
  server: http.Server;
  root: string;
  datasets: Map<string, { file: string }>;
  jobs: Map<string, unknown>;
  close(): Promise<void>;
}

async function start(options: Record<string, unknown> = {}): Promise<{ service: Service; port: number }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createService } = require(EXAMPLE);
  const service = createService({ dataDir: tmp, ...options }) as Service;
  await new Promise<void>((r) => service.server.listen(0, '127.0.0.1', r));
  return { service, port: (service.server.address() as AddressInfo).port };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-service-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

maybe('training service', () => {
  test('trains, streams progress, cancels and predicts over HTTP', async () => {
    const { service, port } = await start({ maxRunningJobs: 2, maxPredictMacs: 64_000 });
    try {
      const created = await request(port, 'POST', '/jobs', {
        model,
        csv: csv(400),
        target: 'label',
        fit: { epochs: 30, batchSize: 16 },
      });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      const long = await request(port, 'POST', '/jobs', {
        model,
        csv: csv(2000),
        target: 'label',
        fit: { epochs: 500, batchSize: 4 },
      });

      const stream = await events(port, `/jobs/${id}/events`);
      expect(stream.some((e) => e.event === 'progress')).toBe(true);
      expect(stream.at(-1)).toEqual({ event: 'status', data: { status: 'completed', error: null } });

      const status = await request(port, 'GET', `/jobs/${id}`);
      expect(status.json.status).toBe('completed');
      expect((status.json.final as Record<string, number>).accuracy).toBeGreaterThan(0.9);

      const rows = [
        [0.9, 0.9],
        [-0.9, -0.9],
      ];
      const pred = await request(port, 'POST', `/jobs/${id}/predict`, { rows });
      expect(pred.status).toBe(200);
      expect(pred.json.classes).toEqual(['no', 'yes']);
      const p = pred.json.predictions as number[][];
      expect(p[0][1]).toBeGreaterThan(0.5); // a + b > 0 → 'yes'
      expect(p[1][0]).toBeGreaterThan(0.5);
      expect((await request(port, 'POST', `/jobs/${id}/predict`, { rows: [[1]] })).json.error).toBe(
        'rows[0] must be 2 finite numbers',
      );
      // Predictions run on the service's thread: their cost (rows × 64 multiply-adds here) is bounded.
      expect((await request(port, 'POST', `/jobs/${id}/predict`, { rows: Array(1000).fill([0, 0]) })).status).toBe(200);
      const many = await request(port, 'POST', `/jobs/${id}/predict`, { rows: Array(1001).fill([0, 0]) });
      expect([many.status, many.json.error]).toEqual([413, 'at most 1000 rows per request for this model']);

      const cancel = await request(port, 'DELETE', `/jobs/${long.json.id}`);
      expect(cancel.status).toBe(202);
      const cancelled = await events(port, `/jobs/${long.json.id}/events`);
      expect(JSON.stringify(cancelled.at(-1)!.data)).toContain('"status":"cancelled"');

      expect((await request(port, 'POST', '/jobs', { csv: 'a\n1' })).status).toBe(400);
      expect((await request(port, 'POST', '/jobs', { model, csv: 'a\n1', target: 'a', extra: 1 })).json.error).toBe(
        "unknown field 'extra'",
      );
      expect((await request(port, 'GET', '/jobs/nope')).status).toBe(404);
    } finally {
      await service.close();
    }
  }, 120000);

  test('uploads go to files the server names; a client-given path is refused, never read or written', async () => {
    const { service, port } = await start();
    try {
      const up = await request(port, 'POST', '/datasets', csv(300), { type: 'text/csv' });
      expect(up.status).toBe(201);
      const file = service.datasets.get(up.json.id as string)!.file;
      expect(path.dirname(file)).toBe(service.root);
      expect(fs.readFileSync(file, 'utf8')).toBe(csv(300));
      const job = await request(port, 'POST', '/jobs', { model, dataset: up.json.id, target: 'label' });
      expect(job.status).toBe(201);
      await until(
        async () =>
          (await request(port, 'GET', `/jobs/${job.json.id}`)).json.status === 'completed' ? true : undefined,
        30000,
      );

      const victim = path.join(tmp, 'victim.txt');
      for (const p of [
        '/etc/shadow',
        '/etc/passwd',
        '../../../../etc/passwd',
        '/dev/zero',
        '/proc/self/environ',
        victim,
      ]) {
        const t0 = performance.now();
        const r = await request(port, 'POST', '/jobs', { model, path: p, csv: 'owned', target: 'label' });
        expect(r.status).toBe(400);
        expect(r.json.error).toBe("'path' is not accepted: clients cannot name server files; upload the CSV instead");
        expect(performance.now() - t0).toBeLessThan(1000); // /dev/zero is not read
      }
      expect(fs.existsSync(victim)).toBe(false); // the old service wrote the client's text there
      for (const d of ['/etc/passwd', '../../etc/passwd', '/dev/zero', `../${path.basename(file)}`, 1]) {
        const r = await request(port, 'POST', '/jobs', { model, dataset: d, target: 'label' });
        expect(r.status).toBe(404);
        expect(r.text).not.toMatch(/root:|daemon:/);
      }
      for (const url of [
        '/jobs/..%2F..%2Fetc%2Fpasswd',
        '/jobs/../../etc/passwd',
        '/datasets/..%2F..%2Fetc%2Fpasswd',
      ]) {
        const r = await request(port, url.startsWith('/datasets') ? 'DELETE' : 'GET', url);
        expect(r.status).toBe(404);
      }
      expect(fs.existsSync('/etc/passwd')).toBe(true);
    } finally {
      await service.close();
    }
    expect(fs.existsSync(service.root)).toBe(false); // close() removes the service's files
  }, 60000);

  test('a 246-byte request for a 20000×20000 model is refused at once, before anything is allocated', async () => {
    const { service, port } = await start();
    try {
      const body = JSON.stringify({
        model: {
          layers: [{ units: 20000, inputShape: [20000] }, { units: 20000 }],
          compile: { optimizer: 'adam', loss: 'meanSquaredError' },
        },
        csv: 'a,b\n1,2\n',
        target: 'b',
      });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(246);
      const rss = process.memoryUsage().rss;
      const r = await request(port, 'POST', '/jobs', body);
      expect(r.status).toBe(400);
      expect(r.json.error).toBe('the model has 800040000 parameters; the limit is 1000000');
      expect(process.memoryUsage().rss - rss).toBeLessThan(50 * 2 ** 20);
      expect(service.jobs.size).toBe(0);
      // Without an inputShape the width comes from the CSV: the worker refuses it before building.
      const wide = Array.from({ length: 600 }, (_, i) => `c${i}`).join(',') + ',y\n';
      const row = Array(600).fill('1').join(',') + ',0\n';
      const noShape = await request(port, 'POST', '/jobs', {
        model: {
          layers: [{ units: 2000 }, { units: 2, activation: 'softmax' }],
          compile: { loss: 'sparseCategoricalCrossentropy' },
        },
        csv: wide + row + row,
        target: 'y',
      });
      expect(noShape.status).toBe(201);
      const failed = await until(async () => {
        const s = await request(port, 'GET', `/jobs/${noShape.json.id}`);
        return s.json.status === 'failed' ? s.json : undefined;
      }, 30000);
      expect(failed.error).toMatch(
        /the model has 1,206,002 parameters for inputs of shape \[600\]; at most 1,000,000 are allowed/,
      );
    } finally {
      await service.close();
    }
  }, 60000);

  test('bodies over the limits get 413, declared or streamed, and leave nothing behind', async () => {
    const { service, port } = await start({ maxJsonBytes: 1024, maxUploadBytes: 4096 });
    try {
      const big = { model, csv: csv(200), target: 'label' }; // ~4 KB of JSON
      expect((await request(port, 'POST', '/jobs', big)).status).toBe(413);
      const streamed = await request(port, 'POST', '/jobs', big, { chunked: true });
      expect(streamed.status).toBe(413);
      expect(streamed.json.error).toBe('the request body is over the limit of 1024 bytes');
      const upload = await request(port, 'POST', '/datasets', csv(400), { type: 'text/csv' });
      expect(upload.status).toBe(413);
      const chunked = await request(port, 'POST', '/datasets', csv(400), { type: 'text/csv', chunked: true });
      expect(chunked.status).toBe(413);
      expect(chunked.json.error).toBe('the upload is over the limit of 4096 bytes');
      const huge = await request(port, 'POST', '/datasets', Buffer.alloc(2 ** 20, 'a'), {
        type: 'text/csv',
        chunked: true,
      });
      expect(huge.status).toBe(413); // refused while it streams, not after storing a megabyte
      expect(service.datasets.size).toBe(0);
      expect(fs.readdirSync(service.root)).toEqual([]); // the partial upload was deleted
      expect((await request(port, 'POST', '/datasets', csv(50), { type: 'text/csv' })).status).toBe(201);
    } finally {
      await service.close();
    }
  }, 60000);

  test('429 beyond the running + queued jobs and the stored uploads; a job past its run time fails', async () => {
    const { service, port } = await start({ maxRunningJobs: 1, maxQueuedJobs: 1, maxDatasets: 2, maxJobSeconds: 1 });
    try {
      const slow = { model, csv: csv(2000), target: 'label', fit: { epochs: 100000, batchSize: 1 } };
      const a = await request(port, 'POST', '/jobs', slow);
      const b = await request(port, 'POST', '/jobs', slow);
      expect([a.status, b.status]).toEqual([201, 201]);
      const c = await request(port, 'POST', '/jobs', slow);
      expect(c.status).toBe(429);
      expect(c.headers['retry-after']).toBe('5');
      expect(c.json.error).toBe('1 jobs are waiting, the limit; try again later');

      const t0 = performance.now();
      const failed = await until(async () => {
        const s = await request(port, 'GET', `/jobs/${a.json.id}`);
        return s.json.status === 'failed' ? s.json : undefined;
      }, 15000);
      expect(failed.error).toBe(
        `job ${a.json.id} failed: it ran longer than its time limit of 1000 ms (timeLimitMs) and was stopped`,
      );
      expect(performance.now() - t0).toBeLessThan(1000 + 2000 + 5000); // the limit, the grace, slack for a busy machine

      expect((await request(port, 'POST', '/datasets', 'a\n1\n', { type: 'text/csv' })).status).toBe(201);
      expect((await request(port, 'POST', '/datasets', 'a\n1\n', { type: 'text/csv' })).status).toBe(201);
      expect((await request(port, 'POST', '/datasets', 'a\n1\n', { type: 'text/csv' })).status).toBe(429);
    } finally {
      await service.close();
    }
  }, 60000);

  test('a job over its worker heap limit fails alone; the service keeps serving', async () => {
    const { service, port } = await start({ workerMemoryMb: 32 });
    try {
      const text = csv(400_000); // ~10 MB of CSV: parsing it needs more than a 32 MB heap
      const up = await request(port, 'POST', '/datasets', text, { type: 'text/csv' });
      const job = await request(port, 'POST', '/jobs', { model, dataset: up.json.id, target: 'label' });
      const failed = await until(async () => {
        const s = await request(port, 'GET', `/jobs/${job.json.id}`);
        return s.json.status === 'failed' ? s.json : undefined;
      }, 60000);
      expect(failed.error).toMatch(/memory limit/);
      const small = await request(port, 'POST', '/jobs', { model, csv: csv(200), target: 'label' });
      await until(
        async () =>
          (await request(port, 'GET', `/jobs/${small.json.id}`)).json.status === 'completed' ? true : undefined,
        30000,
      );
    } finally {
      await service.close();
    }
  }, 90000);

  test('finished jobs, their files and idle uploads are evicted after the retention period', async () => {
    const { service, port } = await start({ retentionSeconds: 1 });
    try {
      const up = await request(port, 'POST', '/datasets', csv(200), { type: 'text/csv' });
      const job = await request(port, 'POST', '/jobs', { model, dataset: up.json.id, target: 'label' });
      const inline = await request(port, 'POST', '/jobs', { model, csv: csv(200), target: 'label' });
      expect(fs.readdirSync(service.root).length).toBe(3); // the upload and two job directories
      // The event streams end with each job's final status, even if it is evicted before we would poll it.
      for (const j of [job, inline])
        expect((await events(port, `/jobs/${j.json.id}/events`)).at(-1)!.data.status).toBe('completed');
      // (Each job is evicted a retention period after it finished: on a loaded machine they finish apart.)
      for (const j of [job, inline]) {
        await until(
          async () => ((await request(port, 'GET', `/jobs/${j.json.id}`)).status === 404 ? true : undefined),
          30000,
        );
      }
      await until(async () => (service.datasets.size === 0 ? true : undefined), 30000);
      expect(service.jobs.size).toBe(0);
      // Entries go first, then their files (deleted asynchronously, off the request path).
      await until(async () => (fs.readdirSync(service.root).length === 0 ? true : undefined), 30000);
    } finally {
      await service.close();
    }
  }, 60000);

  test('errors carry no file contents or server paths; unexpected ones are a logged 500', async () => {
    const logged: unknown[] = [];
    const { service, port } = await start({ log: (e: unknown) => logged.push(e) });
    try {
      const bad = await request(port, 'POST', '/jobs', { model, csv: 'a,b,label\n1,2,x\n3,oops,y\n', target: 'label' });
      const failed = await until(async () => {
        const s = await request(port, 'GET', `/jobs/${bad.json.id}`);
        return s.json.status === 'failed' ? s.json : undefined;
      }, 30000);
      expect(failed.error).toBe(`job ${bad.json.id} failed: the CSV: line 3, column 'b': 'oops' is not a number`);
      expect(JSON.stringify(failed)).not.toContain(service.root);
      expect((await request(port, 'POST', '/jobs', '{not json')).json.error).toBe('the body must be a JSON object');

      fs.rmSync(service.root, { recursive: true }); // the service's directory vanishes: writes now fail
      const r = await request(port, 'POST', '/datasets', 'a\n1\n', { type: 'text/csv' });
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ error: 'internal error' });
      expect(logged).toHaveLength(1);
      expect(String(logged[0])).toMatch(/ENOENT/);
    } finally {
      await service.close();
    }
  }, 60000);
});
