#!/usr/bin/env node
// The CNN comparison in one run: backprop (native with 1 and 2 threads, and the pure-JS backend), PyTorch (1 and 2
// threads, with its installed OpenBLAS core detection and with the OpenBLAS settings backprop gives itself: its core
// in OPENBLAS_CORETYPE and OPENBLAS_THREAD_TIMEOUT=20) and TF.js's cpu backend, on the small, keras and residual
// CNNs (float32, Adam, batch 64). The fast measurements alternate over several rounds (ours, then each peer) so machine drift touches all alike; each row is the median (range) of its
// rounds. Ratios use PyTorch's best configuration. Usage: node bench/cnn-peers.js [--quick]
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const quick = process.argv.includes('--quick');
const rounds = quick ? 1 : 3;
const root = path.join(__dirname, '..');
const core = (/\(\w+, (\w+);/.exec(require('../dist').getBackend().blas || '') || [])[1] || '';

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 600000 });
  const line = (r.stdout || '').trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    console.error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || '').trim().split('\n').pop()}`);
    return null;
  }
}

const torchSteps = { 'cnn-keras': quick ? 8 : 25, 'cnn-small': quick ? 60 : 200, 'cnn-residual': quick ? 8 : 25 };
function configs(model) {
  const out = [];
  for (const t of [1, 2])
    out.push([`backprop native ${t} thr`, () => run('node', ['bench/backprop-peer.js', model, 'native', String(t)])]);
  for (const t of [1, 2]) {
    out.push([
      `PyTorch ${t} thr (installed)`,
      () => run('/usr/bin/python3', ['bench/torch_peer.py', model, '64', String(torchSteps[model]), String(t)]),
    ]);
    if (core) {
      out.push([
        `PyTorch ${t} thr (OPENBLAS_CORETYPE=${core}, OPENBLAS_THREAD_TIMEOUT=20)`,
        () =>
          run('/usr/bin/python3', ['bench/torch_peer.py', model, '64', String(torchSteps[model]), String(t)], {
            OPENBLAS_CORETYPE: core,
            OPENBLAS_THREAD_TIMEOUT: '20',
          }),
      ]);
    }
  }
  return out;
}
// The slow ones run once. TF.js's cpu backend takes minutes per step of the keras CNN (its convolution gradients
// are plain loops), so it runs the small CNN only, as in the issue.
const once = (model) => [
  ['backprop js', () => run('node', ['bench/backprop-peer.js', model, 'js', '1'])],
  ...(model === 'cnn-small' ? [['TF.js cpu', () => run('node', ['bench/tfjs-peer.js', model, '64', '5'])]] : []),
];

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const model of ['cnn-small', 'cnn-keras', 'cnn-residual']) {
  const results = new Map();
  for (let r = 0; r < rounds; r++) {
    for (const [label, f] of configs(model)) {
      const v = f();
      if (v) results.set(label, [...(results.get(label) || []), v.samplesPerSecond]);
    }
  }
  for (const [label, f] of once(model)) {
    const v = f();
    if (v) results.set(label, [v.samplesPerSecond]);
  }
  const med = new Map([...results].map(([k, v]) => [k, median(v)]));
  const torchBest = Math.max(...[...med].filter(([k]) => k.startsWith('PyTorch')).map(([, v]) => v));
  const oursBest = Math.max(...[...med].filter(([k]) => k.startsWith('backprop native')).map(([, v]) => v));
  console.log(`\n== ${model} (samples/s, median (range) of ${rounds} rounds; PyTorch best = ${torchBest})`);
  console.log('| configuration | samples/s | vs PyTorch best |');
  console.log('|---|---:|---:|');
  for (const [label, v] of results) {
    const range = v.length > 1 ? ` (${Math.min(...v)}-${Math.max(...v)})` : '';
    console.log(`| ${label} | ${med.get(label)}${range} | ${(med.get(label) / torchBest).toFixed(2)}x |`);
  }
  const tfjs = med.get('TF.js cpu');
  console.log(
    `backprop native best / PyTorch best: ${(oursBest / torchBest).toFixed(2)}x` +
      (tfjs ? `; / TF.js cpu: ${Math.round(oursBest / tfjs)}x` : '') +
      (med.get('backprop js') ? `; native best / backprop js: ${(oursBest / med.get('backprop js')).toFixed(1)}x` : ''),
  );
}
