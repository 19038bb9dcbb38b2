/**
 * The wasm backend's thread pool when a helper thread fails: a helper that traps inside a parallel region (a kernel
 * bug) ends the op with a clear error on the thread that ran it (the main thread for a sync op, the lead worker for
 * an async twin) instead of leaving it waiting forever; later ops run on their calling thread with the same bits;
 * a helper that cannot start leaves the pool working without helpers. Each case runs in a child process with a
 * timeout (the pool fails once per module, and a regression is a hang): a child killed by the timeout fails here.
 * The trap comes from bp_test_trap_helpers, an export of the module for these tests only (wasm/src/pool.cc).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const DIST = path.resolve(__dirname, '../../dist');

interface Outcome {
  error: string | null;
  same: boolean;
  sameAsync: boolean;
  helpedAfter: number;
  threadsAfter: number;
  warnings: string[];
}

function child(
  mode: 'sync' | 'async' | 'nostart',
  threads: number,
): {
  status: number | null;
  signal: string | null;
  out: string;
  err: string;
} {
  const r = spawnSync(process.execPath, ['-e', CHILD], {
    env: { ...process.env, DIST, MODE: mode, THREADS: String(threads) },
    encoding: 'utf8',
    // A few seconds at most when it works; on the old code the op waits forever and the child is killed.
    timeout: 40_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

// Loads the backend with THREADS threads, keeping the module's exports (the test switch is not part of the backend);
// runs a gemm of several tasks before the failure, the failing one, then sync and async gemms after it.
const CHILD = `
const dist = process.env.DIST, mode = process.env.MODE;
const moduleJs = require(dist + '/backend/wasm/module');
let loaded;
const load = moduleJs.loadModule;
moduleJs.loadModule = () => (loaded = load());
if (mode === 'nostart') {
  // Helpers whose worker throws before it reaches the module's loop.
  const { Worker } = require('node:worker_threads');
  const threads = require(dist + '/backend/wasm/threads').WasmThreads.prototype;
  const spawn = threads.spawn;
  threads.spawn = function (role, port) {
    if (role !== 'helper') return spawn.call(this, role, port);
    const w = new Worker('throw new Error("no helper today")', { eval: true });
    w.unref();
    return w;
  };
}
const warnings = [];
process.on('warning', (w) => warnings.push(w.message));
const { floatArray } = require(dist + '/backend/memory');
const b = require(dist + '/backend/wasm').loadWasmBackend(Number(process.env.THREADS)).backend;
const m = 200, n = 256, k = 150;
const fill = (len, s) => { const a = floatArray('float32', len); for (let i = 0; i < len; i++) a[i] = Math.sin(i * s); return a; };
const x = fill(m * k, 0.37), w = fill(k * n, 0.11);
const gemm = (c) => b.gemm(false, false, m, n, k, 1, x, w, 0, c);
const bits = (c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength);
(async () => {
  await b.threadsReady();
  const ref = floatArray('float32', m * n);
  gemm(ref);
  const helpedBefore = b.helperTasks();
  loaded.exports.bp_test_trap_helpers(mode === 'nostart' ? 0 : 1);
  const c = floatArray('float32', m * n);
  let error = null;
  try {
    if (mode === 'async') await b.gemmAsync(false, false, m, n, k, 1, x, w, 0, c);
    else gemm(c);
  } catch (e) {
    error = e.message;
  }
  // The switch stays on: a helper taking a task from now on would trap again.
  const after = floatArray('float32', m * n), afterAsync = floatArray('float32', m * n);
  gemm(after);
  await b.gemmAsync(false, false, m, n, k, 1, x, w, 0, afterAsync);
  console.log(JSON.stringify({
    error,
    same: bits(after).equals(bits(ref)),
    sameAsync: bits(afterAsync).equals(bits(ref)),
    helpedAfter: b.helperTasks() - helpedBefore,
    threadsAfter: b.info().threads,
    warnings,
  }));
  // The process then ends by itself: nothing the failure left behind keeps it alive.
})().catch((e) => { console.error(e.stack); process.exitCode = 3; });
`;

function outcome(mode: 'sync' | 'async' | 'nostart', threads = 2): Outcome {
  const r = child(mode, threads);
  if (r.status !== 0)
    throw new Error(`child (${mode}) ended with status ${r.status} ${r.signal ?? ''}: ${r.out}${r.err}`);
  return JSON.parse(r.out.trim().split('\n').pop()!) as Outcome;
}

const CLEAR = /^wasm backend: a helper thread failed while running an op \(RuntimeError: unreachable\); the pool runs/;

test.each([
  ['sync', 2],
  ['async', 2],
  ['sync', 4],
] as const)(
  'a helper trapping in a %s op (%d threads) ends the op with a clear error; later ops give the same bits',
  (mode, threads) => {
    const o = outcome(mode, threads);
    expect(o.error).toMatch(CLEAR);
    expect(o.same).toBe(true);
    expect(o.sameAsync).toBe(true);
    expect(o.helpedAfter).toBe(0);
    expect(o.threadsAfter).toBe(1);
    expect(o.threadsAfter).toBe(1);
    expect(o.warnings).toEqual([]);
  },
);

test('helpers that cannot start: threadsReady resolves, a warning says so, ops run on the calling thread', () => {
  const o = outcome('nostart');
  expect(o.error).toBeNull();
  expect(o.same).toBe(true);
  expect(o.sameAsync).toBe(true);
  expect(o.helpedAfter).toBe(0);
  expect(o.threadsAfter).toBe(1);
  expect(o.warnings).toEqual([expect.stringMatching(/^wasm backend: a helper thread failed: Error: no helper today/)]);
});
