#!/usr/bin/env node
// A/B of the WebAssembly module's sgemm on one thread: instantiates each given .wasm on its own memory and times
// the `gemm` export (no copies, no JS glue) on a few shapes, by process CPU time (one thread: robust to a shared
// machine's load), alternating the modules round by round so that a
// shared machine's noise hits both alike. Prints GFLOP/s per module (median of rounds) and B/A.
// Usage: node bench/wasm-gemm-ab.js a.wasm [b.wasm] [rounds=7]
'use strict';
/* global WebAssembly */
const fs = require('node:fs');
const files = process.argv.slice(2).filter((a) => a.endsWith('.wasm'));
const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) || 7);
const SHAPES = [
  [1024, 1024, 1024, 0, 0],
  [128, 256, 784, 0, 0], // MLP forward
  [784, 256, 128, 1, 0], // MLP dW (A transposed)
  [128, 784, 256, 0, 1], // MLP dX (B transposed)
  [64, 512, 128, 0, 0], // LSTM recurrent product
  [43264, 32, 9, 0, 0],
  [36864, 64, 288, 0, 0], // keras conv2 as im2col
];
function load(file) {
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(file)), { env: { memory } });
  const e = inst.exports;
  const bufs = SHAPES.map(([m, n, k]) => {
    const a = e.bp_alloc(m * k * 4),
      b = e.bp_alloc(k * n * 4),
      c = e.bp_alloc(m * n * 4),
      st = e.bp_alloc(64);
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < m * k; i++) f[(a >> 2) + i] = ((i % 7) - 3) * 0.1;
    for (let i = 0; i < k * n; i++) f[(b >> 2) + i] = ((i % 5) - 2) * 0.1;
    return { a, b, c, st };
  });
  return { e, bufs, memory };
}
const mods = files.map(load);
const rates = mods.map(() => SHAPES.map(() => []));
for (let r = 0; r < rounds; r++) {
  mods.forEach((mod, mi) => {
    SHAPES.forEach(([m, n, k, ta, tb], si) => {
      const { a, b, c, st } = mod.bufs[si];
      const call = () => mod.e.gemm(st, 0, ta, tb, m, n, k, 1, a, b, 0, c);
      call();
      const flops = 2 * m * n * k;
      const reps = Math.max(1, Math.round(1.5e9 / flops));
      const u0 = process.cpuUsage();
      for (let i = 0; i < reps; i++) call();
      const u = process.cpuUsage(u0);
      rates[mi][si].push((flops * reps) / ((u.user + u.system) / 1e6) / 1e9);
    });
  });
}
const med = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
console.log(
  'shape (m n k tA tB)'.padEnd(24) +
    files.map((f, i) => `GF/s ${i}`.padStart(10)).join('') +
    (files.length > 1 ? '     B/A' : ''),
);
SHAPES.forEach((s, si) => {
  const v = mods.map((_, mi) => med(rates[mi][si]));
  console.log(
    s.join(' ').padEnd(24) +
      v.map((x) => x.toFixed(1).padStart(10)).join('') +
      (v.length > 1 ? (v[1] / v[0]).toFixed(2).padStart(8) : ''),
  );
});
