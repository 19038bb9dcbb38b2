#!/usr/bin/env node
// The residual CNN's accuracy recipe with backprop: src/bench/residual-cnn.ts (functional API) on the built-in
// digits (8,000 train / 2,000 test, seed 0), 5 epochs, batch 64, Adam 1e-3, sparse categorical cross-entropy.
// Prints one JSON line with the test accuracy and the training time. `--export DIR` writes the split as raw
// little-endian files for bench/residual_accuracy.py, so PyTorch trains on exactly the same images.
// Usage: node bench/residual-accuracy.js [--threads N] [--seed S] [--export DIR]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const bp = require('../dist');
const { residualCnn } = require('../dist/bench/residual-cnn');

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};

async function main() {
  bp.setBackend('native');
  if (arg('--threads')) bp.setThreads(Number(arg('--threads')));
  const { train, test } = bp.data.digits({ seed: 0 });
  const dir = arg('--export');
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    const write = (name, a) =>
      fs.writeFileSync(path.join(dir, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    write('x_train.f32', train.x.data);
    write('y_train.i32', train.y);
    write('x_test.f32', test.x.data);
    write('y_test.i32', test.y);
  }
  const model = residualCnn(Number(arg('--seed', 1)));
  model.compile({
    optimizer: bp.optimizers.adam({ learningRate: 1e-3 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const t0 = performance.now();
  await model.fit(train.x, train.y, { epochs: 5, batchSize: 64, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  const { accuracy } = model.evaluate(test.x, test.y);
  const info = bp.getBackend();
  console.log(
    JSON.stringify({
      peer: `backprop-${info.name}`,
      model: 'cnn-residual',
      threads: info.threads ?? 1,
      seed: Number(arg('--seed', 1)),
      trainRows: train.y.length,
      testRows: test.y.length,
      epochs: 5,
      testAccuracy: +accuracy.toFixed(4),
      trainSeconds: +seconds.toFixed(2),
    }),
  );
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
