/**
 * The wasm backend's threads: Node worker threads that instantiate the compiled module on the same shared memory.
 * Helpers (`threads - 1` of them) sit in the module's bp_helper_loop and take the tasks of parallel regions opened
 * by whichever thread runs an op (wasm/src/pool.cc). One more worker, the lead, runs whole ops for the async twins,
 * so that the main thread's event loop keeps turning while an op runs; its regions use the same helpers.
 * Workers are created on first need, never block the process from exiting (unref), and each has its own stack
 * in the shared memory.
 */
import { Worker } from 'node:worker_threads';
import type { LoadedModule } from './module';

/** Bytes of each worker's stack (the kernels keep only register tiles and small arrays there). */
const STACK_BYTES = 512 * 1024;

// Plain JS run by each worker (eval: no file to locate, the same under ts-jest and from dist).
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, stackTop, role } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const e = instance.exports;
e.__stack_pointer.value = stackTop;
if (role === 'helper') {
  parentPort.postMessage({ ready: true });
  e.bp_helper_loop();
} else {
  parentPort.on('message', (m) => {
    let value = 0, error = null;
    try {
      value = e[m.op](...m.args);
    } catch (err) {
      error = String((err && err.stack) || err);
    }
    parentPort.postMessage({ id: m.id, value, error });
  });
  parentPort.postMessage({ ready: true });
}
`;

interface Pending {
  resolve(value: number): void;
  reject(error: Error): void;
}

export class WasmThreads {
  private readonly helpers: Worker[] = [];
  private readonly started: Promise<void>[] = [];
  private lead?: Worker;
  private leadPending = new Map<number, Pending>();
  private nextId = 1;
  private threadCount: number;

  constructor(
    private readonly loaded: LoadedModule,
    threads: number,
  ) {
    this.threadCount = threads;
  }

  /** Threads an op may use (the caller and the helpers). */
  get threads(): number {
    return this.threadCount;
  }

  /** Sets the thread count; helpers beyond it stay asleep, new ones start when first needed. */
  setThreads(n: number): void {
    this.threadCount = n;
    this.loaded.exports.bp_pool_set_helpers(Math.min(n - 1, this.helpers.length));
  }

  /** Starts the helpers the thread count asks for (they join regions once running). */
  ensureHelpers(): void {
    const want = this.threadCount - 1;
    while (this.helpers.length < want) {
      const w = this.spawn('helper');
      this.helpers.push(w);
      this.started.push(new Promise((resolve) => w.once('message', () => resolve())));
    }
    this.loaded.exports.bp_pool_set_helpers(want);
  }

  /** Resolves when the helpers of the current thread count are running (they start on first need otherwise). */
  async ready(): Promise<void> {
    this.ensureHelpers();
    await Promise.all(this.started);
  }

  /** Tasks the helpers have run since the module loaded. */
  helped(): number {
    return (this.loaded.exports.bp_pool_helped as () => number)();
  }

  /** Runs `op(...args)` on the lead worker; resolves with its return value. */
  runOnLead(op: string, args: number[]): Promise<number> {
    this.ensureHelpers();
    if (!this.lead) {
      const lead = this.spawn('lead');
      lead.on('message', (m: { id?: number; value?: number; error?: string | null }) => {
        if (m.id === undefined) return;
        const p = this.leadPending.get(m.id);
        if (!p) return;
        this.leadPending.delete(m.id);
        if (this.leadPending.size === 0) lead.unref();
        if (m.error) p.reject(new Error(`wasm backend: the op failed on its worker thread: ${m.error}`));
        else p.resolve(m.value ?? 0);
      });
      lead.on('error', (e) => this.failLead(e));
      lead.on('exit', (code) => this.failLead(new Error(`wasm backend: the lead worker exited (code ${code})`)));
      this.lead = lead;
    }
    const id = this.nextId++;
    // While an op is pending the process must wait for it; idle, the worker keeps nothing alive.
    this.lead.ref();
    return new Promise((resolve, reject) => {
      this.leadPending.set(id, { resolve, reject });
      this.lead!.postMessage({ id, op, args });
    });
  }

  private failLead(e: Error): void {
    this.lead = undefined;
    for (const p of this.leadPending.values()) p.reject(e);
    this.leadPending.clear();
  }

  private spawn(role: 'helper' | 'lead'): Worker {
    const e = this.loaded.exports;
    const base = e.bp_alloc(STACK_BYTES);
    if (!base) throw new Error('wasm backend: no memory for a worker stack');
    const stackTop = (base + STACK_BYTES) & ~15;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: this.loaded.module, memory: this.loaded.memory, stackTop, role },
      // The workers run only the module: no stdin, and no inherited execArgv that could load test hooks.
      stdin: false,
      execArgv: [],
    });
    worker.unref();
    if (role === 'helper') worker.on('error', () => undefined);
    return worker;
  }
}
