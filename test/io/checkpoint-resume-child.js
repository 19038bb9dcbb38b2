// The resume side of test/io/checkpoint-config.test.ts, in a fresh process: load each checkpoint, evaluate,
// train N more epochs, print the weights. argv: dist path, backend, work dir (with one sub-directory per case).
'use strict';
const path = require('node:path');
const [dist, backend, dir] = process.argv.slice(2);
const bp = require(dist);
const C = require('./checkpoint-cases.js');
bp.setBackend(backend);
bp.setThreads(1);
(async () => {
  const out = {};
  for (const [i, kase] of C.cases().entries()) {
    const m = await bp.loadLayersModel(path.join(dir, String(i)));
    const evaluation = C.evaluate(bp, m, kase);
    await C.train(bp, m, kase, 2 * C.N, m.trainingState.epoch);
    out[kase.id] = { evaluation, weights: m.getWeights().map((w) => Array.from(w.data)), metrics: m.metricNames };
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e.stack);
  process.exit(1);
});
