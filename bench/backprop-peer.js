#!/usr/bin/env node
// backprop's CNN training throughput, measured like the peers (bench/torch_peer.py, bench/tfjs-peer.js): a fresh
// process, warm-up, then the median of repeated samples. Run `npm run build` first.
// Usage: node bench/backprop-peer.js MODEL BACKEND THREADS
//   (MODEL: cnn-keras | cnn-small | cnn-residual; BACKEND: native | js)
// Prints one JSON line: {"peer": "backprop-native" | "backprop-js", "model", "threads", "samplesPerSecond", "msPerStep"}.
'use strict';
const bp = require('../dist');
const { jsKernels } = require('../dist/backend/select');
const { timeCnn, CNN_BATCH } = require('../dist/bench/cnn-bench');

async function main() {
  const [model, backendName, threadsArg] = process.argv.slice(2);
  const kind = { 'cnn-keras': 'keras', 'cnn-small': 'small', 'cnn-residual': 'residual' }[model];
  if (!kind) throw new Error(`unknown model ${model} (cnn-keras, cnn-small or cnn-residual)`);
  const threads = Number(threadsArg || 1);
  let b;
  if (backendName === 'js') b = jsKernels();
  else {
    b = bp.nativeBackend().backend;
    if (!b) throw new Error(`the native backend did not load: ${bp.nativeBackend().error}`);
    bp.setThreads(threads);
  }
  const heavyJs = backendName === 'js' && kind !== 'small';
  const t = await timeCnn(kind, b, heavyJs ? 0.5 : 0.4, heavyJs ? 3 : 5);
  console.log(
    JSON.stringify({
      peer: `backprop-${backendName}`,
      model,
      batch: CNN_BATCH,
      threads: backendName === 'js' ? 1 : threads,
      convolution: backendName === 'js' ? 'js' : b.info().convolution,
      samplesPerSecond: Math.round(CNN_BATCH / t.median),
      msPerStep: +(t.median * 1e3).toFixed(3),
    }),
  );
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
