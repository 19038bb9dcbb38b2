#!/usr/bin/env node
// Fuzzes every native export with random arguments for a fixed time. Every call must return or throw
// TypeError/RangeError, and the process must not crash (run it under scripts/asan.sh's build with
// BACKPROP_ADDON_PATH + LD_PRELOAD for memory errors). BACKPROP_FUZZ_BACKEND=wasm (or js) fuzzes that backend's
// ops and async twins the same way (dist/: `npm run build:ts` first); a trap in the WebAssembly module (a
// RuntimeError) fails it like a crash. The valid calls it mutates come from the op table
// (dist/backend/op-table.js: run `npm run build` first). Besides random types, counts, lengths, dims,
// offsets and detached buffers, it drives the memory that can change under an op:
// - a worker thread keeps rewriting a SharedArrayBuffer (labels to out-of-range and negative values,
//   floats to NaN/±Inf) while the main thread calls every export on views of it;
// - resizable ArrayBuffers (shrunk, to 0 too, before the call) and growable SharedArrayBuffers;
// - right after an async op is queued, its buffers are resized to 0, transferred, or grown.
// Usage: node scripts/fuzz-native.js [seconds=60] [seed=1]
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { OP_TABLE } = require('../dist/backend/op-table');

const which = process.env.BACKPROP_FUZZ_BACKEND || 'native';
function target() {
  if (which === 'native') {
    const addonPath =
      process.env.BACKPROP_ADDON_PATH || path.join(__dirname, '..', 'build', 'Release', 'backprop.node');
    return require(addonPath);
  }
  const bp = require('../dist');
  const loaded = which === 'wasm' ? bp.wasmBackend() : { backend: bp.jsReference() };
  if (!loaded.backend) throw new Error(`the ${which} backend did not load: ${loaded.error}`);
  return loaded.backend;
}
const addon = target();
const seconds = Number(process.argv[2] || 60),
  seed = Number(process.argv[3] || 1);

let s = seed >>> 0;
const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];

const SIZES = { m: 3, k: 4, n: 5, rows: 3, cols: 5, len: 7 };
const f = (len) => new Float32Array(len).fill(0.25);
/** A valid call of an export: the op table's (for an async twin, its op's), else no arguments. */
function validCall(name, sizes = SIZES) {
  const spec = OP_TABLE[name] || OP_TABLE[name.replace(/Async$/, '')];
  return spec ? spec.valid({ sizes, fill: 0.25, float: rnd() < 0.2 ? Float64Array : Float32Array }) : [];
}

// ---- Buffers whose size can change: resizable ArrayBuffers and growable SharedArrayBuffers. ----------
const MAX_EXTRA = 64;
function changeableTyped(C, len) {
  const growable = rnd() < 0.5;
  const bytes = (len + 4) * C.BYTES_PER_ELEMENT;
  const opts = { maxByteLength: bytes + MAX_EXTRA * C.BYTES_PER_ELEMENT };
  const buf = growable ? new SharedArrayBuffer(bytes, opts) : new ArrayBuffer(bytes, opts);
  const off = int(4) * C.BYTES_PER_ELEMENT;
  const a = rnd() < 0.5 ? new C(buf, off) : new C(buf, off, len); // length-tracking or fixed
  if (growable) {
    if (rnd() < 0.3) buf.grow(buf.byteLength + int(MAX_EXTRA) * C.BYTES_PER_ELEMENT);
  } else if (rnd() < 0.4) buf.resize(pick([0, int(bytes), bytes - C.BYTES_PER_ELEMENT])); // shrunk, maybe out of bounds
  return a;
}

