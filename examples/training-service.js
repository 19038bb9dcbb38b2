#!/usr/bin/env node
/**
 * An example training service on plain node:http, built on bp.jobs, written to be safe to expose:
 * clients never name server paths, every resource a request can use is bounded, training runs in worker
 * threads with heap limits, and error responses carry no file contents. It has no authentication: put it
 * behind your own (and TLS) before opening it to anyone you do not trust with your CPU.
 *
 *   POST   /datasets          the CSV as the body (text/csv), streamed to a file the server names → 201 { id, bytes }
 *   DELETE /datasets/:id      delete an upload → 204
 *   POST   /jobs              JSON { model, dataset: id | csv: text, target, fit? } → 201 { id }
 *   GET    /jobs/:id          status, latest progress, final metrics, error
 *   GET    /jobs/:id/events   server-sent events: progress, status
 *   DELETE /jobs/:id          cancel (stops after the current batch)
 *   POST   /jobs/:id/predict  JSON { rows: number[][] } → { predictions: number[][], classes }
 *
 * Limits: options of createService({ ... }); for the script, flags (--max-json-bytes=2097152) or
 * environment variables (BP_SERVICE_MAX_JSON_BYTES=2097152).
 *   maxJsonBytes      1 MiB       a JSON request body (413 beyond)
 *   maxUploadBytes    64 MiB      a CSV upload (413 beyond)
 *   maxDatasets       16          uploads stored at once (429 beyond); with maxUploadBytes this bounds the disk
 *   maxCsvRows        1,000,000   data rows of a CSV (the job fails beyond)
 *   maxCsvColumns     1,000       columns of a CSV (the job fails beyond)
 *   maxParameters     1,000,000   parameters of a model: computed from the spec before anything is built (400)
 *   maxRunningJobs    2           jobs training at once, one worker thread each
 *   maxQueuedJobs     8           jobs waiting for a free worker (429 beyond)
 *   maxJobSeconds     600         a job's run time; past it the job is stopped and fails
 *   workerMemoryMb    512         JS heap of each training worker (resourceLimits); beyond it that job fails
 *   retentionSeconds  3600        finished jobs (their models and files) and unused uploads are deleted after this
 *   maxFinishedJobs   20          finished jobs kept at most (the oldest go first): each keeps its model in memory
 *   maxPredictMacs    50,000,000  rows × multiply-adds per row of one predict request, which runs on this thread
 *   maxConnections    256         open connections (server events streams included)
 *   workerPriority    10          nice value of training threads (Linux), so requests are served first
 * Files live in a directory of their own under dataDir (option; --data-dir; default the system temp dir),
 * removed by close() (SIGINT/SIGTERM for the script).
 * Memory: a finished job's worker exits and its memory is freed, but glibc keeps memory freed by threads in
 * per-thread arenas once large buffers have raised its mmap threshold. Run the service with
 * MALLOC_MMAP_THRESHOLD_=131072 in its environment so that memory goes back to the system (8 jobs on 45 MB
 * CSVs: ~20 MB kept with it, ~150 MB without; test/jobs/service-load.test.ts measures it).
 *
 * Queue mode (option queue: { connection, store, name? }; --redis=URL --store=DIR [--queue=NAME], or
 * BACKPROP_REDIS / BACKPROP_STORE): jobs go to a BullMQ queue on Redis and are trained by `backprop worker`
 * processes on any machine, instead of this process's worker threads. The HTTP API is the same. Uploads and
 * inline CSVs are written into a directory of the service's own inside the store (a directory every worker
 * mounts), and finished models are loaded from it. The limits on requests, models, CSV rows and columns, run
 * time, queued jobs, uploads and retention apply as above; maxRunningJobs, workerMemoryMb and workerPriority
 * are then the workers' settings (--concurrency, --worker-memory-mb; see `backprop worker --help`).
 * Usage: node examples/training-service.js [--port=8080] [--host=127.0.0.1] [--data-dir=DIR] [--max-...=N]
 *        [--redis=redis://host:6379 --store=/mnt/shared/backprop [--queue=backprop]]
 */
const http = require('node:http');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { pipeline } = require('node:stream/promises');
const { parseArgs } = require('node:util');
const bp = require('..');

