#!/usr/bin/env node
// Where the residual CNN's training step (src/bench/residual-cnn.ts: float32, batch 64, Adam) spends its time: per
// layer kind, forward and backward, the gradient sums of the graph engine, and the optimizer step, as wall time and
// process CPU time (all threads; the better measure while the machine is shared) with --profile; without it, the
// whole step, uninstrumented. Usage: node bench/residual-profile.js [threads=2] [steps=20] [--profile]
'use strict';
const bp = require('../dist');
const { cnnStep } = require('../dist/bench/cnn-bench');
const { engineOf } = require('../dist/model/engine');

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const threads = Number(args[0] || 2);
const steps = Number(args[1] || 20);
bp.setThreads(threads);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const wallMs = () => performance.now();
const table = new Map();
function record(key, wall, cpu) {
  const e = table.get(key) || { wall: 0, cpu: 0, calls: 0 };
  e.wall += wall;
  e.cpu += cpu;
  e.calls++;
  table.set(key, e);
}
function wrap(obj, name, key) {
  const f = obj[name];
  if (typeof f !== 'function') return;
  obj[name] = function (...args) {
    const w0 = wallMs(),
      c0 = cpuMs();
    const r = f.apply(this, args);
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

async function main() {
  const step = cnnStep('residual', 'auto');
  for (let i = 0; i < 3; i++) await step();
  // The whole step, uninstrumented: the median of `steps`.
  const times = [],
    cpus = [];
  for (let i = 0; i < steps; i++) {
    const w0 = wallMs(),
      c0 = cpuMs();
    await step();
    times.push(wallMs() - w0);
    cpus.push(cpuMs() - c0);
  }
  const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
  console.log(
    JSON.stringify({
      threads,
      msPerStep: +med(times).toFixed(2),
      cpuMsPerStep: +med(cpus).toFixed(2),
      samplesPerSecond: +((64 * 1000) / med(times)).toFixed(1),
    }),
  );
}

async function profile() {
  const { cnnModel } = require('../dist/bench/cnn-bench');
  const model = cnnModel('residual');
  const engine = engineOf(model);
  const rng = new bp.Rng(2);
  const x = bp.floatArray('float32', 64 * 784).map(() => rng.uniform(0, 1));
  const y = bp.floatArray('float32', 64 * 10);
  for (let r = 0; r < 64; r++) y[r * 10 + rng.int(10)] = 1;
  const backend = engine.backendFor(64);
  const async = engine.offThread(backend, 64);
  const run = () => (async ? engine.trainStepAsync(backend, x, y, 64) : engine.trainStep(backend, x, y, 64));
  await run();
  const seen = new Set();
  for (const layer of model.layers) {
    const kind = layer.className;
    if (seen.has(layer)) continue;
    seen.add(layer);
    for (const m of ['forward', 'forwardAsync', 'forwardMany']) wrap(layer, m, `${kind} fwd`);
    for (const m of ['backward', 'backwardAsync', 'backwardMany']) wrap(layer, m, `${kind} bwd`);
  }
  wrap(engine, 'contributeBuffer', 'engine gradient sums');
  wrap(engine, 'lossOfOutputs', 'loss');
  const opt = model.optimizer;
  wrap(opt, 'step', 'adam step');
  wrap(opt, 'stepAsync', 'adam step');
  for (let i = 0; i < 2; i++) await run();
  table.clear();
  let wall = 0,
    cpu = 0;
  for (let i = 0; i < steps; i++) {
    const w0 = wallMs(),
      c0 = cpuMs();
    await run();
    wall += wallMs() - w0;
    cpu += cpuMs() - c0;
  }
  // Nested wraps (forwardAsync falling back to forward) count twice: keep the outer figure by subtracting nothing
  // but report calls, so a doubled row shows itself.
  const rows = [...table.entries()].sort((a, b) => b[1].cpu - a[1].cpu);
  console.log(`mode: ${async ? 'off-thread (trainStepAsync)' : 'sync'}; per step over ${steps} steps`);
  console.log('what'.padEnd(28), 'wall ms'.padStart(9), 'cpu ms'.padStart(9), 'calls'.padStart(6));
  for (const [k, e] of rows) {
    console.log(
      k.padEnd(28),
      (e.wall / steps).toFixed(2).padStart(9),
      (e.cpu / steps).toFixed(2).padStart(9),
      String(e.calls / steps).padStart(6),
    );
  }
  console.log('step'.padEnd(28), (wall / steps).toFixed(2).padStart(9), (cpu / steps).toFixed(2).padStart(9));
}

(process.argv.includes('--profile') ? profile() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
