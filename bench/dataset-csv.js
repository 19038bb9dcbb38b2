#!/usr/bin/env node
/**
 * Streamed CSV training (bp.data.csvDataset + model.fitDataset), on a numeric CSV this script writes to a
 * temporary directory (and deletes): 1,000,000 rows of 20 float features and a 0/1 label by default.
 *
 *  1. Parsing speed: pandas' `read_csv` (one thread; Debian's python3-pandas) against iterating the same
 *     file with csvDataset (1 and 2 parser threads, batches of 1024, no shuffle), in MB/s of CSV; best of
 *     `--repeat` runs each, alternating, so a busy machine slows both alike.
 *  2. Overlap: one epoch of fitDataset (an MLP, batches of 64, a shuffle buffer of 10,000 rows) against
 *     (a) iterating the same dataset without training and (b) fit on the same rows in memory (loadCsv, same
 *     batch size, shuffled); the target is fitDataset ≤ 1.3 × max(a, b). Best of `--repeat` each.
 *
 * Usage: node bench/dataset-csv.js [--rows N] [--repeat R] [--workers W] [--json]   (needs `npm run build`)
 * Timings are only comparable within one run, and only on an otherwise idle machine.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const bp = require('..');

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '3' },
    workers: { type: 'string', default: '' },
    json: { type: 'boolean' },
  },
});
const ROWS = Number(args.rows);
const REPEAT = Number(args.repeat);
const FEATURES = 20;
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** A numeric CSV: FEATURES normal floats printed with 6 significant digits, and a label from them. */
function writeCsv(file, rows) {
  const rng = new bp.Rng(1);
  const fd = fs.openSync(file, 'w');
  const header = [...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',') + '\n';
  fs.writeSync(fd, header);
  let buf = '';
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < FEATURES; j++) {
      const v = rng.normal();
      if (j < 3) s += v;
      buf += v.toPrecision(6) + ',';
    }
    buf += s > 0 ? '1\n' : '0\n';
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

