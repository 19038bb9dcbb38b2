#!/usr/bin/env node
// Conv2DTranspose and SeparableConv2D against PyTorch: one layer's training cost (forward, then backward with the
// input and weight gradients), float32, batch 64, for the cases of bench/graph-layers-cases.js. backprop (native,
// 1 and 2 threads) and PyTorch (1 and 2 threads, its installed OpenBLAS core detection and the OpenBLAS settings
// backprop gives itself) alternate over rounds, each in a fresh process; each row is the median (range) of its
// rounds, and the ratio is PyTorch's best time over backprop's best (above 1: backprop is faster).
// Usage: node bench/graph-layers.js [--quick]   (run `npm run build` first; needs python3-torch)
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { CASES } = require('./graph-layers-cases');

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

function configs(name) {
  const spec = JSON.stringify(CASES[name]);
  const out = [];
  for (const t of [1, 2])
    out.push([`backprop ${t} thr`, () => run('node', ['bench/graph-layers-peer.js', name, String(t)])]);
  for (const t of [1, 2]) {
    out.push([`PyTorch ${t} thr`, () => run('/usr/bin/python3', ['bench/torch_graph_layers.py', spec, String(t)])]);
    if (core) {
      out.push([
        `PyTorch ${t} thr (OPENBLAS_CORETYPE=${core})`,
        () =>
          run('/usr/bin/python3', ['bench/torch_graph_layers.py', spec, String(t)], {
            OPENBLAS_CORETYPE: core,
            OPENBLAS_THREAD_TIMEOUT: '20',
          }),
      ]);
    }
  }
  return out;
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const summary = [];
for (const name of Object.keys(CASES)) {
  const results = new Map();
  for (let r = 0; r < rounds; r++) {
    for (const [label, f] of configs(name)) {
      const v = f();
      if (v) results.set(label, [...(results.get(label) || []), v.msPerStep]);
    }
  }
  const med = new Map([...results].map(([k, v]) => [k, median(v)]));
  const best = (prefix) => Math.min(...[...med].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v));
  const torchBest = best('PyTorch'),
    oursBest = best('backprop');
  console.log(`\n== ${name} (ms per forward + backward, median (range) of ${rounds} rounds)`);
  console.log('| configuration | ms | PyTorch best / this |');
  console.log('|---|---:|---:|');
  for (const [label, v] of results) {
    const range = v.length > 1 ? ` (${Math.min(...v)}-${Math.max(...v)})` : '';
    console.log(`| ${label} | ${med.get(label)}${range} | ${(torchBest / med.get(label)).toFixed(2)}x |`);
  }
  summary.push([name, oursBest, torchBest]);
}
console.log('\n== summary: best of 1 and 2 threads each (ratio above 1: backprop faster)');
console.log('| case | backprop ms | PyTorch ms | ratio |');
console.log('|---|---:|---:|---:|');
for (const [name, ours, torch] of summary)
  console.log(`| ${name} | ${ours} | ${torch} | ${(torch / ours).toFixed(2)}x |`);
