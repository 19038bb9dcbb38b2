#!/usr/bin/env node
// The accuracy recipe of the issue with backprop: the Keras MNIST CNN (conv 32@3x3 relu, conv 64@3x3 relu,
// maxpool 2, flatten, dense 128 relu, dense 10 softmax) on the built-in digits (8,000 train / 2,000 test, seed 0),
// 5 epochs, batch 64, Adam 1e-3, sparse categorical cross-entropy. Prints one JSON line with the test accuracy
// and the training time. `--export DIR` also writes the split as raw little-endian files for bench/cnn_accuracy.py
// (x_train.f32, y_train.i32, x_test.f32, y_test.i32), so PyTorch trains on exactly the same images.
// Usage: node bench/cnn-accuracy.js [--backend native|js] [--threads N] [--seed S] [--export DIR]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const bp = require('../dist');

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};

async function main() {
  const backend = arg('--backend', 'native');
  bp.setBackend(backend);
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
  const L = bp.layers;
  const model = bp.sequential({
    seed: Number(arg('--seed', 1)),
    layers: [
      L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      L.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 128, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  });
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
      threads: info.threads ?? 1,
      convolution: info.convolution ?? 'js',
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
