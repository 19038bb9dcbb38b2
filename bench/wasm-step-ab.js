#!/usr/bin/env node
// A/B of whole training steps on the wasm backend with two builds of the module: runs this script's child once per
// build and round (BACKPROP_WASM_PATH), alternating, and prints the median step time of each build per model and
// B/A. With 1 thread the child times by process CPU time (robust to a shared machine's load), else by wall time.
// Usage: node bench/wasm-step-ab.js a.wasm b.wasm [threads=1] [rounds=3] [models=mlp,lstm,small,keras,residual]
'use strict';
const { execFileSync } = require('node:child_process');

if (process.argv[2] === '--child') {
  const bp = require('../dist');
  const { cnnStep } = require('../dist/bench/cnn-bench');
  const { mlpStep, parseSpec } = require('../dist/bench/mlp-bench');
  const { rnnStep, RNN_SPECS } = require('../dist/bench/rnn-bench');
  const [, , , threads, models] = process.argv;
  (async () => {
    bp.setThreads(Number(threads));
    const wasm = bp.wasmBackend().backend;
    await wasm.threadsReady();
    const out = {};
    for (const kind of models.split(',')) {
      const step =
        kind === 'mlp'
          ? mlpStep(parseSpec('784-256-128-10', 128, 'adam'), wasm)
          : kind === 'lstm'
            ? rnnStep(RNN_SPECS[0], wasm)
            : cnnStep(kind, wasm);
      for (let i = 0; i < 3; i++) await step();
      const cpu = Number(threads) === 1;
      const u0 = process.cpuUsage(),
        t0 = performance.now();
      let n = 0;
      do {
        await step();
        n++;
      } while (performance.now() - t0 < 1500);
      const u = process.cpuUsage(u0);
      out[kind] = (cpu ? (u.user + u.system) / 1000 : performance.now() - t0) / n;
    }
    process.stdout.write(JSON.stringify(out));
    process.exit(0);
  })();
} else {
  const files = process.argv.slice(2).filter((a) => a.endsWith('.wasm'));
  const rest = process.argv.slice(2).filter((a) => !a.endsWith('.wasm'));
  const threads = rest[0] || '1',
    rounds = Number(rest[1] || 3),
    models = rest[2] || 'mlp,lstm,small,keras,residual';
  const res = files.map(() => ({}));
  for (let r = 0; r < rounds; r++) {
    files.forEach((f, i) => {
      const o = JSON.parse(
        execFileSync(process.execPath, [process.argv[1], '--child', threads, models], {
          env: { ...process.env, BACKPROP_WASM_PATH: f, BACKPROP_SILENT: '1' },
        }).toString(),
      );
      for (const [k, v] of Object.entries(o)) (res[i][k] ||= []).push(v);
    });
  }
  const med = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
  console.log(`${threads} thread(s), ms per step (median of ${rounds})`);
  for (const k of models.split(',')) {
    const v = res.map((x) => med(x[k]));
    console.log(
      k.padEnd(10) +
        v.map((x) => x.toFixed(3).padStart(10)).join('') +
        (v.length > 1 ? (v[1] / v[0]).toFixed(3).padStart(8) : ''),
    );
  }
}
