#!/usr/bin/env node
// Fuzzes every native export with random arguments (random types, counts, lengths, dims, offsets,
// detached and shared buffers) for a fixed time. Every call must return or throw TypeError/RangeError;
// the process must not crash (run it under scripts/asan.sh's build with BACKPROP_ADDON_PATH + LD_PRELOAD
// for memory errors). Usage: node scripts/fuzz-native.js [seconds=60] [seed=1]
const path = require('node:path');
const addonPath = process.env.BACKPROP_ADDON_PATH || path.join(__dirname, '..', 'build', 'Release', 'backprop.node');
const addon = require(addonPath);
const seconds = Number(process.argv[2] || 60),
  seed = Number(process.argv[3] || 1);

let s = seed >>> 0;
const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];

const m = 3,
  k = 4,
  n = 5;
const f = (len) => new Float32Array(len).fill(0.25);
// Valid calls, so mutations reach the deeper checks and the kernels.
const VALID = {
  gemm: () => [false, true, m, n, k, 1, f(m * k), f(n * k), 0, f(m * n)],
  activationForward: () => [12, 0, f(m * n), f(m * n), m, n],
  activationBackward: () => [5, 1, f(m * n), f(m * n), f(m * n), f(m * n), m, n],
  denseForward: () => [f(m * k), f(k * n), f(n), f(m * n), f(m * n), m, k, n, 3, 0],
  denseBackward: () => [
    f(m * k),
    f(k * n),
    f(m * n),
    f(m * n),
    f(m * n),
    f(m * n),
    f(k * n),
    f(n),
    f(m * k),
    m,
    k,
    n,
    3,
    0,
  ],
  meanSquaredError: () => [f(m * n), f(m * n), f(m * n), m, n],
  meanAbsoluteError: () => [f(m * n), f(m * n), null, m, n],
  huber: () => [f(m * n), f(m * n), f(m * n), m, n, 1],
  binaryCrossentropy: () => [f(m * n), f(m * n), f(m * n), m, n],
  sigmoidCrossEntropyWithLogits: () => [f(m * n), f(m * n), f(m * n), m, n],
  categoricalCrossentropy: () => [f(m * n), f(m * n), f(m * n), m, n],
  softmaxCrossEntropy: () => [f(m * n), f(m * n), f(m * n), m, n],
  softmaxCrossEntropySparse: () => [f(m * n), Int32Array.of(0, 1, 4), f(m * n), m, n],
  sgdStep: () => [f(7), f(7), 0.1, 0],
  momentumStep: () => [f(7), f(7), f(7), 0.1, 0.9, true, 0],
  rmspropStep: () => [f(7), f(7), f(7), 0.1, 0.9, 1e-7, 0],
  adagradStep: () => [f(7), f(7), f(7), 0.1, 1e-7, 0],
  adamStep: () => [f(7), f(7), f(7), f(7), 0.1, 0.9, 0.999, 1e-7, 1, 0, false],
  sumSquares: () => [f(7)],
  scale: () => [f(7), 2],
  clip: () => [f(7), -1, 1],
  l1l2: () => [f(7), f(7), 0.1, 0.1],
  setThreads: () => [1],
  blasInfo: () => [],
};
const ASYNC = {
  gemmAsync: 'gemm',
  denseForwardAsync: 'denseForward',
  denseBackwardAsync: 'denseBackward',
  adamStepAsync: 'adamStep',
};

function randomTyped() {
  const kinds = [Float32Array, Float64Array, Int32Array, Uint8Array, Int8Array, Float32Array, Float64Array];
  const C = pick(kinds);
  const len = pick([0, 1, 2, 3, 4, 5, 7, 12, 15, 20, 60, int(200)]);
  const shared = rnd() < 0.1;
  const buf = shared
    ? new SharedArrayBuffer((len + 4) * C.BYTES_PER_ELEMENT)
    : new ArrayBuffer((len + 4) * C.BYTES_PER_ELEMENT);
  const off = int(4);
  const a = new C(buf, off * C.BYTES_PER_ELEMENT, len);
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

const names = Object.keys(addon).filter((k) => typeof addon[k] === 'function' && k !== 'setThreads');
let calls = 0,
  accepted = 0,
  rejected = 0;
const end = Date.now() + seconds * 1000;
while (Date.now() < end) {
  for (let r = 0; r < 200; r++) {
    const name = pick(names);
    const base = (VALID[name] || VALID[ASYNC[name]] || (() => []))();
    let args;
    if (rnd() < 0.15) args = Array.from({ length: int(16) }, () => randomValue(undefined));
    else {
      args = base.slice();
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
    }
    calls++;
    try {
      const res = addon[name](...args);
      if (res && typeof res.then === 'function') res.catch(() => {});
      accepted++;
    } catch (e) {
      if (!(e instanceof TypeError || e instanceof RangeError)) {
        console.error(`fuzz: ${name} threw ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
        process.exit(1);
      }
      rejected++;
    }
  }
}
setTimeout(
  () => console.log(JSON.stringify({ seconds, seed, calls, accepted, rejected, exports: names.length, crashes: 0 })),
  50,
);
