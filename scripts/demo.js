#!/usr/bin/env node
// The README's first-run demo: trains XOR, then a 784-128-10 MLP on the bundled MNIST digits, and prints
// what it got. Run after `npm run build` (scripts/quickstart.sh does everything from a fresh clone).
const bp = require('../dist');

(async () => {
  console.log('backend:', bp.getBackend());

  const xor = bp.data.xor();
  const tiny = bp.sequential({
    seed: 3,
    layers: [
      bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
      bp.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  tiny.compile({
    optimizer: bp.optimizers.adam({ learningRate: 0.05 }),
    loss: 'binaryCrossentropy',
    metrics: ['accuracy'],
  });
  await tiny.fit(xor.x, xor.y, { epochs: 300, batchSize: 4, verbose: 0 });
  console.log(
    '\nXOR predictions:',
    Array.from(tiny.predict(xor.x).data)
      .map((v) => v.toFixed(3))
      .join(' '),
    '(want 0 1 1 0)',
  );

  const { train, test } = bp.data.digits({ seed: 0 });
  console.log(`\ndigits: ${train.x.shape[0]} training and ${test.x.shape[0]} test images of 28x28`);
  const model = bp.sequential({
    seed: 1,
    layers: [
      bp.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
      bp.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({
    optimizer: bp.optimizers.adam({ learningRate: 0.002 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  model.summary();
  const t0 = performance.now();
  await model.fit(train.x, train.y, { epochs: 12, batchSize: 32, validationSplit: 0.1, verbose: 2 });
  const seconds = (performance.now() - t0) / 1000;
  const { loss, accuracy } = model.evaluate(test.x, test.y);
  console.log(
    `\ntrained in ${seconds.toFixed(1)}s; test loss ${loss.toFixed(4)}, test accuracy ${(accuracy * 100).toFixed(2)}%`,
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
