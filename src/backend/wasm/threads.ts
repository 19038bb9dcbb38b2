/**
 * The wasm backend's threads: Node worker threads that instantiate the compiled module on the same shared memory.
 * Helpers (`threads - 1` of them) sit in the module's bp_helper_loop and take the tasks of parallel regions opened
 * by whichever thread runs an op (wasm/src/pool.cc). One more worker, the lead, runs whole ops for the async twins,
 * so that the main thread's event loop keeps turning while an op runs; its regions use the same helpers.
 * Workers are created on first need, never block the process from exiting (unref), and each has its own stack
 * in the shared memory.
 *
 * A helper that traps in a task (a kernel bug) would leave the region's opener waiting forever, often the main
 * thread, blocked in wasm where no JS event can reach it. So the helper's worker catches the trap, sends its message
 * on a port the main thread reads synchronously, and marks the pool failed in the module (bp_pool_fail), which wakes
 * the opener: its op throws poolError() on its own thread, and from then on every op runs on its calling thread
 * (the same bits: no result depends on the thread count). A helper that dies otherwise (it could not start) marks
 * the pool failed too, with a process warning: no op is lost then, the pool just stops using helpers.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { LoadedModule } from './module';

/** Bytes of each worker's stack (the kernels keep only register tiles and small arrays there). */
const STACK_BYTES = 512 * 1024;

// Plain JS run by each worker (eval: no file to locate, the same under ts-jest and from dist). A trap leaves the
// module's stack pointer where the trapped frames had it: the lead puts it back before its next op.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, stackTop, role, failPort } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const e = instance.exports;
e.__stack_pointer.value = stackTop;
if (role === 'helper') {
  parentPort.postMessage({ ready: true });
  try {
    e.bp_helper_loop();
  } catch (err) {
    failPort.postMessage(String(err));
    e.bp_pool_fail(1);
  }
} else {
  parentPort.on('message', (m) => {
    let value = 0, error = null;
    const failedBefore = e.bp_pool_failed();
    try {
      value = e[m.op](...m.args);
    } catch (err) {
      error = String((err && err.stack) || err);
      e.__stack_pointer.value = stackTop;
    }
    // Whether the op's own region failed (a trap of an op run alone, after the pool failed, is the op's own).
    const poolFailed = !failedBefore && e.bp_pool_failed() !== 0;
    parentPort.postMessage({ id: m.id, value, error, poolFailed });
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
  /** The ports on which helpers say why they trapped (read synchronously: the reader may just have been blocked). */
  private readonly failPorts: MessagePort[] = [];
  /** Why the pool failed, once the JS side knows it did. */
  private failure?: string;
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

  /** Threads an op may use (the caller and the helpers; the caller alone once the pool failed). */
  get threads(): number {
    return this.failure === undefined ? this.threadCount : 1;
  }

  /** Sets the thread count; helpers beyond it stay asleep, new ones start when first needed. */
  setThreads(n: number): void {
    this.threadCount = n;
    this.loaded.exports.bp_pool_set_helpers(Math.min(n - 1, this.helpers.length));
  }

  /** Starts the helpers the thread count asks for (they join regions once running). */
  ensureHelpers(): void {
    if (this.failure !== undefined) return;
    const want = this.threadCount - 1;
    while (this.helpers.length < want) {
      const { port1, port2 } = new MessageChannel();
      const w = this.spawn('helper', port2);
      this.helpers.push(w);
      this.failPorts.push(port1);
      this.started.push(
        new Promise((resolve) => {
          w.once('message', () => resolve());
          w.once('error', (e) => (this.helperDied(`a helper thread failed: ${String(e)}`), resolve()));
          w.once('exit', (code) => (this.helperDied(`a helper thread exited (code ${code})`), resolve()));
        }),
      );
    }
    this.loaded.exports.bp_pool_set_helpers(want);
  }

  /** Whether the pool failed (a helper trapped or died). */
  failed(): boolean {
    if (this.failure === undefined && this.loaded.exports.bp_pool_failed() !== 0) {
      this.failure = this.helperMessage() ?? 'no message';
    }
    return this.failure !== undefined;
  }

  /**
   * After a synchronous op trapped: whether the pool failed during it (the op's region ended that way), rather than
   * before it (the op then ran on its thread alone, and the trap is its own). While the op ran, nothing on this
   * thread could learn of a failure.
   */
  failedNow(): boolean {
    return this.failure === undefined && this.failed();
  }

  /** The error an op whose region a helper's failure ended throws. */
  poolError(): Error {
    this.failed();
    return new Error(
      `wasm backend: a helper thread failed while running an op (${this.failure}); ` +
        'the pool runs on the calling thread from now on',
    );
  }

  /** The first message a trapped helper sent, if any. */
  private helperMessage(): string | undefined {
    let first: string | undefined;
    for (const port of this.failPorts) {
      const m = receiveMessageOnPort(port);
      if (m && first === undefined) first = String(m.message);
    }
    return first;
  }

  /**
   * A helper's worker ended: after its own trap (bp_pool_fail has run), or outside any region (it could not start).
   * Either way no region may wait for it: the pool is marked failed, and says so once.
   */
  private helperDied(reason: string): void {
    if (this.failure !== undefined) return;
    const trapped = this.loaded.exports.bp_pool_failed() !== 0;
    this.failure = this.helperMessage() ?? reason;
    this.loaded.exports.bp_pool_fail(0);
    if (!trapped) {
      process.emitWarning(`wasm backend: ${this.failure}; the pool runs on the calling thread from now on`);
    }
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
      lead.on('message', (m: { id?: number; value?: number; error?: string | null; poolFailed?: boolean }) => {
        if (m.id === undefined) return;
        const p = this.leadPending.get(m.id);
        if (!p) return;
        this.leadPending.delete(m.id);
        if (this.leadPending.size === 0) lead.unref();
        if (m.error && m.poolFailed) p.reject(this.poolError());
        else if (m.error) p.reject(new Error(`wasm backend: the op failed on its worker thread: ${m.error}`));
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

  private spawn(role: 'helper' | 'lead', failPort?: MessagePort): Worker {
    const e = this.loaded.exports;
    const base = e.bp_alloc(STACK_BYTES);
    if (!base) throw new Error('wasm backend: no memory for a worker stack');
    const stackTop = (base + STACK_BYTES) & ~15;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: this.loaded.module, memory: this.loaded.memory, stackTop, role, failPort },
      transferList: failPort ? [failPort] : [],
      // The workers run only the module: no stdin, and no inherited execArgv that could load test hooks.
      stdin: false,
      execArgv: [],
    });
    worker.unref();
    return worker;
  }
}
