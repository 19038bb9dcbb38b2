#!/usr/bin/env node
// Stress of the wasm backend's thread pool (wasm/src/pool.cc, src/backend/wasm/threads.ts): child processes open
// parallel regions back to back, each watched by a watchdog worker thread. A child whose progress counter stands
// still for `stall` seconds is reported as hung, with what tells a hang from a slow machine: the pool's shared words
// (read from the module's memory, so the blocked thread is not needed), the same counters sampled five times over
// half a second (moving: slow, not hung), each thread's state and CPU ticks, the lead worker's ops started and
// ended, whether the main thread is inside a synchronous call, and any worker that died; then the child is killed.
// Modes: `regions` (tiny gemms of 2 to 8 tasks on the main thread), `async` (the same, every fourth call a
// denseForwardAsync on the lead worker), `lstm` (bench/rnn-bench's LSTM training step: its ops on the lead
// worker or the main thread as the engine chooses, the LSTM's own regions being gemms and, in builds that split
// them, gate passes).
// Usage: node scripts/pool-stress.js [threads=2,3] [seconds per child=20] [rounds=2] [modes=regions,async,lstm]
//        [stall seconds=20]
// Env: BACKPROP_WASM_PATH another build of the module; POOL_STRESS_LSTM=bench the benchmark's LSTM (50 steps,
// 128 units, batch 64) instead of a small one; POOL_STRESS_REPORT=dir a Node diagnostic report (every thread's
// stack) of a hung child before it is killed. Needs `npm run build:ts`. Exit code 1 when a child hung or failed.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const POOL_WORDS = [
  ...['epoch', 'state', 'next', 'done', 'active', 'joined', 'tasks', 'helpers', 'helped', 'failed', 'testTrap'],
  ...['fn', 'ctx'],
];
const self = path.resolve(process.argv[1]);

function parent() {
  const [threadList = '2,3', seconds = '20', rounds = '2', modes = 'regions,async,lstm', stall = '20'] =
    process.argv.slice(2);
  if (!(Number(stall) > 0) || !(Number(seconds) > 0)) throw new Error('seconds and stall must be positive numbers');
  const runs = [];
  for (let i = 0; i < Number(rounds); i++) {
    for (const mode of modes.split(',')) for (const t of threadList.split(',')) runs.push([mode, t]);
  }
  const report = process.env.POOL_STRESS_REPORT;
  const flags = report ? ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${report}`] : [];
  const tally = {};
  let index = 0;
  const next = () => {
    if (index === runs.length) {
      console.log('pool-stress:', JSON.stringify(tally));
      process.exitCode = Object.values(tally).some((r) => r.hung || r.failed) ? 1 : 0;
      return;
    }
    const [mode, t] = runs[index++];
    const key = `${mode}/${t}`;
    tally[key] ??= { ok: 0, hung: 0, failed: 0, calls: 0 };
    const c = spawn(process.execPath, [...flags, self, '--child', mode, t, seconds, stall], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code, signal) => {
      const last = out.trim().split('\n').pop() || '';
      if (code === 0) {
        tally[key].ok++;
        tally[key].calls += Number(JSON.parse(last).calls);
      } else if (out.includes('HUNG')) tally[key].hung++;
      else tally[key].failed++;
      console.log(`${key}: ${code === 0 ? 'ok' : `exit ${code} ${signal || ''}`} ${last}`);
      next();
    });
  };
  next();
}

// The watchdog worker's source: samples the progress counter every 250 ms and dumps the state when it stalls.
const WATCHDOG = `
const { workerData: d } = require('node:worker_threads');
const fs = require('node:fs');
const pool = new Int32Array(d.memory.buffer, d.pool, d.names.length);
const busyWait = (ms) => { const until = Date.now() + ms; while (Date.now() < until); };
const ticks = () => Object.fromEntries(fs.readdirSync('/proc/self/task').map((t) => {
  try {
    const st = fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return [t, { state: f[0], cpu: Number(f[11]) + Number(f[12]) }];
  } catch { return [t, null]; }
}));
let last = -1, since = Date.now();
const timer = setInterval(() => {
  const p = Atomics.load(d.progress, 0);
  if (p !== last) { last = p; since = Date.now(); return; }
  if (Date.now() - since < d.stall * 1000) return;
  clearInterval(timer);
  let words = d.names.map((n, i) => n + '=' + Atomics.load(pool, i)).join(' ');
  const t0 = ticks(), samples = [];
  for (let k = 0; k < 5; k++) {
    busyWait(100);
    samples.push([0, 2, 3, 4, 6].map((i) => Atomics.load(pool, i)).join('/'));
  }
  const t1 = ticks();
  words += ' | epoch/next/done/active/tasks over 0.5 s: ' + samples.join(' ');
  words += ' | threads (id:state:ticks): ' + Object.entries(t1).filter(([, v]) => v)
    .map(([t, v]) => t + ':' + v.state + ':' + (t0[t] ? v.cpu - t0[t].cpu : '?')).join(' ');
  words += ' | lead ops started=' + Atomics.load(d.trace, 0) + ' ended=' + Atomics.load(d.trace, 1) +
    ' main in a sync call=' + Atomics.load(d.trace, 2) + ' worker errors=' + Atomics.load(d.trace, 3);
  fs.writeSync(1, 'HUNG after ' + p + ' calls, ' + Math.round((Date.now() - since) / 1000) + ' s: ' + words + '\\n');
  if (d.report) {
    process.kill(process.pid, 'SIGUSR2');
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 8000);
  } else process.kill(process.pid, 'SIGKILL');
}, 250);
`;

// The workers of threads.ts (the same code), saying which thread they are and counting the lead's ops in `trace`.
const TRACED_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, stackTop, trace, role, failPort } = workerData;
const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
e.__stack_pointer.value = stackTop;
const tid = require('node:fs').readlinkSync('/proc/thread-self').split('/').pop();
require('node:fs').writeSync(2, 'pool-stress: the ' + role + ' is thread ' + tid + '\\n');
if (role === 'helper') {
  parentPort.postMessage({ ready: true });
  try {
    e.bp_helper_loop();
  } catch (err) {
    require('node:fs').writeSync(2, 'pool-stress: the helper ' + tid + ' trapped: ' + err + '\\n');
    failPort.postMessage(String(err));
    e.bp_pool_fail(1);
  }
} else {
  parentPort.on('message', (m) => {
    let value = 0, error = null;
    Atomics.add(trace, 0, 1);
    const failedBefore = e.bp_pool_failed();
    try {
      value = e[m.op](...m.args);
    } catch (err) {
      error = String((err && err.stack) || err);
      e.__stack_pointer.value = stackTop;
    }
    Atomics.add(trace, 1, 1);
    parentPort.postMessage({ id: m.id, value, error, poolFailed: !failedBefore && e.bp_pool_failed() !== 0 });
  });
  parentPort.postMessage({ ready: true });
}
`;

