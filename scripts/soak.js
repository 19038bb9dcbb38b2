#!/usr/bin/env node
// Soak test: a training job (worker thread, native backend) runs >= 10,000 steps while this process samples
// its RSS and external memory; reports growth after warm-up (target < 5%).
// Usage: node --expose-gc scripts/soak.js [steps]   (with --expose-gc, each sample follows a full GC of this
// thread, so garbage that is merely not yet collected does not read as growth)
const bp = require('../dist');
const steps = Number(process.argv[2] || 12000);
const batch = 32,
  rows = 3200,
  epochs = Math.ceil((steps * batch) / rows);
const rng = new bp.Rng(1);
const x = bp.tensor2d(
  new Float32Array(rows * 256).map(() => rng.normal(0, 1)),
  [rows, 256],
);
const y = Int32Array.from({ length: rows }, () => rng.int(10));
const samples = [];
const job = bp.jobs.train({
  model: {
    seed: 1,
    layers: [
      { units: 256, activation: 'relu', inputShape: [256] },
      { units: 256, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' },
  },
  data: { x, y },
  fit: { epochs, batchSize: batch },
  progressEveryMs: 500,
});
const timer = setInterval(() => {
  global.gc?.();
  const m = process.memoryUsage();
  samples.push({ t: Date.now(), rss: m.rss, external: m.external + m.arrayBuffers });
}, 50);
job.result.then(
  (r) => {
    clearInterval(timer);
    const warm = samples[Math.floor(samples.length * 0.2)] ?? samples[0],
      last = samples.at(-1);
    const pct = (a, b) => +((100 * (b - a)) / a).toFixed(2);
    console.log(
      JSON.stringify({
        steps: epochs * (rows / batch),
        epochs: r.epochs.length,
        samples: samples.length,
        rssAfterWarmupMB: +(warm.rss / 2 ** 20).toFixed(1),
        rssEndMB: +(last.rss / 2 ** 20).toFixed(1),
        rssGrowthPct: pct(warm.rss, last.rss),
        rssMaxMB: +(Math.max(...samples.map((s) => s.rss)) / 2 ** 20).toFixed(1),
        externalGrowthPct: pct(warm.external, last.external),
      }),
    );
  },
  (e) => {
    clearInterval(timer);
    console.error(e.message);
    process.exit(1);
  },
);
