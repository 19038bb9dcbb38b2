#!/usr/bin/env node
/**
 * Scaling of data-parallel fit (bp.distributed over Gloo) on this machine: the same global batch trained by
 * 1 rank and by 2 ranks (each with one BLAS thread, started by `backprop launch`), for the 784-256-128-10 MLP
 * at global batch 256 and the keras CNN at global batch 128. Prints samples/s of each, the ratio (2 ranks
 * against 1; 2.0 is perfect scaling) and the time rank 0 waited per step for the gradients to be summed, after
 * its own backward. Synthetic data; a one-epoch fit warms up, then a fit of TIMED_EPOCHS epochs is timed.
 *
 * Two reference figures put the ratio in context (skip them with --no-reference):
 *   - "independent": two plain (not distributed) processes at the per-rank batch running at the same time, against
 *     one at the global batch: what 2 processes get from 2 cores with no communication at all (the ceiling);
 *   - "allreduce": the time of one sum of the model's gradient over 2 ranks with nothing else running (the
 *     communication a step cannot avoid; the first layer's gradient, finished last, cannot overlap backward).
 *
 * Every process, the 1-rank run included, is bound to a CPU of its own (`backprop launch --cpus-per-rank 1`).
 *
 * Usage: node bench/distributed.js [--quick] [--json] [--no-reference]   (needs `npm run build` with libgloo-dev)
 * Measure on an otherwise idle machine: the ratio measures how well 2 processes use 2 cores.
 */
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const { allowedCpus } = require('../dist/distributed/cpus');
// The timed fit runs several epochs: fit's one-time work (checking every input value is finite, on every rank;
// broadcasting the weights) is then paid as in real training, once per fit and not once per epoch measured.
const TIMED_EPOCHS = 3;
const SELF = path.resolve(__dirname, 'distributed.js');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    'no-reference': { type: 'boolean' },
    worker: { type: 'string' },
    mode: { type: 'string' },
    global: { type: 'string' },
    steps: { type: 'string' },
    cpu: { type: 'string' },
  },
});

/** The benchmark's model ('mlp' or 'cnn'), compiled, with its input width and shape. */
function buildModel(bp, kind) {
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
  return { model, cols, inputShape };
}

/** Uniform random inputs and one-hot targets cycling through the 10 classes (the same on every rank). */
function syntheticData(bp, rows, cols, inputShape) {
  const rng = new bp.Rng(3);
  const x = bp.tensor(
    Float32Array.from({ length: rows * cols }, () => rng.uniform(0, 1)),
    [rows, ...inputShape],
  );
  const y = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) y[r * 10 + (r % 10)] = 1;
  return { x, y: bp.tensor(y, [rows, 10]) };
}

/** One plain process (no group) fitting `steps` batches of `batch`: samples/s after a warm-up epoch. */
async function alone(kind, batch, steps) {
  const bp = require('..');
  // On one CPU of its own, as each rank of a launch with --cpus-per-rank 1.
  require('../dist/distributed/native')
    .loadGloo()
    .setAffinity([Number(args.cpu)]);
  const { model, cols, inputShape } = buildModel(bp, kind);
  const rows = batch * steps;
  const { x, y } = syntheticData(bp, rows, cols, inputShape);
  const fitArgs = { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 };
  await model.fit(x, y, fitArgs);
  const t0 = performance.now();
  await model.fit(x, y, { ...fitArgs, epochs: TIMED_EPOCHS });
  const samplesPerSecond = (rows * TIMED_EPOCHS) / ((performance.now() - t0) / 1000);
  process.stdout.write(`RESULT ${JSON.stringify({ samplesPerSecond })}\n`);
}

/** The model's whole gradient summed over the group as one bucket, `reps` times: ms per sum, on rank 0. */
async function allreduceOnly(kind, reps) {
  const bp = require('..');
  await bp.distributed.init();
  const { nativeGroup } = require('../dist/distributed/group');
  const { model } = buildModel(bp, kind);
  const values = model.params().reduce((n, p) => n + p.grad.length, 0);
  const shared = (n) => new Float32Array(new SharedArrayBuffer(4 * n));
  const grad = shared(values).fill(1);
  const { group, busyPoll } = nativeGroup('bench');
  // As a step's last bucket: summed while the main thread waits (busy-polling where init chose it).
  const bucket = group.addBucket(shared(values), [grad], true, busyPoll);
  for (let i = 0; i < 20; i++) {
    group.reduce(bucket);
    await group.flush();
  }
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    group.reduce(bucket);
    await group.flush();
  }
  const ms = (performance.now() - t0) / reps;
  if (bp.distributed.rank() === 0) process.stdout.write(`RESULT ${JSON.stringify({ ms, bytes: values * 4 })}\n`);
  await bp.distributed.destroy();
}

async function worker(kind, globalBatch, steps) {
  const bp = require('..');
  await bp.distributed.init();
  const n = bp.distributed.worldSize();
  const { model, cols, inputShape } = buildModel(bp, kind);
  const rows = globalBatch * steps;
  const { x, y } = syntheticData(bp, rows, cols, inputShape);
  const fitArgs = { epochs: 1, batchSize: globalBatch / n, shuffle: false, distributed: true, verbose: 0 };
  await model.fit(x, y, fitArgs); // warm-up
  const t0 = performance.now();
  await model.fit(x, y, { ...fitArgs, epochs: TIMED_EPOCHS });
  const seconds = (performance.now() - t0) / 1000;
  const s = bp.distributed.fitStats();
  if (bp.distributed.rank() === 0) {
    const out = {
      kind,
      ranks: n,
      samplesPerSecond: (rows * TIMED_EPOCHS) / seconds,
      waitMsPerStep: s.waitMs / s.steps,
      overlap: s.overlap,
    };
    out.gradientBytesPerStep = s.gradientValues * 4;
    process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  }
  await bp.distributed.destroy();
}

