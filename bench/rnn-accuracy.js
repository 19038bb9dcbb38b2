#!/usr/bin/env node
// Row-by-row MNIST with backprop: each 28×28 digit read as 28 steps of 28 pixels by an LSTM(128) → dense 10,
// 5 epochs, batch 64, Adam 1e-3, on the built-in 10,000 digits (8,000 train / 2,000 test). Prints one JSON line
// (test accuracy, training seconds). With --export DIR it also writes the same split as raw float32/int32 files
// for bench/torch_rnn_accuracy.py, so PyTorch trains on exactly the same data (bench/rnn-accuracy.sh runs both).
// Usage: node bench/rnn-accuracy.js [--export DIR] [--backend native|js] [--threads N] [--epochs 5]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const bp = require('..');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

async function main() {
  const backend = arg('--backend', 'native');
  const epochs = Number(arg('--epochs', '5'));
  bp.setBackend(backend);
  if (arg('--threads')) bp.setThreads(Number(arg('--threads')));
  const { train, test } = bp.data.digits({ seed: 0 });
  const rows = (set) => bp.tensor(set.x.data, [set.x.shape[0], 28, 28]);
  const dir = arg('--export');
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, set] of [
      ['train', train],
      ['test', test],
    ]) {
      fs.writeFileSync(
        path.join(dir, `${name}-x.f32`),
        Buffer.from(set.x.data.buffer, set.x.data.byteOffset, set.x.data.byteLength),
      );
      fs.writeFileSync(path.join(dir, `${name}-y.i32`), Buffer.from(set.y.buffer, set.y.byteOffset, set.y.byteLength));
    }
  }
  const model = bp.sequential({
    seed: 1,
    layers: [
      // sigmoid gates, as PyTorch's LSTM (TF.js's default would be hardSigmoid); the forget gate's bias
      // starts at 1 (Keras' default), which gets this recipe from ~90% to ~93-94%
      bp.layers.lstm({ units: 128, recurrentActivation: 'sigmoid', unitForgetBias: true, inputShape: [28, 28] }),
      bp.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({
    optimizer: bp.optimizers.adam({ learningRate: 1e-3 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const t0 = performance.now();
  await model.fit(rows(train), train.y, { epochs, batchSize: 64, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  const { accuracy } = model.evaluate(rows(test), test.y);
  const info = bp.getBackend();
  console.log(
    JSON.stringify({
      peer: 'backprop',
      backend: info.name,
      threads: info.threads ?? 1,
      epochs,
      trainSeconds: +seconds.toFixed(2),
      testAccuracy: +accuracy.toFixed(4),
    }),
  );
}

main().catch((e) => {
  console.error(e.stack || e.message);
  process.exit(1);
});
