#!/usr/bin/env node
// Measures how late a 10 ms timer fires while `fit` trains a model whose single step takes >= 100 ms
// (784-2048-2048-10 at batch 512 by default): the p50/p99/max lateness, and the step time.
// Usage: node scripts/event-loop-lag.js [sizes] [batch] [steps]    (after npm run build)
const bp = require('../dist');
const sizes = (process.argv[2] || '784-2048-2048-10').split('-').map(Number);
const batch = Number(process.argv[3] || 512),
  steps = Number(process.argv[4] || 20);
(async () => {
  const model = bp.sequential({ seed: 1 });
  sizes.slice(1).forEach((u, i) =>
    model.add(
      bp.layers.dense({
        units: u,
        activation: i < sizes.length - 2 ? 'relu' : 'softmax',
        inputShape: i === 0 ? [sizes[0]] : undefined,
      }),
    ),
  );
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const rows = batch * steps,
    rng = new bp.Rng(1);
  const x = bp.tensor2d(
    new Float32Array(rows * sizes[0]).map(() => rng.uniform(0, 1)),
    [rows, sizes[0]],
  );
  const y = Int32Array.from({ length: rows }, () => rng.int(sizes.at(-1)));
  const late = [];
  let expected = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    late.push(Math.max(0, now - expected));
    expected = now + 10;
  }, 10);
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
  const ms = performance.now() - t0;
  clearInterval(timer);
  late.sort((a, b) => a - b);
  const q = (p) => late[Math.min(late.length - 1, Math.floor(p * late.length))].toFixed(1);
  const out = {
    model: sizes.join('-'),
    batch,
    steps,
    stepMs: +(ms / steps).toFixed(1),
    timerFires: late.length,
    lateMs: { p50: +q(0.5), p99: +q(0.99), max: +late.at(-1).toFixed(1) },
    backend: bp.getBackend().name,
  };
  console.log(JSON.stringify(out));
})();
