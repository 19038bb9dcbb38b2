#!/usr/bin/env node
// Where the GPT training step of `backprop bench` (src/bench/transformer-bench.ts: vocabulary 40, context 64,
// batch 32, 4 pre-norm decoder blocks of d 128, AdamW) spends its time: per backend op and shape, as wall time and
// process CPU time (all threads), with --profile; without it, the whole step, uninstrumented (as the bench runs it).
// With --raw, each gemm shape of the step timed alone in a loop (OpenBLAS called directly through the backend).
// Usage: node bench/gpt-profile.js [threads=2] [steps=20] [--profile] [--raw]
'use strict';
const bp = require('../dist');
const { gptStep, GPT } = require('../dist/bench/transformer-bench');

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const threads = Number(args[0] || 2);
const steps = Number(args[1] || 20);
bp.setThreads(threads);
const native = bp.nativeBackend().backend;
if (!native) throw new Error(`gpt-profile: the native backend did not load (${bp.nativeBackend().error})`);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const wallMs = () => performance.now();
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];

async function whole() {
  const step = gptStep(native);
  for (let i = 0; i < 3; i++) await step();
  const times = [],
    cpus = [];
  for (let i = 0; i < steps; i++) {
    const w0 = wallMs(),
      c0 = cpuMs();
    await step();
    times.push(wallMs() - w0);
    cpus.push(cpuMs() - c0);
  }
  console.log(
    JSON.stringify({
      threads,
      msPerStep: +med(times).toFixed(2),
      cpuMsPerStep: +med(cpus).toFixed(2),
      samplesPerSecond: +((GPT.batch * 1000) / med(times)).toFixed(1),
    }),
  );
}

// A label per op call: the op name, with the shape for the products.
function label(name, a) {
  if (name === 'gemm' || name === 'gemmAsync')
    return `gemm ${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} ${a[2]}x${a[3]}x${a[4]}`;
  if (name.startsWith('denseForward')) return `${name} ${a[5]}x${a[6]}x${a[7]} act${a[8]}`;
  if (name.startsWith('denseBackward')) return `${name} ${a[9]}x${a[10]}x${a[11]} act${a[12]}${a[8] ? ' dx' : ''}`;
  return name;
}

async function profile() {
  const table = new Map();
  const shapes = new Map();
  const record = (key, wall, cpu) => {
    const e = table.get(key) || { wall: 0, cpu: 0, calls: 0 };
    e.wall += wall;
    e.cpu += cpu;
    e.calls++;
    table.set(key, e);
  };
  // Every op of the backend, timed where it is called (the layers call the backend object they were given).
  const timed = Object.create(native);
  for (const name of Object.keys(native)) {
    const f = native[name];
    if (typeof f !== 'function') continue;
    timed[name] = function (...a) {
      const key = label(name, a);
      if (name === 'gemm') shapes.set(key, a.slice(0, 5));
      const w0 = wallMs(),
        c0 = cpuMs();
      const r = f.apply(native, a);
      if (r && typeof r.then === 'function') {
        return r.then((v) => {
          record(key, wallMs() - w0, cpuMs() - c0);
          return v;
        });
      }
      record(key, wallMs() - w0, cpuMs() - c0);
      return r;
    };
  }
  const step = gptStep(timed);
  for (let i = 0; i < 3; i++) await step();
  table.clear();
  let wall = 0,
    cpu = 0;
  for (let i = 0; i < steps; i++) {
    const w0 = wallMs(),
      c0 = cpuMs();
    await step();
    wall += wallMs() - w0;
    cpu += cpuMs() - c0;
  }
  const rows = [...table.entries()].sort((a, b) => b[1].wall - a[1].wall);
  let opsWall = 0;
  console.log(`threads ${threads}; per step over ${steps} steps`);
  console.log('op'.padEnd(44), 'wall ms'.padStart(9), 'cpu ms'.padStart(9), 'calls'.padStart(6));
  for (const [k, e] of rows) {
    opsWall += e.wall;
    console.log(
      k.padEnd(44),
      (e.wall / steps).toFixed(2).padStart(9),
      (e.cpu / steps).toFixed(2).padStart(9),
      String(e.calls / steps).padStart(6),
    );
  }
  console.log('ops total'.padEnd(44), (opsWall / steps).toFixed(2).padStart(9));
  console.log('step'.padEnd(44), (wall / steps).toFixed(2).padStart(9), (cpu / steps).toFixed(2).padStart(9));
}

// The products of the step's dense layers, each timed alone: is the time in OpenBLAS or around it?
function raw() {
  const { vocabulary: V, steps: T, batch: B, d, inner } = GPT;
  const m = B * T;
  const cases = [
    ['qkv/out fwd  NN', false, false, m, d, d],
    ['ff1 fwd      NN', false, false, m, inner, d],
    ['ff2 fwd      NN', false, false, m, d, inner],
    ['logits fwd   NN', false, false, m, V, d],
    ['dW d×d       TN', true, false, d, d, m],
    ['dW1 d×inner  TN', true, false, d, inner, m],
    ['dW2 inner×d  TN', true, false, inner, d, m],
    ['dx  m×d (n=d) NT', false, true, m, d, d],
    ['dx  m×d (n=inner) NT', false, true, m, d, inner],
    ['dx  m×inner (n=d) NT', false, true, m, inner, d],
    ['qkv fused fwd NN', false, false, m, 3 * d, d],
    ['qkv fused dx  NT', false, true, m, d, 3 * d],
    ['qkv fused dW  TN', true, false, d, 3 * d, m],
  ];
  console.log(`threads ${threads}: OpenBLAS alone, µs per call (median of 7 rounds)`);
  for (const [name, ta, tb, M, N, K] of cases) {
    const a = bp.floatArray('float32', M * K).fill(0.01);
    const b = bp.floatArray('float32', K * N).fill(0.02);
    const c = bp.floatArray('float32', M * N);
    const reps = Math.max(5, Math.round(2e8 / (M * N * K)));
    const rounds = [];
    for (let r = 0; r < 8; r++) {
      const t = wallMs();
      for (let i = 0; i < reps; i++) native.gemm(ta, tb, M, N, K, 1, a, b, 0, c);
      rounds.push(((wallMs() - t) * 1000) / reps);
    }
    rounds.shift();
    const us = med(rounds);
    console.log(
      `${name.padEnd(22)} ${M}x${N}x${K}`.padEnd(44),
      us.toFixed(1).padStart(9),
      `${((2 * M * N * K) / us / 1e3).toFixed(1)} GFLOP/s`.padStart(16),
    );
  }
}

const run = process.argv.includes('--raw') ? async () => raw() : process.argv.includes('--profile') ? profile : whole;
run().catch((e) => {
  console.error(e);
  process.exit(1);
});
