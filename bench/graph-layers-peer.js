#!/usr/bin/env node
// One layer's training cost in backprop (native backend, float32): forward in training mode, then backward with the
// input gradient and the weight gradients, the median of repeated samples after warm-up, in a fresh process.
// Usage: node bench/graph-layers-peer.js CASE THREADS   (CASE: one of bench/graph-layers.js's cases)
// Prints one JSON line: {"peer": "backprop", "case", "threads", "msPerStep", "convolution"}.
'use strict';
const bp = require('../dist');
const { CASES } = require('./graph-layers-cases');

function main() {
  const [name, threadsArg] = process.argv.slice(2);
  const spec = CASES[name];
  if (!spec) throw new Error(`unknown case ${name}; one of ${Object.keys(CASES).join(', ')}`);
  const b = bp.nativeBackend().backend;
  if (!b) throw new Error(`the native backend did not load: ${bp.nativeBackend().error}`);
  bp.setThreads(Number(threadsArg || 1));
  const layer =
    spec.kind === 'transpose'
      ? bp.layers.conv2dTranspose({ ...spec.args, inputShape: spec.input })
      : bp.layers.separableConv2d({ ...spec.args, inputShape: spec.input });
  const model = bp.sequential({ seed: 1, layers: [layer] });
  const rows = spec.batch;
  const x = bp.floatArray('float32', rows * layer.inputSize);
  const dy = bp.floatArray('float32', rows * layer.outputSize);
  const rng = new bp.Rng(2);
  x.forEach((_, i) => (x[i] = rng.uniform(-1, 1)));
  const grad = Float32Array.from(dy, () => rng.uniform(-1, 1));
  const step = () => {
    layer.forward(b, x, rows, true, model.rng);
    dy.set(grad); // backward may overwrite dy
    layer.backward(b, dy, rows, true, false, null);
  };
  for (let i = 0; i < 3; i++) step();
  // Samples of at least ~0.2 s each; the median of 5.
  let reps = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) step();
    if (Number(process.hrtime.bigint() - t0) / 1e9 > 0.2) break;
    reps *= 2;
  }
  const samples = [];
  for (let s = 0; s < 5; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) step();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6 / reps);
  }
  samples.sort((p, q) => p - q);
  const ms = samples[2];
  console.log(
    JSON.stringify({
      peer: 'backprop',
      case: name,
      threads: Number(threadsArg || 1),
      convolution: b.info().convolution,
      msPerStep: +ms.toFixed(3),
    }),
  );
}

try {
  main();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
