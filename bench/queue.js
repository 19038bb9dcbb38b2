#!/usr/bin/env node
/**
 * Throughput of the job queue (bp.jobs.queue + `backprop worker`), on a redis-server this script starts on a
 * free port of 127.0.0.1 in a temporary directory (and stops), with a temporary store:
 *
 *  1. Overhead per job: many tiny jobs (a 2-8-2 model, 64 inline rows, 1 epoch) through 3 worker processes,
 *     as jobs/s, next to the same job run in-process by bp.jobs.train. The difference per job is what the
 *     queue costs: Redis round trips, the worker's checks and thread, saving the model to the store and the
 *     client loading it back.
 *  2. Scaling: a batch of equal jobs (an MLP on a CSV in the store, ~2-3 s each on an idle core, so fixed per-job costs do not dominate) finished by 1 worker
 *     process, then by 2, each with one BLAS thread; runs alternate (1, 2, 1, 2, …) and the ratio of each
 *     pair is reported, with the median and range. On 2 free cores the target is ≤ 0.6. Each pair is
 *     preceded by the same measure for plain CPU work (a loop of float multiply-adds: 4 units in 1 process,
 *     then 2 units in each of 2 processes): the best ratio the machine allows at that moment, so that a
 *     busy shared machine is seen as such rather than mistaken for queue overhead.
 *
 * Usage: node bench/queue.js [--quick] [--json]     (needs `npm run build` and redis-server on the PATH)
 * The machine should be otherwise idle: the ratio measures how well 2 processes use 2 cores.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const bp = require('..');

const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' } } });
const quick = !!args.quick;
const TINY_JOBS = quick ? 30 : 90;
const BATCH_JOBS = 4;
const PAIRS = quick ? 1 : 3;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (up)
      return { url: `redis://127.0.0.1:${port}`, stop: () => new Promise((r) => (proc.once('exit', r), proc.kill())) };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

/** A `backprop worker` process; resolves once it logged 'ready'. */
function startWorker(redis, store) {
  const proc = spawn(process.execPath, [CLI, 'worker', '--redis', redis, '--store', store, '--threads', '1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  const exited = new Promise((r) => proc.once('exit', r));
  const ready = new Promise((resolve, reject) => {
    let text = '';
    proc.stdout.setEncoding('utf8').on('data', (c) => {
      text += c;
      if (text.includes('"event":"ready"')) resolve();
    });
    exited.then(() => reject(new Error('a worker exited before it was ready')));
  });
  return {
    ready,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Seconds for `processes` processes to do `units` units of plain CPU work between them. */
async function cpuWork(units, processes) {
  const code = `let s = 0; for (let u = 0; u < +process.argv[1]; u++) for (let i = 0; i < 1e8; i++) s += i * 1e-9; if (s < 0) console.log(s);`;
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: processes },
      () =>
        new Promise((resolve) =>
          spawn(process.execPath, ['-e', code, String(units / processes)], { stdio: 'ignore' }).once('exit', resolve),
        ),
    ),
  );
  return (performance.now() - t0) / 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const round = (x, d = 3) => Number(x.toFixed(d));

const tinyRows = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]);
const tinySpec = {
  model: {
    seed: 1,
    layers: [
      { units: 8, activation: 'tanh', inputShape: [2] },
      { units: 2, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' },
  },
  data: { x: tinyRows, y: tinyRows.map((r) => (r[0] + r[1] > 0 ? 1 : 0)) },
  fit: { epochs: 1, batchSize: 16 },
};

/** A CSV of `rows` × 32 features and 10 classes, for the equal jobs of the scaling run. */
function writeCsv(file, rows) {
  const rng = new bp.Rng(7);
  const lines = [[...Array.from({ length: 32 }, (_, i) => `f${i}`), 'label'].join(',')];
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: 32 }, () => rng.normal(0, 1));
    const label = Math.abs(Math.floor((x[0] + x[1] - x[2]) * 3)) % 10;
    lines.push(`${x.map((v) => v.toFixed(4)).join(',')},${label}`);
  }
  fs.writeFileSync(file, lines.join('\n'));
}
const batchSpec = (seed) => ({
  model: {
    seed,
    layers: [
      { units: 256, activation: 'relu', inputShape: [32] },
      { units: 256, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' },
  },
  data: { csv: 'datasets/batch.csv', target: 'label' },
  fit: { epochs: quick ? 12 : 48, batchSize: 32 },
});

async function timed(queue, specs) {
  const t0 = performance.now();
  await Promise.all(specs.map((s) => queue.train(s).result));
  return (performance.now() - t0) / 1000;
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error('bench/queue.js: build first (npm run build)');
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('bench/queue.js: redis-server is missing');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bench-queue-'));
  const store = path.join(dir, 'store');
  fs.mkdirSync(path.join(store, 'datasets'), { recursive: true });
  writeCsv(path.join(store, 'datasets/batch.csv'), 4000);
  const redis = await startRedis(dir);
  const queue = bp.jobs.queue({ connection: redis.url, store });
  const out = { machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model }, quick };
  let workers = [];
  const useWorkers = async (n) => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = Array.from({ length: n }, () => startWorker(redis.url, store));
    await Promise.all(workers.map((w) => w.ready));
  };
  try {
    await queue.ready();
    // 1. Overhead per job.
    const local = bp.jobs.pool({ size: 1 });
    await local.train(tinySpec).result; // warm up
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await local.train({ ...tinySpec, blasThreads: 1 }).result;
    const inProcessMs = (performance.now() - t0) / 20;
    await useWorkers(3);
    await timed(queue, [tinySpec, tinySpec, tinySpec]); // warm up
    const seconds = await timed(queue, Array(TINY_JOBS).fill(tinySpec));
    const t1 = performance.now();
    for (let i = 0; i < 10; i++) await queue.train(tinySpec).result;
    const roundTripMs = (performance.now() - t1) / 10;
    out.overhead = {
      jobs: TINY_JOBS,
      workers: 3,
      jobsPerSecond: round(TINY_JOBS / seconds, 1),
      msPerJobPerWorker: round((seconds * 1000 * 3) / TINY_JOBS, 1),
      inProcessMsPerJob: round(inProcessMs, 1),
      oneJobRoundTripMs: round(roundTripMs, 1),
    };
    if (!args.json) console.log('overhead', JSON.stringify(out.overhead));

    // 2. 1 worker vs 2, alternating.
    const specs = Array.from({ length: BATCH_JOBS }, (_, i) => batchSpec(i + 1));
    const pairs = [];
    for (let p = 0; p < PAIRS; p++) {
      const cpuRatio = round((await cpuWork(4, 2)) / (await cpuWork(4, 1)));
      await useWorkers(1);
      const one = await timed(queue, specs);
      await useWorkers(2);
      const two = await timed(queue, specs);
      pairs.push({
        oneWorkerSeconds: round(one, 2),
        twoWorkersSeconds: round(two, 2),
        ratio: round(two / one),
        cpuRatio,
      });
      if (!args.json) console.log('scaling', JSON.stringify(pairs.at(-1)));
    }
    const ratios = pairs.map((p) => p.ratio);
    out.scaling = {
      jobs: BATCH_JOBS,
      blasThreadsPerWorker: 1,
      pairs,
      medianRatio: median(ratios),
      range: [Math.min(...ratios), Math.max(...ratios)],
      medianCpuRatio: median(pairs.map((p) => p.cpuRatio)),
      target: 0.6,
    };
    console.log(JSON.stringify(args.json ? out : { scaling: out.scaling }));
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.close();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e.message);
    process.exit(1);
  },
);
