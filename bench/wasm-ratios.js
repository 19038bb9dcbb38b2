#!/usr/bin/env node
// The wasm rows of issue 24's speed targets with `backprop bench`'s own timing functions (src/bench: timeCnn,
// timeMlp, timeRnn): wasm time / native time at the same thread count, and js time / wasm time on the CNNs, for one
// or two builds of the module (BACKPROP_WASM_PATH per child process, alternating A, B per round; native and js are
// timed in every child next to its wasm). A shared machine's noise hits both builds alike; compare ratios.
// Usage: node bench/wasm-ratios.js threads a.wasm [b.wasm] [rounds=1] [models=small,keras,residual,mlp,lstm] [--js]
'use strict';
const { execFileSync } = require('node:child_process');

if (process.argv[2] === '--child') {
  const bp = require('../dist');
  const { timeCnn } = require('../dist/bench/cnn-bench');
  const { timeMlp, parseSpec } = require('../dist/bench/mlp-bench');
  const { timeRnn, RNN_SPECS } = require('../dist/bench/rnn-bench');
  const { jsKernels } = require('../dist/backend/select');
  const [, , , threads, models, withJs] = process.argv;
  (async () => {
    bp.setThreads(Number(threads));
    const native = bp.nativeBackend().backend;
    const wasm = bp.wasmBackend().backend;
    await wasm.threadsReady();
    const time = async (kind, b, js) => {
      if (kind === 'mlp') return timeMlp(parseSpec('784-256-128-10', 128, 'adam'), b, js ? 0.6 : 0.3).median;
      if (kind === 'lstm') return (await timeRnn(RNN_SPECS[0], b, js ? 1 : 0.5, js ? 2 : 5)).median;
      return (await timeCnn(kind, b, 0.5, js ? 2 : 5)).median;
    };
    const out = {};
    for (const kind of models.split(',')) {
      out[kind] = { native: await time(kind, native), wasm: await time(kind, wasm) };
      if (withJs === '1' && kind !== 'lstm' && kind !== 'mlp') out[kind].js = await time(kind, jsKernels(), true);
    }
    process.stdout.write(JSON.stringify(out));
    process.exit(0);
  })();
} else {
  const args = process.argv.slice(2);
  const threads = args[0];
  const files = args.filter((a) => a.endsWith('.wasm'));
  const rest = args.slice(1).filter((a) => !a.endsWith('.wasm') && a !== '--js');
  const rounds = Number(rest[0] || 1),
    models = rest[1] || 'small,keras,residual,mlp,lstm';
  const withJs = args.includes('--js') ? '1' : '0';
  const res = files.map(() => ({}));
  let jsTimes = {};
  for (let r = 0; r < rounds; r++) {
    files.forEach((f, i) => {
      const o = JSON.parse(
        execFileSync(
          process.execPath,
          [process.argv[1], '--child', threads, models, r === 0 && i === 0 ? withJs : '0'],
          {
            env: { ...process.env, BACKPROP_WASM_PATH: f, BACKPROP_SILENT: '1' },
          },
        ).toString(),
      );
      for (const [k, v] of Object.entries(o)) {
        if (v.js) jsTimes[k] = v.js;
        (res[i][k] ||= []).push(v);
      }
    });
  }
  const med = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
  console.log(`${threads} thread(s); per build: wasm ms, wasm/native time (median of ${rounds} rounds), js/wasm`);
  for (const k of models.split(',')) {
    const cells = res.map((x) => {
      const w = med(x[k].map((v) => v.wasm));
      const ratio = med(x[k].map((v) => v.wasm / v.native));
      return `${(w * 1000).toFixed(2).padStart(9)} ${ratio.toFixed(2).padStart(6)} ${jsTimes[k] ? (jsTimes[k] / w).toFixed(1).padStart(6) : '     -'}`;
    });
    const js = jsTimes[k] ? `   | js ${(jsTimes[k] * 1000).toFixed(1)} ms` : '';
    console.log(k.padEnd(10) + cells.join('   |') + js);
  }
}
