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
 *   maxDatasets       16          complete uploads stored at once (429 beyond)
 *   maxUploadsInProgress 4        uploads being received at once (429 beyond); with maxDatasets and
 *                                 maxUploadBytes this bounds the disk: (16 + 4) × 64 MiB
 *   maxUploadsPerClient  2        uploads being received at once from one client address (429 beyond)
 *   minBodyBytesPerSecond 16384   a request body (upload or JSON) arriving slower than this over 10 s is
 *                                 dropped (408): a slow sender cannot hold an upload slot
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
 *   maxConnectionsPerClient 32    open connections from one client address (an IPv6 client: its /64);
 *                                 beyond, a connection is answered 429 and closed
 *   idleSeconds       30          a connection on which nothing is received or sent for this long is closed
 *                                 (event streams send a comment line every idleSeconds / 3 to stay open)
 *   headersSeconds    10          time to send a request's headers (408 beyond)
 *   requestSeconds    300         time to send a whole request, body included (408 beyond)
 *   workerPriority    10          nice value of training threads (Linux), so requests are served first
 * Behind a reverse proxy every client has the proxy's address: raise maxConnectionsPerClient and
 * maxUploadsPerClient to the totals and limit clients in the proxy instead.
 * Numbers in responses are JSON numbers, except NaN and ±Infinity (a validation loss that overflowed),
 * which are the strings 'NaN', 'Infinity' and '-Infinity' (bp.jobs.toJson).
 * Files live in a directory of their own under dataDir (option; --data-dir; default the system temp dir),
 * removed by close() (SIGINT/SIGTERM for the script).
 * Memory: a finished job's worker exits and its memory is freed, but glibc keeps memory freed by threads in
 * per-thread arenas once large buffers have raised its mmap threshold. Run the service with
 * MALLOC_MMAP_THRESHOLD_=131072 in its environment so that memory goes back to the system (8 jobs on 45 MB
 * CSVs: ~20 MB kept with it, ~150 MB without; test/load/service-load.test.ts measures it).
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
  maxConnectionsPerClient: 32,
  maxUploadsInProgress: 4,
  maxUploadsPerClient: 2,
  minBodyBytesPerSecond: 16384,
  idleSeconds: 30,
  headersSeconds: 10,
  requestSeconds: 300,
  workerPriority: 10,
};

/** A body's rate is measured over windows of this length. */
const RATE_WINDOW_MS = 10_000;

/** An error whose message is safe to show the client, with its HTTP status. */
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}
const clip = (s, n = 60) => (String(s).length > n ? `${String(s).slice(0, n)}…` : String(s));

/** JSON with NaN and ±Infinity as strings: JSON.stringify would send a diverged loss as null. */
function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(bp.jobs.toJson(body));
}

/**
 * Counts a body's bytes as they arrive and throws 408 when, over a window of RATE_WINDOW_MS, they came
 * slower than `minRate` bytes/s: a client trickling a byte at a time would otherwise hold its upload slot
 * (and its connection) until requestSeconds. A body that stops altogether is closed by idleSeconds.
 */
function rateGuard(minRate) {
  let start = Date.now();
  let bytes = 0;
  return (n) => {
    bytes += n;
    const ms = Date.now() - start;
    if (ms < RATE_WINDOW_MS) return;
    const rate = Math.floor((bytes * 1000) / ms);
    if (rate < minRate)
      throw new HttpError(408, `the request body arrives at ${rate} bytes/s, below the ${minRate} this server needs`);
    [start, bytes] = [Date.now(), 0];
  };
}