function child(mode, threads, seconds, stallSeconds) {
  const { Worker } = require('node:worker_threads');
  const dist = path.join(__dirname, '..', 'dist');
  // The harness reaches into the backend's internals: the loaded module, the workers, the calls.
  const moduleJs = require(path.join(dist, 'backend/wasm/module'));
  const threadsJs = require(path.join(dist, 'backend/wasm/threads'));
  const callsJs = require(path.join(dist, 'backend/wasm/calls'));
  let loaded = null;
  const load = moduleJs.loadModule;
  moduleJs.loadModule = () => (loaded = load());
  // [lead ops started, lead ops ended, main thread inside a sync call, worker errors]
  const trace = new Int32Array(new SharedArrayBuffer(16));
  threadsJs.WasmThreads.prototype.spawn = function (role, failPort) {
    const { module, memory, exports } = this.loaded;
    const base = exports.bp_alloc(512 * 1024);
    if (!base) throw new Error('pool-stress: no memory for a worker stack');
    const stackTop = (base + 512 * 1024) & ~15;
    const w = new Worker(TRACED_WORKER, {
      eval: true,
      workerData: { module, memory, stackTop, trace, role, failPort },
      transferList: failPort ? [failPort] : [],
      stdin: false,
      execArgv: [],
    });
    w.unref();
    w.on('error', (e) => {
      Atomics.add(trace, 3, 1);
      process.stderr.write(`pool-stress: ${role} worker error: ${e && e.stack}\n`);
    });
    return w;
  };
  const call = callsJs.WasmCaller.prototype.call;
  callsJs.WasmCaller.prototype.call = function (op, args) {
    Atomics.store(trace, 2, 1);
    try {
      return call.call(this, op, args);
    } finally {
      Atomics.store(trace, 2, 0);
    }
  };
  process.stderr.write(`pool-stress: the main thread is thread ${process.pid}\n`);
  const bp = require(dist);
  bp.setThreads(threads);
  const wasm = bp.wasmBackend().backend;
  if (!wasm) throw new Error('no wasm backend');
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const dog = new Worker(WATCHDOG, {
    eval: true,
    workerData: {
      memory: loaded.memory,
      pool: loaded.exports.bp_pool(),
      names: POOL_WORDS,
      progress,
      trace,
      stall: stallSeconds,
      report: !!process.env.POOL_STRESS_REPORT,
    },
  });
  dog.unref();
  const tick = () => Atomics.add(progress, 0, 1);
  const rng = new bp.Rng(5);
  const floats = (n) => {
    const v = bp.floatArray('float32', n);
    for (let i = 0; i < n; i++) v[i] = rng.uniform(-1, 1);
    return v;
  };
  // Tiny products (m = 4, k = 8): n = 128 to 512 columns make 2 to 8 tasks of column slivers.
  const shapes = [128, 256, 512, 200, 384].map((n) => ({ n, a: floats(4 * 8), b: floats(8 * n), c: floats(4 * n) }));
  const end = Date.now() + seconds * 1000;
  (async () => {
    await wasm.threadsReady();
    let calls = 0;
    if (mode === 'lstm') {
      const { rnnStep, RNN_SPECS } = require(path.join(dist, 'bench/rnn-bench'));
      const spec =
        process.env.POOL_STRESS_LSTM === 'bench'
          ? RNN_SPECS[0]
          : { cell: 'lstm', steps: 20, features: 8, units: 32, batch: 64 };
      const step = rnnStep(spec, wasm);
      while (Date.now() < end) {
        await step();
        calls++;
        tick();
      }
    } else {
      while (Date.now() < end) {
        for (let r = 0; r < 200; r++) {
          const s = shapes[r % shapes.length];
          wasm.gemm(false, false, 4, s.n, 8, 1, s.a, s.b, 0, s.c);
          if (mode === 'async' && r % 4 === 0) await wasm.denseForwardAsync(s.a, s.b, null, s.c, s.c, 4, 8, s.n, 0, 0);
          calls++;
          tick();
        }
        if (mode === 'async') await new Promise((r) => setImmediate(r));
      }
    }
    process.stdout.write(JSON.stringify({ mode, threads, calls, helped: wasm.helperTasks() }) + '\n');
    process.exit(0);
  })().catch((e) => {
    process.stderr.write(`pool-stress: ${e.stack}\n`);
    process.exit(3);
  });
}

if (process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6]));
} else {
  parent();
}
