#!/usr/bin/env node
// Where a training step spends its time, op by op, on the native and the wasm backend side by side (wall time per
// step of every backend op the step calls, summed over its calls), for the rows of `backprop bench` that compare
// wasm with native: the three CNNs, the 784-256-128-10 MLP and LSTM(128). On wasm the copies into and out of the
// module's memory are counted separately ("(copies)"). Wall time on a possibly shared machine: compare ratios.
// Usage: node bench/wasm-profile.js [model=all|mlp|lstm|small|keras|residual] [threads=2] [steps=20]
'use strict';
const bp = require('../dist');
const { cnnStep } = require('../dist/bench/cnn-bench');
const { mlpStep, parseSpec } = require('../dist/bench/mlp-bench');
const { rnnStep, RNN_SPECS } = require('../dist/bench/rnn-bench');
const { WasmCaller } = require('../dist/backend/wasm/calls');

const [model = 'all', threadsArg = '2', stepsArg = '20'] = process.argv.slice(2);
const threads = Number(threadsArg),
  steps = Number(stepsArg);
let table = new Map();
const now = () => performance.now();
function record(key, ms) {
  const e = table.get(key) || { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls++;
  table.set(key, e);
}
let depth = 0;
function instrument(b) {
  const wrapped = Object.create(b);
  for (const name of Object.keys(Object.getPrototypeOf(b)).concat(Object.keys(b))) {
    const f = b[name];
    if (typeof f !== 'function' || name === 'info' || name === 'constructor') continue;
    wrapped[name] = function (...args) {
      if (depth > 0) return f.apply(b, args);
      depth++;
      const t0 = now();
      let r;
      try {
        r = f.apply(b, args);
      } finally {
        depth--;
      }
      if (r && typeof r.then === 'function') return r.then((v) => (record(name, now() - t0), v));
      record(name, now() - t0);
      return r;
    };
  }
  return wrapped;
}
for (const m of ['copyIn', 'finish']) {
  const f = WasmCaller.prototype[m];
  WasmCaller.prototype[m] = function (...args) {
    const t0 = now();
    const r = f.apply(this, args);
    record('(copies)', now() - t0);
    return r;
  };
}

function makeStep(kind, b) {
  if (kind === 'mlp') return mlpStep(parseSpec('784-256-128-10', 128, 'adam'), b);
  if (kind === 'lstm') return rnnStep(RNN_SPECS[0], b);
  return cnnStep(kind, b);
}

async function profile(kind, name, b) {
  table = new Map();
  const step = makeStep(kind, instrument(b));
  for (let i = 0; i < 3; i++) await step();
  table = new Map();
  const t0 = now();
  for (let i = 0; i < steps; i++) await step();
  const total = (now() - t0) / steps;
  const per = new Map([...table].map(([k, v]) => [k, { ms: v.ms / steps, calls: v.calls / steps }]));
  return { total, per };
}

async function main() {
  bp.setThreads(threads);
  const native = bp.nativeBackend().backend;
  const wasm = bp.wasmBackend().backend;
  await wasm.threadsReady();
  const kinds = model === 'all' ? ['mlp', 'lstm', 'small', 'keras', 'residual'] : [model];
  for (const kind of kinds) {
    const n = await profile(kind, 'native', native);
    const w = await profile(kind, 'wasm', wasm);
    console.log(
      `\n${kind}, ${threads} thread(s): step native ${n.total.toFixed(3)} ms, wasm ${w.total.toFixed(3)} ms, ` +
        `ratio ${(w.total / n.total).toFixed(2)}`,
    );
    const keys = [...new Set([...n.per.keys(), ...w.per.keys()])].sort(
      (a, b) => (w.per.get(b)?.ms ?? 0) - (w.per.get(a)?.ms ?? 0),
    );
    console.log(
      'op'.padEnd(28) + 'calls'.padStart(7) + 'native ms'.padStart(11) + 'wasm ms'.padStart(10) + 'ratio'.padStart(8),
    );
    for (const k of keys) {
      const a = n.per.get(k),
        c = w.per.get(k);
      console.log(
        k.padEnd(28) +
          String((c ?? a).calls).padStart(7) +
          (a ? a.ms.toFixed(3) : '-').padStart(11) +
          (c ? c.ms.toFixed(3) : '-').padStart(10) +
          (a && c ? (c.ms / a.ms).toFixed(2) : '-').padStart(8),
      );
    }
  }
  process.exit(0);
}
main();