function resultOf(stdout, what, stderr, status) {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (status !== 0 || !line) throw new Error(`${what} failed: ${stderr}`);
  return JSON.parse(line.slice(7));
}

/** Plain processes, one per batch size given, started together: their samples/s. */
async function independent(kind, batches, steps) {
  const env = { ...process.env, BACKPROP_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const cpus = allowedCpus();
  const runs = batches.map(
    (batch, i) =>
      new Promise((resolve, reject) => {
        const args = [SELF, '--mode', 'alone', '--worker', kind, '--global', String(batch), '--steps', String(steps)];
        const child = spawn(process.execPath, [...args, '--cpu', String(cpus[i % cpus.length])], { env });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('close', (code) => {
          try {
            resolve(resultOf(out, `${kind} alone at batch ${batch}`, err, code).samplesPerSecond);
          } catch (e) {
            reject(e);
          }
        });
      }),
  );
  return Promise.all(runs);
}

function launch(kind, nproc, mode, globalBatch, steps) {
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'launch',
      // One CPU per rank, 1 rank included: a one-thread rank spread over two CPUs of a VM was 10-19% slower
      // (its off-thread ops woke on the other, idle vCPU), which would flatter the ratio.
      '--cpus-per-rank',
      '1',
      '--nproc',
      String(nproc),
      SELF,
      '--mode',
      mode,
      '--worker',
      kind,
      '--global',
      String(globalBatch),
      '--steps',
      String(steps),
    ],
    { encoding: 'utf8' },
  );
  return resultOf(r.stdout, `${kind} ${mode} with ${nproc} rank(s)`, r.stderr, r.status);
}

/** The element of `items` whose `value(item)` is the median. */
function median(items, value = (run) => run.samplesPerSecond) {
  return items.slice().sort((a, b) => value(a) - value(b))[items.length >> 1];
}

async function main() {
  const quick = !!args.quick;
  const results = [];
  for (const [kind, globalBatch, steps] of [
    ['mlp', 256, quick ? 20 : 200],
    ['cnn', 128, quick ? 3 : 20],
  ]) {
    // Launches alternate (1 rank, 2 ranks, ...) and each figure is the median of its runs, so drift of a shared
    // machine touches both alike and one slow launch does not decide the ratio.
    const rounds = quick ? 1 : 3;
    const ones = [];
    const twos = [];
    for (let r = 0; r < rounds; r++) {
      ones.push(launch(kind, 1, 'fit', globalBatch, steps));
      twos.push(launch(kind, 2, 'fit', globalBatch, steps));
    }
    const one = median(ones);
    const two = median(twos);
    const reference = {};
    if (!args['no-reference']) {
      // The same alternation for the ceiling: one process at the global batch, then two at half of it together.
      const pairs = [];
      for (let r = 0; r < rounds; r++) {
        const [single] = await independent(kind, [globalBatch], steps);
        const [a, b] = await independent(kind, [globalBatch / 2, globalBatch / 2], steps * 2);
        pairs.push((a + b) / single);
      }
      reference.independentRatio = +median(pairs, (ratio) => ratio).toFixed(2);
      reference.allreduceMs = +launch(kind, 2, 'allreduce', globalBatch, quick ? 50 : 300).ms.toFixed(3);
    }
    results.push({
      model: kind === 'mlp' ? 'MLP 784-256-128-10' : 'keras CNN',
      globalBatch,
      samplesPerSecond1: Math.round(one.samplesPerSecond),
      samplesPerSecond2: Math.round(two.samplesPerSecond),
      ratio: +(two.samplesPerSecond / one.samplesPerSecond).toFixed(2),
      waitMsPerStep2: +two.waitMsPerStep.toFixed(2),
      overlap2: two.overlap,
      gradientBytesPerStep: two.gradientBytesPerStep,
      ...reference,
    });
  }
  if (args.json) console.log(JSON.stringify(results));
  else
    for (const r of results)
      console.log(
        `${r.model} at global batch ${r.globalBatch}: 1 rank ${r.samplesPerSecond1} samples/s, 2 ranks ` +
          `${r.samplesPerSecond2} samples/s (×${r.ratio}); rank 0 waited ${r.waitMsPerStep2} ms/step for the ` +
          `gradients (${(r.gradientBytesPerStep / 1e6).toFixed(2)} MB per rank per step, summed ` +
          `${r.overlap2 ? 'while backward ran' : 'once backward ended'})` +
          (r.independentRatio === undefined
            ? ''
            : `; two independent processes at half the batch: ×${r.independentRatio} of one at the whole batch; ` +
              `one sum of the gradient over 2 idle ranks: ${r.allreduceMs} ms`),
      );
}

const modes = { fit: worker, alone, allreduce: (kind, global, steps) => allreduceOnly(kind, steps) };
const fail = (e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
};
if (args.worker) {
  const mode = modes[args.mode ?? 'fit'];
  if (!mode) fail(new Error(`--mode: one of ${Object.keys(modes).join(', ')}`));
  else mode(args.worker, Number(args.global), Number(args.steps)).catch(fail);
} else main().catch(fail);
