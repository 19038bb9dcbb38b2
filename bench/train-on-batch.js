#!/usr/bin/env node
/**
 * The engine's cost per call: `await model.trainOnBatch(x, y)` of a 2-4-2 network at batch 4 (issue 21's
 * target: at most 5 µs through the public API), and `predict` of one row. Each build given runs in turn,
 * alternating rounds, so two builds are compared on the same machine state:
 *   node bench/train-on-batch.js [dist ...]     (default: this checkout's dist)
 * Prints the best round's µs per call for each build.
 */
'use strict';
const path = require('node:path');

const dists = process.argv.slice(2).length ? process.argv.slice(2) : [path.join(__dirname, '..', 'dist')];
const ROUNDS = 7;
const CALLS = 20000;

function setUp(dist) {
  const bp = require(path.resolve(dist, 'index.js'));
  const model = bp.sequential({
    seed: 1,
    layers: [
      bp.layers.dense({ units: 4, activation: 'tanh', inputShape: [2] }),
      bp.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  const x = bp.tensor(new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), [4, 2]);
  const y = bp.tensor(new Float32Array([1, 0, 0, 1, 0, 1, 1, 0]), [4, 2]);
  const one = bp.tensor(new Float32Array([1, 0]), [1, 2]);
  return { bp, model, x, y, one };
}

async function round(s) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await s.model.trainOnBatch(s.x, s.y);
  const train = Number(process.hrtime.bigint() - t) / 1e3 / CALLS;
  t = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) s.model.predict(s.one);
  const predict = Number(process.hrtime.bigint() - t) / 1e3 / CALLS;
  return { train, predict };
}

async function main() {
  const setups = dists.map(setUp);
  const best = setups.map(() => ({ train: Infinity, predict: Infinity }));
  for (const s of setups) await round(s); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < setups.length; i++) {
      const m = await round(setups[i]);
      best[i].train = Math.min(best[i].train, m.train);
      best[i].predict = Math.min(best[i].predict, m.predict);
    }
  }
  dists.forEach((d, i) => {
    const b = best[i];
    console.log(
      `${d}: backend ${setups[i].bp.getBackend().name}, trainOnBatch 2-4-2 batch 4: ${b.train.toFixed(2)} µs/call, ` +
        `predict 1 row: ${b.predict.toFixed(2)} µs/call (best of ${ROUNDS} rounds of ${CALLS})`,
    );
  });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