function randomTyped() {
  const kinds = [Float32Array, Float64Array, Int32Array, Uint8Array, Int8Array, Float32Array, Float64Array];
  const C = pick(kinds);
  const len = pick([0, 1, 2, 3, 4, 5, 7, 12, 15, 20, 60, int(200)]);
  if (rnd() < 0.25) return changeableTyped(C, len);
  const shared = rnd() < 0.15;
  const buf = shared
    ? new SharedArrayBuffer((len + 4) * C.BYTES_PER_ELEMENT)
    : new ArrayBuffer((len + 4) * C.BYTES_PER_ELEMENT);
  const off = int(4);
  const a = new C(buf, off * C.BYTES_PER_ELEMENT, len);
  if (C === Int32Array) for (let i = 0; i < len; i++) a[i] = pick([0, 1, 4, 5, -1, 2 ** 31 - 1, -(2 ** 31), int(7)]);
  if (!shared && rnd() < 0.08) structuredClone(buf, { transfer: [buf] }); // detached
  return a;
}
function randomValue(orig) {
  switch (int(12)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return pick([
        0,
        1,
        2,
        3,
        4,
        5,
        7,
        12,
        13,
        15,
        20,
        -1,
        NaN,
        Infinity,
        -Infinity,
        1.5,
        2 ** 31,
        2 ** 31 - 1,
        2 ** 53,
        -0,
        1e308,
      ]);
    case 3:
      return pick(['', '3', 'relu', '__proto__']);
    case 4:
      return rnd() < 0.5;
    case 5:
      return pick([1n, -1n, 2n ** 70n]);
    case 6:
      return pick([{}, [], [1, 2, 3], { length: 5 }, () => 1, Symbol('x')]);
    case 7:
    case 8:
    case 9:
      return randomTyped();
    case 10:
      try {
        return orig && orig.subarray ? orig.subarray(int(2)) : orig;
      } catch {
        return orig;
      } // a view of the original, maybe aliasing
    default:
      return orig;
  }
}

// ---- Shared memory rewritten by another thread. --------------------------------------------------------
const RACE_FLOATS = 4096,
  RACE_LABELS = 256;
const race = new SharedArrayBuffer(RACE_FLOATS * 8 + RACE_LABELS * 4 + 4);
const raceStop = new Int32Array(race, race.byteLength - 4, 1);
const scribbler = new Worker(
  `
  const { workerData: sab } = require('node:worker_threads');
  const f64 = new Float64Array(sab, 0, ${RACE_FLOATS});
  const f32 = new Float32Array(sab, 0, ${RACE_FLOATS * 2});
  const labels = new Int32Array(sab, ${RACE_FLOATS * 8}, ${RACE_LABELS});
  const stop = new Int32Array(sab, sab.byteLength - 4, 1);
  const badLabels = [-1, -(2 ** 31), 2 ** 31 - 1, 5, 6, 1 << 20, -(1 << 20)];
  const badFloats = [NaN, Infinity, -Infinity, 0, -0, 1e-45, 3.4e38, 1e308];
  let s = ${seed} >>> 0;
  const int = (n) => ((s = (s * 1664525 + 1013904223) >>> 0) % n);
  while (Atomics.load(stop, 0) === 0) {
    // One label at a time goes out of range for a moment and comes back into [0, cols): an op that checked
    // the labels in one pass and read them again later would see a valid check and a bad index.
    const l = int(labels.length);
    labels[l] = badLabels[int(badLabels.length)];
    for (let spin = int(200); spin > 0; spin--);
    labels[l] = int(5);
    const v = badFloats[int(badFloats.length)];
    if (int(2)) f64[int(f64.length)] = v;
    else f32[int(f32.length)] = v;
  }
`,
  { eval: true, workerData: race },
);

// Larger than SIZES, so that an op spends long enough on the racing memory for the writer to change it.
const RACE_SIZES = { m: 12, k: 10, n: 8, rows: 200, cols: 5, len: 300 };
/** The valid call with every array replaced by a view into the racing memory (random offsets, maybe overlapping). */
function racingCall(name) {
  return validCall(name, RACE_SIZES).map((v) => {
    if (v instanceof Int32Array)
      return new Int32Array(race, RACE_FLOATS * 8 + int(RACE_LABELS - v.length) * 4, v.length);
    if (v instanceof Float64Array) return new Float64Array(race, int(RACE_FLOATS - v.length) * 8, v.length);
    if (v instanceof Float32Array) return new Float32Array(race, int(2 * RACE_FLOATS - v.length) * 4, v.length);
    return v;
  });
}

