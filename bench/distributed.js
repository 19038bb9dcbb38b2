#!/usr/bin/env node
/**
 * Scaling of data-parallel fit (bp.distributed over Gloo) on this machine: the same global batch trained by
 * 1 rank and by 2 ranks (each with one BLAS thread, started by `backprop launch`), for the 784-256-128-10 MLP
 * at global batch 256 and the keras CNN at global batch 128. Prints samples/s of each, the ratio (2 ranks
 * against 1; 2.0 is perfect scaling) and the time rank 0 waited per step for the gradients to be summed, after
 * its own backward. Synthetic data; the first epoch warms up and is not timed.
 *
 * Usage: node bench/distributed.js [--quick] [--json]    (needs `npm run build` with libgloo-dev installed)
 * Measure on an otherwise idle machine: the ratio measures how well 2 processes use 2 cores.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    worker: { type: 'string' },
    global: { type: 'string' },
    steps: { type: 'string' },
  },
});

async function worker(kind, globalBatch, steps) {
  const bp = require('..');
  await bp.distributed.init();
  const n = bp.distributed.worldSize();
  let model, cols, inputShape;
  if (kind === 'mlp') {
    const L = bp.layers;
    model = bp.sequential({
      seed: 1,
      layers: [
        L.dense({ units: 256, activation: 'relu', inputShape: [784] }),
        L.dense({ units: 128, activation: 'relu' }),
        L.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: bp.optimizers.sgd({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
    cols = 784;
    inputShape = [784];
  } else {
    model = require('../dist/bench/cnn-bench').cnnModel('keras', 1);
    cols = 28 * 28;
    inputShape = [28, 28, 1];
  }
  const rows = globalBatch * steps;
  const rng = new bp.Rng(3);
  const x = bp.tensor(
    Float32Array.from({ length: rows * cols }, () => rng.uniform(0, 1)),
    [rows, ...inputShape],
  );
  const y = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) y[r * 10 + (r % 10)] = 1;
  const fitArgs = { epochs: 1, batchSize: globalBatch / n, shuffle: false, distributed: true, verbose: 0 };
  await model.fit(x, bp.tensor(y, [rows, 10]), fitArgs); // warm-up
  const t0 = performance.now();
  await model.fit(x, bp.tensor(y, [rows, 10]), fitArgs);
  const seconds = (performance.now() - t0) / 1000;
  const s = bp.distributed.fitStats();
  if (bp.distributed.rank() === 0) {
    const out = { kind, ranks: n, samplesPerSecond: rows / seconds, waitMsPerStep: s.waitMs / s.steps };
    out.gradientBytesPerStep = s.gradientValues * 4;
    process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  }
  await bp.distributed.destroy();
}

function run(kind, nproc, globalBatch, steps) {
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'launch',
      '--nproc',
      String(nproc),
      path.resolve(__dirname, 'distributed.js'),
      '--worker',
      kind,
      '--global',
      String(globalBatch),
      '--steps',
      String(steps),
    ],
    { encoding: 'utf8' },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`${kind} with ${nproc} rank(s) failed: ${r.stderr}`);
  return JSON.parse(line.slice(7));
}

/** The run with the median samples/s. */
function median(runs) {
  return runs.slice().sort((a, b) => a.samplesPerSecond - b.samplesPerSecond)[runs.length >> 1];
}

function main() {
  const quick = !!args.quick;
  const results = [];
  for (const [kind, globalBatch, steps] of [
    ['mlp', 256, quick ? 20 : 400],
    ['cnn', 128, quick ? 3 : 40],
  ]) {
    // Launches alternate (1 rank, 2 ranks, ...) and each figure is the median of its runs, so drift of a shared
    // machine touches both alike and one slow launch does not decide the ratio.
    const rounds = quick ? 1 : 3;
    const ones = [];
    const twos = [];
    for (let r = 0; r < rounds; r++) {
      ones.push(run(kind, 1, globalBatch, steps));
      twos.push(run(kind, 2, globalBatch, steps));
    }
    const one = median(ones);
    const two = median(twos);
    results.push({
      model: kind === 'mlp' ? 'MLP 784-256-128-10' : 'keras CNN',
      globalBatch,
      samplesPerSecond1: Math.round(one.samplesPerSecond),
      samplesPerSecond2: Math.round(two.samplesPerSecond),
      ratio: +(two.samplesPerSecond / one.samplesPerSecond).toFixed(2),
      waitMsPerStep2: +two.waitMsPerStep.toFixed(2),
      gradientBytesPerStep: two.gradientBytesPerStep,
    });
  }
  if (args.json) console.log(JSON.stringify(results));
  else
    for (const r of results)
      console.log(
        `${r.model} at global batch ${r.globalBatch}: 1 rank ${r.samplesPerSecond1} samples/s, 2 ranks ` +
          `${r.samplesPerSecond2} samples/s (×${r.ratio}); rank 0 waited ${r.waitMsPerStep2} ms/step for the ` +
          `gradients (${(r.gradientBytesPerStep / 1e6).toFixed(2)} MB per rank per step)`,
      );
}

if (args.worker) {
  worker(args.worker, Number(args.global), Number(args.steps)).catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
} else main();
