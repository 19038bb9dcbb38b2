/**
 * Labels in shared memory, rewritten by another thread while softmaxCrossEntropySparse runs: each call must
 * end in a RangeError or a valid (finite) loss — never a crash, never a loss computed from an unchecked
 * label. The racing loop runs in a child process so that a segfault fails this test instead of jest.
 * (Before the labels were read once, the native op checked them in one pass and read them again to index
 * the logits: a label rewritten in between sent it ~8 GB away, a SIGSEGV within a few calls.)
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { backendNames } from '../support/backends';

const DIST = path.resolve(__dirname, '../../dist/index.js');

// Only the last row's label flips, between 0 and values far outside [0, cols): the old check pass read it
// last and the kernel read it again ~100 µs later, so about one call in four saw it change in between.
const RACE = `
const { Worker } = require('node:worker_threads');
const bp = require(process.env.DIST);
const which = process.env.BACKEND;
const b = which === 'native' ? bp.nativeBackend().backend : which === 'wasm' ? bp.wasmBackend().backend : bp.jsReference();
if (!b) throw new Error('backend ' + which + ' did not load');
// The wasm backend computes float32 (it copies the labels into its memory once, checks and uses the copy).
const F = which === 'wasm' ? Float32Array : Float64Array;
const rows = 2048, cols = 16;
const shared = new SharedArrayBuffer(rows * 4 + 4);
const labels = new Int32Array(shared, 0, rows);
const stop = new Int32Array(shared, rows * 4, 1);
for (let r = 0; r < rows; r++) labels[r] = r % cols;
const logits = new F(rows * cols).map((_, i) => Math.sin(i));
const grad = new F(rows * cols);
const worker = new Worker(\`
  const { workerData } = require('node:worker_threads');
  const labels = new Int32Array(workerData, 0, workerData.byteLength / 4 - 1);
  const stop = new Int32Array(workerData, workerData.byteLength - 4, 1);
  const far = [-(2 ** 31), 2 ** 30, -(2 ** 29), 2 ** 31 - 1];
  const last = labels.length - 1;
  for (let i = 0; Atomics.load(stop, 0) === 0; i++) {
    labels[last] = i & 1 ? far[(i >> 1) & 3] : 0;
    for (let spin = 0; spin < 50; spin++);
  }
\`, { eval: true, workerData: shared });
const counts = { ok: 0, rangeErrors: 0, other: 0, nonFinite: 0 };
const end = Date.now() + Number(process.env.MS);
while (Date.now() < end) {
  try {
    const loss = b.softmaxCrossEntropySparse(logits, labels, grad, rows, cols);
    if (Number.isFinite(loss)) counts.ok++;
    else counts.nonFinite++;
  } catch (e) {
    if (e instanceof RangeError && /'labels'\\[2047\\] = -?\\d+ is outside \\[0, 16\\)/.test(e.message)) counts.rangeErrors++;
    else { counts.other++; console.error(e); }
  }
}
Atomics.store(stop, 0, 1);
worker.on('exit', () => {
  console.log(JSON.stringify(counts));
  process.exitCode = counts.other || counts.nonFinite ? 1 : 0;
});
`;

function race(backend: string, ms: number) {
  const env = { ...process.env, DIST, BACKEND: backend, MS: String(ms) };
  const r = spawnSync(process.execPath, ['-e', RACE], { env, encoding: 'utf8', timeout: 60_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return {
    status: r.status,
    signal: r.signal,
    stderr: r.stderr,
    counts: last.startsWith('{') ? JSON.parse(last) : null,
  };
}

describe.each(backendNames())('%s backend: labels rewritten by another thread during the op', (backend) => {
  test('every call ends in a RangeError or a finite loss, and the process survives', () => {
    const r = race(backend, 1500);
    const stderr = r.status === 0 ? '' : r.stderr;
    expect({ status: r.status, signal: r.signal, stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    // The race really happened both ways: some calls saw a far label, some saw only valid ones.
    expect(r.counts.rangeErrors).toBeGreaterThan(0);
    expect(r.counts.ok).toBeGreaterThan(0);
    expect(r.counts).toMatchObject({ other: 0, nonFinite: 0 });
  });
});
