#!/usr/bin/env node
// Fuzzes the Gloo addon (native/gloo: distributed training) with random arguments and random call orders for a
// fixed time: every method of a process group, before and after it connects (groups of one rank, which connect
// at once through a file store), closed or not, and processes that exit with groups left open. Every call must
// return, throw or reject; the process must not crash (run it with BACKPROP_GLOO_ADDON_PATH at scripts/asan.sh's
// sanitized build and LD_PRELOAD for memory errors). Exits non-zero when a call threw something other than an
// Error, or when a child (a process exiting with its groups open) died from a signal.
// Usage: node scripts/fuzz-gloo.js [seconds=20] [seed=1]   (needs `npm run build` with libgloo-dev)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { loadGloo } = require('../dist/distributed/native');

const seconds = Number(process.argv[2] || 20),
  seed = Number(process.argv[3] || 1);
let s = seed >>> 0;
const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];

const { Group } = loadGloo();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-fuzz-gloo-'));
const shared = (n, T) => new T(new SharedArrayBuffer(n * T.BYTES_PER_ELEMENT));
const typed = () =>
  pick([
    shared(4, Float32Array),
    shared(4, Float64Array),
    shared(0, Float32Array),
    shared(1 + int(70000), Float32Array),
    shared(4, Int32Array),
    new Float32Array(4),
    new Float64Array(4),
    new Uint8Array(new SharedArrayBuffer(8)),
    new DataView(new SharedArrayBuffer(8)),
    new Float32Array(new SharedArrayBuffer(16, { maxByteLength: 64 })),
    Buffer.from('abc'),
  ]);
const value = () =>
  pick([
    undefined,
    null,
    0,
    1,
    -1,
    2,
    0.5,
    NaN,
    Infinity,
    2 ** 31,
    2 ** 53,
    131072,
    131080,
    16777216,
    '',
    'x',
    '127.0.0.1',
    true,
    false,
    {},
    [],
    () => 1,
    10n,
    Symbol('s'),
    typed(),
    typed(),
    [typed()],
    [typed(), typed()],
    [1, 'a'],
    fs.mkdtempSync(path.join(root, 'd-')),
  ]);
const METHODS = [
  'connectFile',
  'connectStore',
  'storeReply',
  'addBucket',
  'clearBuckets',
  'segmentBytes',
  'setSegmentBytes',
  'reduce',
  'reduceNow',
  'allreduce',
  'broadcast',
  'barrier',
  'flush',
  'close',
  'failure',
];

let calls = 0,
  groups = 0,
  bad = 0;
const check = (e) => {
  if (!(e instanceof Error)) {
    bad++;
    console.error('fuzz-gloo: a call threw a non-Error:', e);
  }
};

/** A child that makes groups, queues work on them and exits without closing them: exit must not crash. */
function exitWithOpenGroups() {
  const child = `
    const { Group } = require(${JSON.stringify(path.resolve(__dirname, '../dist/distributed/native'))}).loadGloo();
    const dir = ${JSON.stringify(root)};
    const g = new Group(0, 1, '127.0.0.1', 1000);
    const mode = ${int(4)};
    if (mode > 0) g.connectFile(require('fs').mkdtempSync(dir + '/c-')).catch(() => {});
    if (mode > 1) { g.barrier(); g.flush().catch(() => {}); }
    if (mode > 2) new Group(0, 2, '127.0.0.1', 5000).connectFile(require('fs').mkdtempSync(dir + '/w-')).catch(() => {});
    setTimeout(() => process.exit(0), ${int(50)});`;
  const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 30000 });
  if (r.signal || r.status !== 0) {
    bad++;
    console.error(`fuzz-gloo: a process exiting with open groups ended with ${r.signal ?? `code ${r.status}`}`);
    console.error(r.stderr);
  }
}

async function main() {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (int(20) === 0) exitWithOpenGroups();
    let g;
    try {
      g = new Group(
        pick([0, 0, 0, 1, -1, 0.5]),
        pick([1, 1, 1, 2, 0, NaN]),
        pick(['127.0.0.1', '127.0.0.1', 'x', 5]),
        200,
      );
      groups++;
    } catch (e) {
      check(e);
      continue;
    }
    const pending = [];
    for (let i = 0; i < 100; i++) {
      const m = pick(METHODS);
      const args = Array.from({ length: int(5) }, value);
      calls++;
      try {
        const r = g[m](...args);
        if (r && typeof r.then === 'function') pending.push(r.catch(check));
      } catch (e) {
        check(e);
      }
    }
    // Every promise settles: connect waits at most the group's timeout, a flush what was queued before it.
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 10000))]);
    await g.close().catch(check);
  }
  fs.rmSync(root, { recursive: true, force: true });
  console.log(JSON.stringify({ seconds, seed, groups, calls, bad }));
  if (bad > 0) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
