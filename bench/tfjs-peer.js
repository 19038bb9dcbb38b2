#!/usr/bin/env node
// TF.js training throughput (its pure-JS 'cpu' backend, the one that runs everywhere in Node without
// downloads) for the networks `backprop bench` measures. Needs the @tensorflow/tfjs devDependency.
// Usage: node bench/tfjs-peer.js MODEL BATCH STEPS
//   MODEL: mlp:784-256-128-10:adam | mlp:784-128-10:sgd | cnn-small | cnn-keras | lstm | gru
// Prints one JSON line: {"peer": "tfjs-cpu", "model", "samplesPerSecond", "msPerStep"}.
'use strict';
const tf = require('@tensorflow/tfjs');

function build(name) {
  const m = tf.sequential();
  if (name.startsWith('mlp:')) {
    const [, spec, opt] = name.split(':');
    const sizes = spec.split('-').map(Number);
    for (let i = 1; i < sizes.length; i++) {
      m.add(
        tf.layers.dense({
          units: sizes[i],
          activation: i < sizes.length - 1 ? 'relu' : 'linear',
          inputShape: i === 1 ? [sizes[0]] : undefined,
        }),
      );
    }
    return { m, shape: [sizes[0]], classes: sizes[sizes.length - 1], opt };
  }
  if (name === 'cnn-small') {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 10 }));
    return { m, shape: [28, 28, 1], classes: 10, opt: 'adam' };
  }
  if (name === 'lstm' || name === 'gru') {
    // 50 steps of 32 features → 128 units (sigmoid gates, as PyTorch's) → 10 classes
    m.add(tf.layers[name]({ units: 128, recurrentActivation: 'sigmoid', inputShape: [50, 32] }));
    m.add(tf.layers.dense({ units: 10 }));
    return { m, shape: [50, 32], classes: 10, opt: 'adam' };
  }
  if (name === 'cnn-keras') {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10 }));
    return { m, shape: [28, 28, 1], classes: 10, opt: 'adam' };
  }
  throw new Error(`unknown model ${name}`);
}

async function main() {
  const [name, batchArg, stepsArg] = process.argv.slice(2);
  const batch = Number(batchArg),
    steps = Number(stepsArg);
  await tf.setBackend('cpu');
  const { m, shape, classes, opt } = build(name);
  m.compile({
    optimizer: opt === 'adam' ? tf.train.adam(1e-3) : tf.train.sgd(0.01),
    loss: tf.losses.softmaxCrossEntropy,
  });
  const x = tf.randomUniform([batch, ...shape]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32'), classes);
  for (let i = 0; i < 2; i++) await m.trainOnBatch(x, y);
  const t = performance.now();
  for (let i = 0; i < steps; i++) await m.trainOnBatch(x, y);
  const dt = (performance.now() - t) / 1000;
  console.log(
    JSON.stringify({
      peer: 'tfjs-cpu',
      version: tf.version.tfjs,
      model: name,
      batch,
      samplesPerSecond: Math.round((steps * batch) / dt),
      msPerStep: +((dt / steps) * 1e3).toFixed(3),
    }),
  );
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
