#!/usr/bin/env node
// The residual CNN's accuracy recipe with backprop: src/bench/residual-cnn.ts (functional API) on the built-in
// digits (8,000 train / 2,000 test, seed 0), 5 epochs, batch 64, Adam 1e-3, sparse categorical cross-entropy.
// The seed draws the initial weights and each epoch's order of the training rows (bp.Rng#shuffle).
// Prints one JSON line with the test accuracy and the training time. `--export DIR` writes the split, the initial
// weights and the epoch orders as raw little-endian files for bench/residual_accuracy.py, so PyTorch trains the
// same network from the same weights on exactly the same batches: a paired comparison, in which only the two
// libraries' arithmetic differs.
// Usage: node bench/residual-accuracy.js [--threads N] [--seed S] [--momentum M] [--export DIR]
// (--momentum: batch norm's, 0.99 by default as in Keras)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const bp = require('../dist');
const { residualCnn } = require('../dist/bench/residual-cnn');

const EPOCHS = 5;

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};

async function main() {
  bp.setBackend('native');
  if (arg('--threads')) bp.setThreads(Number(arg('--threads')));
  const { train, test } = bp.data.digits({ seed: 0 });
  const seed = Number(arg('--seed', 1));
  const momentum = Number(arg('--momentum', 0.99));
  if (!(momentum > 0 && momentum < 1)) throw new Error('--momentum: give a number between 0 and 1, e.g. 0.9');
  const model = residualCnn(seed, momentum);
  model.compile({
    optimizer: bp.optimizers.adam({ learningRate: 1e-3 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const rows = train.y.length;
  const rowSize = train.x.data.length / rows;
  const rng = new bp.Rng(seed);
  const orders = new Int32Array(EPOCHS * rows);
  for (let e = 0; e < EPOCHS; e++) {
    const o = orders.subarray(e * rows, (e + 1) * rows);
    for (let i = 0; i < rows; i++) o[i] = i;
    rng.shuffle(o);
  }
  const dir = arg('--export');
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    const write = (name, a) =>
      fs.writeFileSync(path.join(dir, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    write('x_train.f32', train.x.data);
    write('y_train.i32', train.y);
    write('x_test.f32', test.x.data);
    write('y_test.i32', test.y);
    write(`orders-${seed}.i32`, orders);
    const weights = model.getWeights();
    const flat = new Float32Array(weights.reduce((n, w) => n + w.data.length, 0));
    let off = 0;
    for (const w of weights) {
      flat.set(w.data, off);
      off += w.data.length;
    }
    write(`init-${seed}.f32`, flat);
    const manifest = weights.map((w) => ({ name: w.name, shape: w.shape }));
    fs.writeFileSync(path.join(dir, `init-${seed}.json`), JSON.stringify(manifest));
  }
  // Each epoch on its rows in the seed's order (fit without shuffling), so PyTorch can take the same batches.
  const xs = new Float32Array(train.x.data.length);
  const ys = new Int32Array(rows);
  let seconds = 0;
  for (let e = 0; e < EPOCHS; e++) {
    const o = orders.subarray(e * rows, (e + 1) * rows);
    for (let i = 0; i < rows; i++) {
      xs.set(train.x.data.subarray(o[i] * rowSize, (o[i] + 1) * rowSize), i * rowSize);
      ys[i] = train.y[o[i]];
    }
    const t0 = performance.now();
    await model.fit(bp.tensor(xs, train.x.shape), ys, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
    seconds += (performance.now() - t0) / 1000;
  }
  const { accuracy } = model.evaluate(test.x, test.y);
  const info = bp.getBackend();
  console.log(
    JSON.stringify({
      peer: `backprop-${info.name}`,
      model: 'cnn-residual',
      threads: info.threads ?? 1,
      seed,
      momentum,
      trainRows: train.y.length,
      testRows: test.y.length,
      epochs: EPOCHS,
      testAccuracy: +accuracy.toFixed(4),
      trainSeconds: +seconds.toFixed(2),
    }),
  );
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
