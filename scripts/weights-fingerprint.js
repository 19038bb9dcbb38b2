#!/usr/bin/env node
// Trains a zoo of Sequential models (every layer kind, loss fusion, folded SGD, masks, recurrent and convolution
// layers, off-main-thread steps) and prints a SHA-256 of each model's weights after training, one line per model
// and backend. Two builds give the same lines exactly when training is bit-identical: run it on both and diff.
//   node scripts/weights-fingerprint.js [js|native|all] > fingerprints.txt
'use strict';
const crypto = require('crypto');
const bp = require('..');

const which = process.argv[2] ?? 'all';

function data(rng, rows, shape, outShape, kind) {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = bp.tensor(
    Float32Array.from({ length: rows * n }, () => rng.uniform(-1, 1)),
    [rows, ...shape],
  );
  if (kind === 'labels') return { x, y: Int32Array.from({ length: rows }, (_, r) => r % outShape[0]) };
  if (kind === 'tokens') {
    const t = bp.tensor(
      Float32Array.from({ length: rows * n }, (_, i) => (i % 7 === 6 ? 0 : 1 + (i % 11))),
      [rows, ...shape],
    );
    return { x: t, y: Int32Array.from({ length: rows }, (_, r) => r % outShape[0]) };
  }
  const m = outShape.reduce((a, b) => a * b, 1);
  return {
    x,
    y: bp.tensor(
      Float32Array.from({ length: rows * m }, (_, i) => Math.sin(i * 0.37)),
      [rows, ...outShape],
    ),
  };
}

const L = bp.layers;
const zoo = [
  [
    'mlp adam scce',
    [6],
    [3],
    'labels',
    () => [L.dense({ units: 16, activation: 'relu', inputShape: [6] }), L.dense({ units: 3, activation: 'softmax' })],
    'adam',
    'sparseCategoricalCrossentropy',
  ],
  [
    'mlp sgd folded mse',
    [6],
    [2],
    'reg',
    () => [L.dense({ units: 12, activation: 'tanh', inputShape: [6] }), L.dense({ units: 2 })],
    'sgd',
    'mse',
  ],
  [
    'mlp momentum dropout bce',
    [6],
    [1],
    'reg',
    () => [
      L.dense({ units: 12, activation: 'elu', inputShape: [6] }),
      L.dropout({ rate: 0.3 }),
      L.dense({ units: 1, activation: 'sigmoid' }),
    ],
    () => bp.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }),
    'mse',
  ],
  [
    'mlp l2 rmsprop',
    [6],
    [2],
    'reg',
    () => [
      L.dense({ units: 10, activation: 'selu', kernelRegularizer: bp.regularizers.l2({ l2: 0.01 }), inputShape: [6] }),
      L.activation({ activation: 'gelu' }),
      L.dense({ units: 2 }),
    ],
    'rmsprop',
    'huber',
  ],
  [
    'mlp adagrad adamw leaky',
    [6],
    [2],
    'reg',
    () => [
      L.dense({ units: 10, inputShape: [6] }),
      L.leakyReLU({ alpha: 0.2 }),
      L.layerNormalization(),
      L.dense({ units: 2 }),
    ],
    'adamw',
    'mae',
  ],
  [
    'rank3 dense flatten',
    [4, 6],
    [3],
    'labels',
    () => [
      L.dense({ units: 5, activation: 'relu', inputShape: [4, 6] }),
      L.permute({ dims: [2, 1] }),
      L.flatten(),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
    'adam',
    'sparseCategoricalCrossentropy',
  ],
  [
    'cnn bn pool',
    [8, 8, 1],
    [3],
    'labels',
    () => [
      L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
      L.batchNormalization(),
      L.maxPooling2d({ poolSize: 2 }),
      L.zeroPadding2d({ padding: 1 }),
      L.depthwiseConv2d({ kernelSize: 2 }),
      L.averagePooling2d({ poolSize: 2 }),
      L.spatialDropout2d({ rate: 0.2 }),
      L.flatten(),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
    'adam',
    'sparseCategoricalCrossentropy',
  ],
  [
    'cnn16 winograd gap',
    [8, 8, 16],
    [3],
    'labels',
    () => [
      L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 16] }),
      L.globalAveragePooling2d(),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
    'adam',
    'sparseCategoricalCrossentropy',
  ],
  [
    'conv1d pools',
    [12, 3],
    [2],
    'reg',
    () => [
      L.conv1d({ filters: 4, kernelSize: 3, activation: 'tanh', inputShape: [12, 3] }),
      L.maxPooling1d({ poolSize: 2 }),
      L.averagePooling1d({ poolSize: 2 }),
      L.spatialDropout1d({ rate: 0.2 }),
      L.globalMaxPooling1d(),
      L.dense({ units: 2 }),
    ],
    'adam',
    'mse',
  ],
  [
    'lstm masked',
    [7],
    [3],
    'tokens',
    () => [
      L.embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputShape: [7] }),
      L.lstm({ units: 6 }),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
    'adam',
    'sparseCategoricalCrossentropy',
  ],
  [
    'gru seq td bidi',
    [7],
    [3],
    'tokens',
    () => [
      L.embedding({ inputDim: 12, outputDim: 5, inputShape: [7] }),
      L.bidirectional({ layer: L.gru({ units: 4, returnSequences: true }) }),
      L.timeDistributed({ layer: L.dense({ units: 3 }) }),
      L.simpleRNN({ units: 4 }),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
    'adam',
    'sparseCategoricalCrossentropy',
  ],
  [
    'masking gap1d',
    [5, 3],
    [2],
    'reg',
    () => [
      L.masking({ maskValue: 0, inputShape: [5, 3] }),
      L.dense({ units: 4, activation: 'relu' }),
      L.globalAveragePooling1d(),
      L.reshape({ targetShape: [2, 2] }),
      L.flatten(),
      L.dense({ units: 2 }),
    ],
    'adam',
    'mse',
  ],
  [
    'big async cnn',
    [28, 28, 1],
    [10],
    'labels',
    () => [
      L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 64, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
    'adam',
    'sparseCategoricalCrossentropy',
    128,
  ],
];

function hashWeights(model) {
  const h = crypto.createHash('sha256');
  for (const w of model.getWeights()) h.update(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  return h.digest('hex').slice(0, 16);
}

async function main() {
  const backends = which === 'all' ? ['js', 'native'] : [which];
  for (const backendName of backends) {
    bp.setBackend(backendName);
    if (backendName === 'native') bp.setThreads(1);
    for (const [id, shape, outShape, kind, layers, opt, loss, rows = 40] of zoo) {
      for (const dtype of ['float32', 'float64']) {
        if (rows > 40 && (backendName === 'js' || dtype === 'float64')) continue; // too slow to be worth it
        const rng = new bp.Rng(11);
        const { x, y } = data(rng, rows, shape, outShape, kind);
        const model = bp.sequential({ seed: 5, dtype, layers: layers() });
        model.compile({
          optimizer: typeof opt === 'function' ? opt() : opt,
          loss,
          metrics: kind === 'reg' ? ['mse'] : ['accuracy'],
        });
        await model.fit(x, y, { epochs: 2, batchSize: rows > 40 ? 64 : 16, verbose: 0 });
        model.trainOnBatch(x, y);
        console.log(`${backendName} ${dtype} ${id}: ${hashWeights(model)}`);
      }
    }
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