const LIMITS = {
  maxJsonBytes: 2 ** 20,
  maxUploadBytes: 64 * 2 ** 20,
  maxDatasets: 16,
  maxCsvRows: 1_000_000,
  maxCsvColumns: 1_000,
  maxParameters: 1_000_000,
  maxRunningJobs: 2,
  maxQueuedJobs: 8,
  maxJobSeconds: 600,
  workerMemoryMb: 512,
  retentionSeconds: 3600,
  maxFinishedJobs: 20,
  maxPredictMacs: 50_000_000,
  maxConnections: 256,
  workerPriority: 10,
};

/** An error whose message is safe to show the client, with its HTTP status. */
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}
const clip = (s, n = 60) => (String(s).length > n ? `${String(s).slice(0, n)}…` : String(s));

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Reads a request body of at most `max` bytes (413 beyond, before reading it when the length is declared). */
function readBody(req, max) {
  if (Number(req.headers['content-length']) > max)
    return Promise.reject(new HttpError(413, `the request body is over the limit of ${max} bytes`));
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        reject(new HttpError(413, `the request body is over the limit of ${max} bytes`));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJson(req, max) {
  const text = (await readBody(req, max)).toString('utf8');
  try {
    const v = JSON.parse(text || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error();
    return v;
  } catch {
    throw new HttpError(400, 'the body must be a JSON object');
  }
}

/** Streams the request body into `file` (a name the server chose), at most `max` bytes. */
async function saveUpload(req, file, max) {
  if (Number(req.headers['content-length']) > max)
    throw new HttpError(413, `the upload is over the limit of ${max} bytes`);
  let bytes = 0;
  const count = async function* (source) {
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes > max) throw new HttpError(413, `the upload is over the limit of ${max} bytes`);
      yield chunk;
    }
  };
  try {
    await pipeline(req, count, fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  } catch (e) {
    await fsp.rm(file, { force: true });
    throw e;
  }
  return bytes;
}

function checkLimits(limits) {
  for (const [k, v] of Object.entries(limits))
    if (k === 'workerPriority' ? !(Number.isInteger(v) && v >= 0 && v <= 19) : !(Number.isSafeInteger(v) && v > 0))
      throw new Error(
        `createService(): '${k}' must be a ${k === 'workerPriority' ? 'nice value in [0, 19]' : 'positive integer'}, got ${v}`,
      );
}

/**
 * Where jobs train: this process's worker threads (a pool), or a BullMQ queue on Redis trained by
 * `backprop worker` processes. Both return bp.jobs handles (status, progress, error, 'progress' and 'end'
 * events, cancel(), result).
 */
function inProcessRunner(limits, dataDir) {
  fs.mkdirSync(dataDir, { recursive: true });
  const root = fs.mkdtempSync(path.join(dataDir, 'bp-service-'));
  const { train, pool } = bp.jobs.pool({ size: limits.maxRunningJobs });
  return {
    root,
    paths: [root],
    queued: () => pool.queued,
    async start(id, { model, csvFile, target, fit, dir }) {
      const job = train({
        id,
        model,
        data: { csv: csvFile, target, maxRows: limits.maxCsvRows, maxColumns: limits.maxCsvColumns, name: 'the CSV' },
        fit,
        checkpointDir: path.join(dir, 'checkpoint'),
        resourceLimits: { maxOldGenerationSizeMb: limits.workerMemoryMb },
        timeLimitMs: limits.maxJobSeconds * 1000,
        maxParameters: limits.maxParameters,
        priority: limits.workerPriority,
        progressEveryMs: 100,
      });
      if (job.status === 'failed') throw new HttpError(400, job.error.message.replace(`job ${id} failed: `, ''));
      return job;
    },
    async removeJob() {},
    async stop(jobs) {
      for (const job of jobs) {
        job.cancel();
        await job.terminate();
      }
    },
  };
}

function queueRunner(limits, { connection, store: storeDir, name, ...rest }) {
  for (const k of Object.keys(rest)) throw new Error(`createService(): unknown queue option '${k}'`);
  if (typeof storeDir !== 'string' || !storeDir)
    throw new Error(`createService(): 'queue.store' must be the directory shared with the workers`);
  const store = bp.jobs.directoryStore(storeDir);
  const root = fs.mkdtempSync(path.join(store.root, 'service-'));
  const queue = bp.jobs.queue({ connection, name, store });
  const keyOf = (file) => path.relative(store.root, file).split(path.sep).join('/');
  return {
    root,
    paths: [root, store.root],
    queue,
    queued: (jobs) => jobs.filter((job) => job.status === 'queued').length,
    async start(id, { model, csvFile, target, fit }) {
      const spec = {
        model,
        data: {
          csv: keyOf(csvFile),
          target,
          maxRows: limits.maxCsvRows,
          maxColumns: limits.maxCsvColumns,
          name: 'the CSV',
        },
        fit,
        timeLimitMs: limits.maxJobSeconds * 1000,
        maxParameters: limits.maxParameters,
      };
      try {
        await queue.check(spec, 'job');
      } catch (e) {
        throw new HttpError(400, e.message.replace(/^job: /, ''));
      }
      const job = queue.train(spec, { id });
      try {
        await job.submitted;
      } catch {
        throw new HttpError(503, 'the job queue cannot be reached; try again later');
      }
      return job;
    },
    async removeJob(id) {
      await Promise.all([store.remove(bp.jobs.storeKeys.model(id)), store.remove(bp.jobs.storeKeys.checkpoint(id))]);
    },
    async stop(jobs) {
      // The service's files go with it: its unfinished jobs are cancelled in the workers.
      await Promise.allSettled(jobs.filter((job) => !job.finished).map((job) => job.cancel()));
      await queue.close();
    },
  };
}

/**
 * Creates the service (call server.listen yourself). `log` receives unexpected errors (default console.error).
 * With `queue: { connection, store, name? }` jobs go to a Redis queue trained by `backprop worker` processes.
 * @example const { server, close } = createService({ maxRunningJobs: 4 }); server.listen(8080, '127.0.0.1');
 * @example createService({ queue: { connection: 'redis://redis:6379', store: '/mnt/shared/backprop' } });
 */
function createService(options = {}) {
  const { dataDir = os.tmpdir(), log = (e) => console.error(e), queue, ...given } = options;
  for (const k of Object.keys(given)) if (!(k in LIMITS)) throw new Error(`createService(): unknown option '${k}'`);
  const limits = { ...LIMITS, ...given };
  checkLimits(limits);
  if (queue !== undefined && (!queue || typeof queue !== 'object'))
    throw new Error(`createService(): 'queue' must be { connection, store, name? }`);
  const runner = queue ? queueRunner(limits, queue) : inProcessRunner(limits, dataDir);
  const { root } = runner;
  const jobs = new Map(); // id → { job, dir, dataset, finishedAt, model, final, classes }
  const datasets = new Map(); // id → { file, bytes, refs, lastUsed }
  const newId = (prefix) => `${prefix}${crypto.randomUUID()}`; // unguessable: ids are the only access control
  /** Job errors go to clients: no server path in them. */
  const publicMessage = (m) => runner.paths.reduce((s, p) => s.split(p).join('<data>'), m);

  async function removeJob(id) {
    const e = jobs.get(id);
    jobs.delete(id);
    if (e) await Promise.all([fsp.rm(e.dir, { recursive: true, force: true }), runner.removeJob(id)]);
  }
  async function removeDataset(id) {
    const d = datasets.get(id);
    datasets.delete(id);
    if (d) await fsp.rm(d.file, { force: true });
  }
  /** Evicts finished jobs past retention (or over maxFinishedJobs) and idle uploads past retention. */
  async function sweep() {
    const cutoff = Date.now() - limits.retentionSeconds * 1000;
    const finished = [...jobs]
      .filter(([, e]) => e.finishedAt !== undefined)
      .sort((a, b) => a[1].finishedAt - b[1].finishedAt);
    const excess = finished.length - limits.maxFinishedJobs;
    await Promise.all(finished.filter(([, e], i) => i < excess || e.finishedAt < cutoff).map(([id]) => removeJob(id)));
    await Promise.all(
      [...datasets].filter(([, d]) => d.refs === 0 && d.lastUsed < cutoff).map(([id]) => removeDataset(id)),
    );
  }
  const sweeper = setInterval(
    () => sweep().catch(log),
    Math.min(60_000, Math.max(100, (limits.retentionSeconds * 1000) / 4)),
  );
  sweeper.unref();

  async function upload(req) {
    await sweep();
    if (datasets.size >= limits.maxDatasets)
      throw new HttpError(429, `${datasets.size} uploads are stored, the limit; delete one or wait for retention`);
    const id = newId('d');
    const file = path.join(root, `${id}.csv`);
    const entry = { file, bytes: 0, refs: 1, lastUsed: Date.now() }; // counted while the upload runs
    datasets.set(id, entry);
    try {
      entry.bytes = await saveUpload(req, file, limits.maxUploadBytes);
    } catch (e) {
      datasets.delete(id);
      throw e;
    }
    entry.refs = 0;
    return { id, bytes: entry.bytes };
  }

  const FIELDS = new Set(['model', 'dataset', 'csv', 'target', 'fit']);
  const FIT = new Set(['epochs', 'batchSize', 'shuffle', 'validationSplit']);

  async function createJob(body) {
    if ('path' in body)
      throw new HttpError(400, `'path' is not accepted: clients cannot name server files; upload the CSV instead`);
    for (const k of Object.keys(body)) if (!FIELDS.has(k)) throw new HttpError(400, `unknown field '${clip(k)}'`);
    const { model, dataset, csv, target, fit = {} } = body;
    if (
      !model ||
      typeof model !== 'object' ||
      typeof target !== 'string' ||
      !target ||
      (dataset === undefined) === (csv === undefined)
    )
      throw new HttpError(400, `expected { model, dataset: id | csv: text, target, fit? }`);
    if (!fit || typeof fit !== 'object') throw new HttpError(400, `'fit' must be an object`);
    for (const k of Object.keys(fit)) if (!FIT.has(k)) throw new HttpError(400, `unknown fit option '${clip(k)}'`);
    let parameters;
    try {
      parameters = bp.jobs.specParameters(model, bp.jobs.declaredInputs(model) ?? 1);
    } catch (e) {
      throw new HttpError(400, e.message);
    }
    if (parameters > limits.maxParameters)
      throw new HttpError(400, `the model has ${parameters} parameters; the limit is ${limits.maxParameters}`);
    let ds;
    if (dataset !== undefined) {
      ds = typeof dataset === 'string' ? datasets.get(dataset) : undefined;
      if (!ds) throw new HttpError(404, `no dataset '${clip(dataset)}'; upload one with POST /datasets`);
    } else if (typeof csv !== 'string') throw new HttpError(400, `'csv' must be the CSV text`);
    const release = () => {
      if (ds) [ds.refs, ds.lastUsed] = [ds.refs - 1, Date.now()];
    };
    if (ds) ds.refs++; // held from here, so eviction cannot delete it under the job
    const id = newId('j');
    const dir = path.join(root, id);
    let job;
    try {
      await sweep();
      const queued = runner.queued([...jobs.values()].map((e) => e.job));
      if (queued >= limits.maxQueuedJobs)
        throw new HttpError(429, `${queued} jobs are waiting, the limit; try again later`);
      await fsp.mkdir(dir);
      if (!ds) await fsp.writeFile(path.join(dir, 'data.csv'), csv, { flag: 'wx', mode: 0o600 });
      const csvFile = ds ? ds.file : path.join(dir, 'data.csv');
      job = await runner.start(id, { model, csvFile, target, fit, dir });
    } catch (e) {
      release();
      await fsp.rm(dir, { recursive: true, force: true });
      if (e instanceof HttpError) e.message = publicMessage(e.message);
      throw e;
    }
    const entry = { job, dir, dataset: ds };
    jobs.set(id, entry);
    job.result.then(
      (r) => {
        entry.model = r.model;
        entry.classes = r.data?.classes ?? null;
        entry.final = Object.fromEntries(Object.entries(r.history).map(([k, v]) => [k, v.at(-1)]));
      },
      () => {},
    );
    job.once('end', () => {
      entry.finishedAt = Date.now();
      release();
      if (!ds) fsp.rm(path.join(dir, 'data.csv'), { force: true }).catch(log); // the data is no longer needed
    });
    return id;
  }

  function predict(entry, body) {
    const { model } = entry;
    const rows = body.rows;
    const width = model.inputSize;
    if (!Array.isArray(rows) || rows.length === 0)
      throw new HttpError(400, `'rows' must be a non-empty array of rows of ${width} numbers`);
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== width || !r.every((v) => typeof v === 'number' && Number.isFinite(v)))
        throw new HttpError(400, `rows[${i}] must be ${width} finite numbers`);
    });
    const macsPerRow = model.layers.reduce((sum, layer) => sum + layer.macsPerSample(), 0);
    const most = Math.floor(limits.maxPredictMacs / Math.max(1, macsPerRow));
    if (rows.length > most) throw new HttpError(413, `at most ${most} rows per request for this model`);
    const p = model.predict(rows);
    const cols = p.shape[1];
    const predictions = Array.from({ length: p.shape[0] }, (_, r) =>
      Array.from(p.data.subarray(r * cols, (r + 1) * cols)),
    );
    return { predictions, classes: entry.classes ?? null };
  }

  function events(req, res, job) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const write = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const error = () => (job.error ? publicMessage(job.error.message) : null);
    const onProgress = (p) => write('progress', p);
    const onEnd = (status) => {
      write('status', { status, error: error() });
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
  }

  async function route(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const [kind, id, action, ...rest] = url.pathname.split('/').filter(Boolean);
    if (rest.length) throw new HttpError(404, 'not found');
    if (kind === 'datasets') {
      if (req.method === 'POST' && !id) return send(res, 201, await upload(req));
      if (req.method === 'DELETE' && id && !action) {
        const d = datasets.get(id);
        if (!d) throw new HttpError(404, `no dataset '${clip(id)}'`);
        if (d.refs > 0) throw new HttpError(409, 'the dataset is in use by a job');
        await removeDataset(id);
        return send(res, 204, {});
      }
      throw new HttpError(404, 'not found');
    }
    if (kind !== 'jobs') throw new HttpError(404, 'not found');
    if (!id) {
      if (req.method === 'POST')
        return send(res, 201, { id: await createJob(await readJson(req, limits.maxJsonBytes)) });
      throw new HttpError(405, 'method not allowed');
    }
    const entry = jobs.get(id);
    if (!entry) throw new HttpError(404, `no job '${clip(id)}'`);
    const { job } = entry;
    if (req.method === 'GET' && !action) {
      const error = job.error ? publicMessage(job.error.message) : null;
      return send(res, 200, {
        id,
        status: job.status,
        progress: job.progress ?? null,
        final: entry.final ?? null,
        error,
      });
    }
    if (req.method === 'DELETE' && !action) {
      Promise.resolve(job.cancel()).catch(log); // a queued job's cancel goes through Redis
      return send(res, 202, { id, status: 'cancelling' });
    }
    if (req.method === 'GET' && action === 'events') return events(req, res, job);
    if (req.method === 'POST' && action === 'predict') {
      if (!entry.model) throw new HttpError(409, `job ${id} is ${job.status}; predictions need a completed job`);
      return send(res, 200, predict(entry, await readJson(req, limits.maxJsonBytes)));
    }
    throw new HttpError(405, 'method not allowed');
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((e) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) {
        // Over a limit mid-body: answer, then close rather than read the rest.
        const close = e.status === 413 ? { connection: 'close' } : {};
        return send(res, e.status, { error: e.message }, e.status === 429 ? { 'retry-after': '5', ...close } : close);
      }
      log(e); // unexpected: details stay in the log
      send(res, 500, { error: 'internal error' });
    });
  });
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = 30_000;
  server.requestTimeout = 300_000;

  /** Stops the server and every job, and deletes the service's files. */
  async function close() {
    clearInterval(sweeper);
    await runner.stop([...jobs.values()].map((e) => e.job));
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await Promise.all([...jobs.keys()].map((id) => runner.removeJob(id)));
    await fsp.rm(root, { recursive: true, force: true });
  }
  return { server, jobs, datasets, limits, root, queue: runner.queue, close, sweep };
}

