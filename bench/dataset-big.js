#!/usr/bin/env node
/**
 * Data larger than memory: one epoch of model.fitDataset over a numeric CSV of 5 GB (by default) streamed
 * from disk, with the process's peak resident memory, and the time per epoch at a quarter, half and all of
 * the file (it should grow linearly with the file's size, with memory flat). The CSV is written to a
 * temporary directory (a 64 MiB block of random rows, repeated) by a child process — so that writing it
 * does not count in this process's peak memory — and deleted at the end, also on failure.
 *
 * The target: peak RSS under 600 MB whatever the file's size — memory is the prefetch and shuffle buffers,
 * the chunks in flight and the worker threads, not the data.
 *
 * Usage: node bench/dataset-big.js [--gigabytes 5] [--dir /tmp] [--json]   (needs `npm run build`; ~10 GB
 * of disk traffic)
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const bp = require('..');

const { values: args } = parseArgs({
  options: {
    gigabytes: { type: 'string', default: '5' },
    dir: { type: 'string', default: os.tmpdir() },
    json: { type: 'boolean' },
    grow: { type: 'string' }, // internal: the child that writes the file (--grow file --to bytes)
    to: { type: 'string' },
  },
});
const TOTAL = Number(args.gigabytes) * 1e9;
const FEATURES = 20;
const BLOCK = 64 << 20;

/** Writes a block of CSV rows (20 normal features, a 0/1 label), about BLOCK bytes, to `file`. */
function writeBlock(file) {
  const rng = new bp.Rng(1);
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let buf = '';
  while (bytes < BLOCK) {
    let s = 0;
    for (let j = 0; j < FEATURES; j++) {
      const v = rng.normal();
      if (j < 3) s += v;
      buf += v.toPrecision(6) + ',';
    }
    buf += s > 0 ? '1\n' : '0\n';
    if (buf.length > 1 << 20) {
      bytes += fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

/** (In the child.) Appends the block to `file` until it holds at least `size` bytes. */
function growTo(file, size) {
  const blockFile = path.join(path.dirname(file), 'block.csv');
  if (!fs.existsSync(blockFile)) writeBlock(blockFile);
  const data = fs.readFileSync(blockFile);
  let have = fs.existsSync(file) ? fs.statSync(file).size : 0;
  const fd = fs.openSync(file, 'a');
  try {
    if (have === 0) {
      const header = Buffer.from([...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',') + '\n');
      have += fs.writeSync(fd, header);
    }
    while (have < size) have += fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}

/** Grows the file in a child process; returns its size. */
function grow(file, size) {
  const script = path.join(__dirname, 'dataset-big.js');
  const r = spawnSync(process.execPath, [script, '--grow', file, '--to', String(size)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`writing ${file} failed`);
  return fs.statSync(file).size;
}

/** The process's peak resident set (VmHWM, every thread included) and the current one, in MB. */
function memory() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)[1]);
  return { peakMB: Math.round(kb('VmHWM') / 1024), nowMB: Math.round(kb('VmRSS') / 1024) };
}

async function epoch(file) {
  const m = bp.sequential({
    seed: 1,
    layers: [
      bp.layers.dense({ units: 32, activation: 'relu', inputShape: [FEATURES] }),
      bp.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const ds = bp.data.csvDataset(file, {
    target: 'label',
    task: 'classification',
    classes: ['0', '1'],
    batchSize: 1024,
    shuffle: { buffer: 10000, seed: 1 },
  });
  let sampledPeak = 0;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss())), 200);
  const t = performance.now();
  const c = process.cpuUsage();
  try {
    const h = await m.fitDataset(ds, { epochs: 1, verbose: 0 });
    const cpu = process.cpuUsage(c);
    return {
      seconds: (performance.now() - t) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rows: ds.lastPass.rows,
      accuracy: +h.history.accuracy[0].toFixed(4),
      sampledPeakMB: Math.round(sampledPeak / 2 ** 20),
    };
  } finally {
    clearInterval(sampler);
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(args.dir, 'bp-bench-big-'));
  const file = path.join(dir, 'big.csv');
  const out = { machine: `${os.cpus()[0].model}, ${os.availableParallelism()} cores`, epochs: [] };
  try {
    for (const fraction of [0.25, 0.5, 1]) {
      const tw = performance.now();
      const bytes = grow(file, TOTAL * fraction);
      const writeSeconds = (performance.now() - tw) / 1000;
      const before = memory();
      const e = await epoch(file);
      const after = memory();
      const gb = bytes / 1e9;
      const r = {
        gigabytes: +gb.toFixed(2),
        rows: e.rows,
        seconds: +e.seconds.toFixed(1),
        secondsPerGB: +(e.seconds / gb).toFixed(2),
        // CPU seconds of every thread (main, loader, parsers) per GB: less sensitive to a busy machine.
        cpuSecondsPerGB: +(e.cpuSeconds / gb).toFixed(2),
        MBps: +(bytes / 1e6 / e.seconds).toFixed(1),
        accuracy: e.accuracy,
        rssPeakMB: after.peakMB,
        rssSampledPeakMB: e.sampledPeakMB,
        rssBeforeMB: before.nowMB,
        loadAverage: +os.loadavg()[0].toFixed(1),
        writeSeconds: +writeSeconds.toFixed(1),
      };
      out.epochs.push(r);
      if (!args.json)
        console.log(
          `${r.gigabytes} GB, ${r.rows} rows: one fitDataset epoch ${r.seconds} s (${r.secondsPerGB} s/GB, ` +
            `${r.cpuSecondsPerGB} CPU-s/GB, ${r.MBps} MB/s), ` +
            `peak RSS ${r.rssPeakMB} MB (load average ${r.loadAverage})`,
        );
    }
    const [a, , c] = out.epochs;
    out.linearity = +(c.secondsPerGB / a.secondsPerGB).toFixed(2);
    out.cpuLinearity = +(c.cpuSecondsPerGB / a.cpuSecondsPerGB).toFixed(2);
    out.peakRssMB = memory().peakMB;
    if (args.json) console.log(JSON.stringify(out));
    else
      console.log(
        `seconds per GB at ${c.gigabytes} GB / at ${a.gigabytes} GB: ${out.linearity} (1 = linear; CPU seconds ` +
          `per GB: ${out.cpuLinearity}); ` +
          `peak RSS of the whole run ${out.peakRssMB} MB (target < 600)`,
      );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (args.grow) {
  growTo(args.grow, Number(args.to));
  process.exit(0);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