// ---- Right after an async op is queued: take its buffers away if JS can. --------------------------------
let takenAway = 0;
function takeAway(args) {
  for (const a of args) {
    if (!ArrayBuffer.isView(a) || rnd() < 0.3) continue;
    const buf = a.buffer;
    try {
      if (buf instanceof SharedArrayBuffer) {
        if (buf.growable) buf.grow(Math.min(buf.maxByteLength, buf.byteLength + 8));
      } else if (buf.resizable && rnd() < 0.5) buf.resize(0);
      else structuredClone(buf, { transfer: [buf] });
      takenAway++;
    } catch {
      // already detached, or not transferable: nothing to take away
    }
  }
}

function argsFor(name) {
  if (rnd() < 0.15) return racingCall(name);
  if (rnd() < 0.15) return Array.from({ length: int(16) }, () => randomValue(undefined));
  const args = validCall(name);
  const mutations = 1 + int(3);
  for (let i = 0; i < mutations && args.length; i++) {
    const j = int(args.length);
    args[j] = randomValue(args[j]);
  }
  if (rnd() < 0.05) args.push(randomValue(undefined));
  if (rnd() < 0.05) args.pop();
  if (rnd() < 0.1) {
    const shared = f(80);
    for (let j = 0; j < args.length; j++)
      if (args[j] && args[j].BYTES_PER_ELEMENT === 4 && rnd() < 0.3) {
        try {
          args[j] = shared.subarray(int(10), int(10) + args[j].length);
        } catch {
          // a subarray past the end: keep the original argument
        }
      }
  }
  return args;
}

function fail(message) {
  console.error(`fuzz: ${message}`);
  process.exit(1);
}
const isCheckError = (e) => e instanceof TypeError || e instanceof RangeError;

// Every export of the addon; of a backend object, the ops and their async twins (its other methods are not ops).
const names = Object.keys(addon).filter(
  (k) =>
    typeof addon[k] === 'function' &&
    k !== 'setThreads' &&
    (which === 'native' || OP_TABLE[k] || OP_TABLE[k.replace(/Async$/, '')]),
);
const counts = { calls: 0, accepted: 0, rejected: 0, racing: 0, asyncQueued: 0, asyncRejected: 0 };
const pending = new Set();

(async () => {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    for (let r = 0; r < 200; r++) {
      const name = pick(names);
      const args = argsFor(name);
      if (args.length && args.some((a) => ArrayBuffer.isView(a) && a.buffer === race)) counts.racing++;
      counts.calls++;
      let res;
      try {
        res = addon[name](...args);
        counts.accepted++;
      } catch (e) {
        if (!isCheckError(e)) fail(`${name} threw ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
        counts.rejected++;
      }
      if (name.endsWith('Async')) takeAway(args);
      if (res && typeof res.then === 'function') {
        counts.asyncQueued++;
        const p = res.then(
          () => pending.delete(p),
          (e) => {
            pending.delete(p);
            if (!isCheckError(e)) fail(`${name} rejected with ${e && e.message}`);
            counts.asyncRejected++;
          },
        );
        pending.add(p);
      }
    }
    // Let completions run (and keep a bounded number of jobs in flight).
    await new Promise(setImmediate);
    if (pending.size > 64) await Promise.all(pending);
  }
  await Promise.all(pending);
  Atomics.store(raceStop, 0, 1);
  await new Promise((resolve) => scribbler.once('exit', resolve));
  console.log(
    JSON.stringify({ backend: which, seconds, seed, ...counts, takenAway, exports: names.length, crashes: 0 }),
  );
  process.exit(0); // the wasm backend's idle pool threads do not keep the process, but end it as soon as done
})().catch((e) => fail(e.stack));