/** pandas.read_csv's wall and CPU seconds (its process's, all threads). */
function pandas(file) {
  const code =
    'import pandas, time, sys\nt = time.perf_counter(); c = time.process_time()\npandas.read_csv(sys.argv[1])\n' +
    'print(time.perf_counter() - t, time.process_time() - c)';
  const r = spawnSync(PYTHON, ['-c', code, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pandas: ${r.stderr.trim().split('\n').pop()}`);
  const [wall, cpu] = r.stdout.trim().split(' ').map(Number);
  return { wall, cpu };
}

/** Wall and CPU seconds (this process's, every thread: main, loader, parsers) of one pass. */
async function iterate(file, options) {
  const ds = bp.data.csvDataset(file, { target: 'label', task: 'classification', classes: ['0', '1'], ...options });
  const t = performance.now();
  const c = process.cpuUsage();
  let rows = 0;
  await ds.forEachAsync((b) => {
    rows += b.xs.shape[0];
  });
  if (rows !== ROWS) throw new Error(`read ${rows} rows, expected ${ROWS}`);
  const cpu = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

function model() {
  const m = bp.sequential({
    seed: 1,
    layers: [
      bp.layers.dense({ units: 64, activation: 'relu', inputShape: [FEATURES] }),
      bp.layers.dense({ units: 32, activation: 'relu' }),
      bp.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

const best = (xs) => Math.min(...xs);

/** CPU seconds of each thread of this process so far (Linux: /proc/self/task/<tid>/stat), by thread id. */
function threadCpu() {
  const out = new Map();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) / 100); // utime + stime, in clock ticks of 1/100 s
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * What a run would take on idle cores, from the CPU time its threads used: at least its busiest thread's,
 * and at least all of it spread over the cores. A busy machine stretches wall time; this it stretches less.
 */
async function measured(body) {
  const before = threadCpu();
  const t = performance.now();
  await body();
  const wall = (performance.now() - t) / 1000;
  let total = 0,
    busiest = 0;
  for (const [tid, cpu] of threadCpu()) {
    const used = cpu - (before.get(tid) ?? 0);
    total += used;
    busiest = Math.max(busiest, used);
  }
  const cores = os.availableParallelism();
  return { wall, cpu: total, idleEstimate: Math.max(busiest, total / cores) };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bench-csv-'));
  const file = path.join(dir, 'numbers.csv');
  try {
    const tw = performance.now();
    writeCsv(file, ROWS);
    const bytes = fs.statSync(file).size;
    const MB = bytes / 1e6;
    if (!args.json)
      console.log(
        `${file}: ${ROWS} rows × ${FEATURES + 1} columns, ${MB.toFixed(1)} MB (${((performance.now() - tw) / 1000).toFixed(1)} s to write)`,
      );

    // 1. Parsing: pandas vs csvDataset, alternating.
    const parse = { pandas: [], workers1: [], workers2: [] };
    for (let i = 0; i < REPEAT; i++) {
      parse.pandas.push(pandas(file));
      parse.workers1.push(await iterate(file, { batchSize: 1024, workers: 1 }));
      parse.workers2.push(await iterate(file, { batchSize: 1024, workers: 2 }));
    }
    const mbps = (k) => MB / best(parse[k].map((r) => r.wall));
    const perCpu = (k) => MB / best(parse[k].map((r) => r.cpu));

    // 2. Overlap: fitDataset vs iterate-only vs fit in memory, alternating.
    const workers = args.workers ? Number(args.workers) : undefined;
    const stream = { batchSize: 64, shuffle: { buffer: 10000, seed: 1 }, workers };
    const d = bp.data.loadCsv(file, { target: 'label', classes: ['0', '1'] });
    const times = { iterate: [], memory: [], fitDataset: [] };
    for (let i = 0; i < REPEAT; i++) {
      times.iterate.push(await measured(() => iterate(file, stream)));
      const a = model();
      times.memory.push(await measured(() => a.fit(d.x, d.y, { epochs: 1, batchSize: 64, verbose: 0 })));
      const b = model();
      const ds = bp.data.csvDataset(file, { target: 'label', task: 'classification', classes: ['0', '1'], ...stream });
      times.fitDataset.push(await measured(() => b.fitDataset(ds, { epochs: 1, verbose: 0 })));
    }
    const it = best(times.iterate.map((r) => r.wall)),
      mem = best(times.memory.map((r) => r.wall)),
      fd = best(times.fitDataset.map((r) => r.wall));
    const est = (k) => best(times[k].map((r) => r.idleEstimate));
    const result = {
      machine: `${os.cpus()[0].model}, ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)}`,
      file: { rows: ROWS, columns: FEATURES + 1, megabytes: +MB.toFixed(1) },
      parseMBps: {
        pandas: +mbps('pandas').toFixed(1),
        csvDataset1Thread: +mbps('workers1').toFixed(1),
        csvDataset2Threads: +mbps('workers2').toFixed(1),
      },
      // MB per CPU-second (every thread of the process): less sensitive to a busy machine than wall time.
      parseMBperCpuSecond: {
        pandas: +perCpu('pandas').toFixed(1),
        csvDataset1Thread: +perCpu('workers1').toFixed(1),
        csvDataset2Threads: +perCpu('workers2').toFixed(1),
      },
      epochSeconds: { iterateOnly: +it.toFixed(2), fitInMemory: +mem.toFixed(2), fitDataset: +fd.toFixed(2) },
      fitDatasetOverMax: +(fd / Math.max(it, mem)).toFixed(2),
      // The same from CPU time: max(busiest thread, all threads / cores), each run's (see measured()).
      idleEstimateSeconds: {
        iterateOnly: +est('iterate').toFixed(2),
        fitInMemory: +est('memory').toFixed(2),
        fitDataset: +est('fitDataset').toFixed(2),
      },
      idleEstimateFitDatasetOverMax: +(est('fitDataset') / Math.max(est('iterate'), est('memory'))).toFixed(2),
      runs: { parse, times },
    };
    if (args.json) console.log(JSON.stringify(result));
    else {
      console.log(`machine: ${result.machine}`);
      console.log(
        `parse (MB/s, best of ${REPEAT}): pandas read_csv ${result.parseMBps.pandas} (1 thread); csvDataset ` +
          `${result.parseMBps.csvDataset1Thread} (1 parser thread), ${result.parseMBps.csvDataset2Threads} (2 parser threads)`,
      );
      const c = result.parseMBperCpuSecond;
      console.log(
        `parse (MB per CPU-second, all threads): pandas ${c.pandas}; csvDataset ${c.csvDataset1Thread} (1 parser), ` +
          `${c.csvDataset2Threads} (2 parsers)`,
      );
      console.log(
        `one epoch, batch 64, shuffled (s, best of ${REPEAT}): iterate only ${it.toFixed(2)}, fit in memory ` +
          `${mem.toFixed(2)}, fitDataset ${fd.toFixed(2)} → fitDataset / max = ${result.fitDatasetOverMax} (target ≤ 1.3)`,
      );
      const e = result.idleEstimateSeconds;
      console.log(
        `the same on idle cores, estimated from CPU time (max(busiest thread, all threads / cores)): iterate only ` +
          `${e.iterateOnly}, fit in memory ${e.fitInMemory}, fitDataset ${e.fitDataset} → ` +
          `${result.idleEstimateFitDatasetOverMax}`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