/** Reads a request body of at most `max` bytes (413 beyond, before reading it when the length is declared). */
function readBody(req, max, minRate) {
  if (Number(req.headers['content-length']) > max)
    return Promise.reject(new HttpError(413, `the request body is over the limit of ${max} bytes`));
  const guard = rateGuard(minRate);
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      try {
        if (size > max) throw new HttpError(413, `the request body is over the limit of ${max} bytes`);
        guard(c.length);
      } catch (e) {
        req.removeAllListeners('data');
        reject(e);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJson(req, limits) {
  const text = (await readBody(req, limits.maxJsonBytes, limits.minBodyBytesPerSecond)).toString('utf8');
  try {
    const v = JSON.parse(text || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error();
    return v;
  } catch {
    throw new HttpError(400, 'the body must be a JSON object');
  }
}

/** Streams the request body into `file` (a name the server chose), at most `max` bytes, at least `minRate` bytes/s. */
async function saveUpload(req, file, max, minRate) {
  if (Number(req.headers['content-length']) > max)
    throw new HttpError(413, `the upload is over the limit of ${max} bytes`);
  let bytes = 0;
  const guard = rateGuard(minRate);
  const count = async function* (source) {
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes > max) throw new HttpError(413, `the upload is over the limit of ${max} bytes`);
      guard(chunk.length);
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
  if (limits.headersSeconds > limits.requestSeconds)
    throw new Error(`createService(): 'headersSeconds' must be at most 'requestSeconds'`);
}

/**
 * The address a client's connections are counted under: an IPv4 address (also IPv4-mapped IPv6), or an
 * IPv6 address's /64 — one client (a home, a cloud instance) is routinely given a whole /64.
 */
function clientKey(address = '') {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (v4) return v4[1];
  const bare = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0)
  const [head, tail] = bare.split('::');
  const groups = head ? head.split(':') : [];
  if (tail !== undefined) {
    const rest = tail ? tail.split(':') : [];
    groups.push(...Array(Math.max(0, 8 - groups.length - rest.length)).fill('0'), ...rest);
  }
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
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

function queueRunner(limits, { connection, store: storeDir, name, ...rest }, log) {
  for (const k of Object.keys(rest)) throw new Error(`createService(): unknown queue option '${k}'`);
  if (typeof storeDir !== 'string' || !storeDir)
    throw new Error(`createService(): 'queue.store' must be the directory shared with the workers`);
  const store = bp.jobs.directoryStore(storeDir);
  const root = fs.mkdtempSync(path.join(store.root, 'service-'));
  const queue = bp.jobs.queue({ connection, name, store });
  // Entries in Redis that are not what a worker writes are skipped by the client; the operator hears of them.
  queue.on('warning', (e) => log(`queue: ${e.message}`));
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
  const runner = queue ? queueRunner(limits, queue, log) : inProcessRunner(limits, dataDir);
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

  /** Uploads being received: in all, and per client address. */
  const receiving = { total: 0, byClient: new Map() };
  const storedFull = () =>
    new HttpError(429, `${datasets.size} uploads are stored, the limit; delete one or wait for retention`);

  /**
   * An upload takes a stored dataset's slot only once it is complete: one still arriving holds one of the
   * maxUploadsInProgress slots instead (at most maxUploadsPerClient per client), and only while it arrives
   * at minBodyBytesPerSecond.
   */
  async function upload(req) {
    await sweep();
    if (datasets.size >= limits.maxDatasets) throw storedFull();
    const client = clientKey(req.socket.remoteAddress);
    const mine = receiving.byClient.get(client) ?? 0;
    if (mine >= limits.maxUploadsPerClient)
      throw new HttpError(429, `${mine} uploads from your address are arriving, the limit; wait for them`);
    if (receiving.total >= limits.maxUploadsInProgress)
      throw new HttpError(429, `${receiving.total} uploads are arriving, the limit; try again later`);
    receiving.total++;
    receiving.byClient.set(client, mine + 1);
    const id = newId('d');
    const file = path.join(root, `${id}.csv`);
    let bytes;
    try {
      bytes = await saveUpload(req, file, limits.maxUploadBytes, limits.minBodyBytesPerSecond);
    } finally {
      receiving.total--;
      const left = receiving.byClient.get(client) - 1;
      if (left > 0) receiving.byClient.set(client, left);
      else receiving.byClient.delete(client);
    }
    if (datasets.size >= limits.maxDatasets) {
      // others completed while this one arrived
      await fsp.rm(file, { force: true });
      throw storedFull();
    }
    datasets.set(id, { file, bytes, refs: 0, lastUsed: Date.now() });
    return { id, bytes };
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
    job.result
      .then((r) => {
        entry.model = r.model;
        entry.classes = r.data?.classes ?? null;
        entry.final = Object.fromEntries(Object.entries(r.history).map(([k, v]) => [k, v.at(-1)]));
      })
      .catch((e) => (job.error ? undefined : log(e))); // a failed job is shown by GET; anything else is a bug
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
    const write = (text) => {
      if (!res.writableEnded && !res.destroyed) res.write(text);
    };
    const event = (name, data) => write(`event: ${name}\ndata: ${bp.jobs.toJson(data)}\n\n`);
    const error = () => (job.error ? publicMessage(job.error.message) : null);
    const onProgress = (p) => event('progress', p);
    // A comment line now and then: a job waiting in the queue sends nothing, and idle connections are closed.
    const heartbeat = setInterval(() => write(': waiting\n\n'), (limits.idleSeconds * 1000) / 3);
    const stop = () => {
      clearInterval(heartbeat);
      job.off('progress', onProgress);
      job.off('end', onEnd);
    };
    const onEnd = (status) => {
      stop();
      event('status', { status, error: error() });
      res.end();
    };
    event('status', { status: job.status });
    if (['completed', 'failed', 'cancelled'].includes(job.status)) return onEnd(job.status);
    job.on('progress', onProgress);
    job.once('end', onEnd);
    req.on('close', stop);
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
      if (req.method === 'POST') return send(res, 201, { id: await createJob(await readJson(req, limits)) });
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
      return send(res, 200, predict(entry, await readJson(req, limits)));
    }
    throw new HttpError(405, 'method not allowed');
  }

  const headersMs = limits.headersSeconds * 1000;
  // Header and request timeouts are checked this often (Node's default, 30 s, would let a slow client
  // keep a connection for headersSeconds + 30 s).
  const server = http.createServer({ connectionsCheckingInterval: Math.min(1000, headersMs) }, (req, res) => {
    if (req.socket.refused) return res.destroy();
    route(req, res).catch((e) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) {
        // Refused before the body was read (over a limit, too slow, no slot): answer, then close rather
        // than read the rest — a client trickling it would otherwise keep the connection.
        const close = req.complete ? {} : { connection: 'close' };
        return send(res, e.status, { error: e.message }, e.status === 429 ? { 'retry-after': '5', ...close } : close);
      }
      log(e); // unexpected: details stay in the log
      send(res, 500, { error: 'internal error' });
    });
  });
  server.maxConnections = limits.maxConnections;
  // A connection that sends nothing (not even a request) is closed after idleSeconds: headersTimeout
  // starts only with a request's first byte, so without this 256 silent connections would lock every
  // other client out for good.
  server.timeout = limits.idleSeconds * 1000;
  server.headersTimeout = headersMs;
  server.requestTimeout = limits.requestSeconds * 1000;
  const connections = new Map(); // client address → open connections
  server.on('connection', (socket) => {
    const client = clientKey(socket.remoteAddress);
    const open = (connections.get(client) ?? 0) + 1;
    if (open > limits.maxConnectionsPerClient) {
      socket.refused = true;
      const body = JSON.stringify({ error: `${open - 1} connections from your address are open, the limit` });
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 5\r\n` +
          `connection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      socket.destroySoon();
      return;
    }
    connections.set(client, open);
    socket.once('close', () => {
      const left = connections.get(client) - 1;
      if (left > 0) connections.set(client, left);
      else connections.delete(client);
    });
  });

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