module.exports = { createService, LIMITS };

if (require.main === module) {
  const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const env = (k) => process.env[`BP_SERVICE_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`];
  const flags = { port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' } };
  for (const k of ['redis', 'store', 'queue']) flags[k] = { type: 'string' };
  for (const k of Object.keys(LIMITS)) flags[kebab(k)] = { type: 'string' };
  const { values } = parseArgs({ options: flags });
  const options = {};
  for (const k of Object.keys(LIMITS)) {
    const v = values[kebab(k)] ?? env(k);
    if (v !== undefined) options[k] = Number(v);
  }
  const dataDir = values['data-dir'] ?? process.env.BP_SERVICE_DATA_DIR;
  const redis = values.redis ?? process.env.BACKPROP_REDIS;
  const store = values.store ?? process.env.BACKPROP_STORE;
  if (redis) options.queue = { connection: redis, store, ...(values.queue ? { name: values.queue } : {}) };
  let service;
  try {
    service = createService({ ...options, ...(dataDir ? { dataDir } : {}) });
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  const { server, close } = service;
  const port = Number(values.port ?? process.env.BP_SERVICE_PORT ?? 8080);
  server.listen(port, values.host ?? process.env.BP_SERVICE_HOST ?? '127.0.0.1', () =>
    console.log(`training service on http://${server.address().address}:${server.address().port}`),
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => close().then(() => process.exit(0)));
}
