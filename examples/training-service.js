#!/usr/bin/env node
/**
 * An example training service on plain node:http, built on bp.jobs:
 *   POST   /jobs                 JSON { model, csv (text) | path, target, fit } → { id }
 *   GET    /jobs/:id             status, latest progress, final metrics
 *   GET    /jobs/:id/events      server-sent events: progress, status
 *   DELETE /jobs/:id             cancel (stops after the current batch)
 *   POST   /jobs/:id/predict     JSON { rows: number[][] } → { predictions: number[][] }
 * Training runs in worker threads, so the service keeps answering while jobs train.
 * Usage: node examples/training-service.js [port]   (after npm run build; port 0 picks a free one)
 */
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const bp = require('..');

const MAX_BODY = 50 * 2 ** 20;

function readJson(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch {
        reject(Object.assign(new Error('body is not valid JSON'), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function createService({ workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-service-')), poolSize } = {}) {
  const { train } = bp.jobs.pool({ size: poolSize });
  const jobs = new Map(); // id → { job, models, final, classes }

  async function createJob(body) {
    if (!body.model || (!body.csv && !body.path) || !body.target)
      throw Object.assign(new Error(`expected { model, csv | path, target, fit? }`), { status: 400 });
    const id = `j${jobs.size + 1}-${Date.now().toString(36)}`;
    const dir = path.join(workDir, id);
    fs.mkdirSync(dir, { recursive: true });
    const csvPath = body.path ?? path.join(dir, 'data.csv');
    if (body.csv) fs.writeFileSync(csvPath, body.csv);
    const data = bp.data.loadCsv(csvPath, { target: body.target });
    const job = train({
      id,
      model: body.model,
      data: { x: data.x, y: data.y },
      fit: body.fit ?? {},
      checkpointDir: path.join(dir, 'checkpoint'),
      progressEveryMs: 100,
    });
    const entry = { job, classes: data.classes, model: undefined, final: undefined };
    jobs.set(id, entry);
    job.result.then(
      (r) => {
        entry.model = r.model;
        entry.final = Object.fromEntries(Object.entries(r.history).map(([k, v]) => [k, v.at(-1)]));
      },
      () => {},
    );
    return id;
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      const parts = url.pathname.split('/').filter(Boolean);
      if (req.method === 'POST' && url.pathname === '/jobs')
        return send(res, 201, { id: await createJob(await readJson(req)) });
      if (parts[0] !== 'jobs' || !parts[1]) return send(res, 404, { error: 'not found' });
      const entry = jobs.get(parts[1]);
      if (!entry) return send(res, 404, { error: `no job ${parts[1]}` });
      const { job } = entry;
      if (req.method === 'GET' && parts.length === 2) {
        return send(res, 200, {
          id: job.id,
          status: job.status,
          progress: job.progress ?? null,
          final: entry.final ?? null,
          error: job.error?.message ?? null,
        });
      }
      if (req.method === 'DELETE' && parts.length === 2) {
        job.cancel();
        return send(res, 202, { id: job.id, status: 'cancelling' });
      }
      if (req.method === 'GET' && parts[2] === 'events') {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        const write = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        const onProgress = (p) => write('progress', p);
        const onEnd = (status) => {
          write('status', { status, error: job.error?.message ?? null });
          res.end();
        };
        write('status', { status: job.status });
        if (['completed', 'failed', 'cancelled'].includes(job.status)) return onEnd(job.status);
        job.on('progress', onProgress);
        job.once('end', onEnd);
        req.on('close', () => {
          job.off('progress', onProgress);
          job.off('end', onEnd);
        });
        return;
      }
      if (req.method === 'POST' && parts[2] === 'predict') {
        if (!entry.model)
          return send(res, 409, { error: `job ${job.id} is ${job.status}; predictions need a finished job` });
        const { rows } = await readJson(req);
        const p = entry.model.predict(rows);
        const cols = p.shape[1];
        const predictions = Array.from({ length: p.shape[0] }, (_, r) =>
          Array.from(p.data.subarray(r * cols, (r + 1) * cols)),
        );
        return send(res, 200, { predictions, classes: entry.classes ?? null });
      }
      return send(res, 405, { error: 'method not allowed' });
    } catch (e) {
      return send(res, e.status ?? 400, { error: e.message });
    }
  });
  return { server, jobs };
}

module.exports = { createService };

if (require.main === module) {
  const { server } = createService();
  server.listen(Number(process.argv[2] ?? 8080), '127.0.0.1', () =>
    console.log(`training service on http://127.0.0.1:${server.address().port}`),
  );
}
