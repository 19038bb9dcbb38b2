/**
 * The worker threads that decode datasets (CSV parsing, image decoding), kept for reuse: a pass takes
 * threads from the pool and gives them back when it ends normally; a pass that fails or is stopped early
 * terminates its threads instead (they may be mid-task). Idle threads do not keep the process alive and
 * exit after a few seconds unused.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

const IDLE_MS = 5000;
const MAX_IDLE = 8;
const idle: { worker: Worker; since: number }[] = [];
let timer: NodeJS.Timeout | undefined;
/** Threads that finished starting. */
const started = new WeakSet<Worker>();

/**
 * Ends a thread, once it has started: Node 20 can abort the whole process ("close before init") when a thread
 * is terminated while it is still being set up, as a pass that fails at once would do.
 */
function stop(w: Worker): void {
  if (started.has(w)) void w.terminate();
  else w.once('online', () => void w.terminate());
}

/** The compiled worker script (tests run the sources; the worker runs the build in dist/). */
function script(): string {
  if (__filename.endsWith('.ts'))
    return path.resolve(__dirname, '..', '..', '..', 'dist', 'data', 'dataset', 'dataset-worker.js');
  return path.join(__dirname, 'dataset-worker.js');
}

function spawn(): Worker {
  const w = new Worker(script(), { workerData: { backpropDatasetWorker: true } });
  w.once('online', () => started.add(w));
  // A thread that fails or exits while idle is dropped (a dead thread handed to a pass would never answer);
  // in use, its pass listens for errors and exits itself.
  const drop = () => {
    const i = idle.findIndex((e) => e.worker === w);
    if (i >= 0) idle.splice(i, 1);
  };
  w.on('error', drop).on('exit', drop);
  return w;
}

/** `n` threads for a pass. */
export function acquireWorkers(n: number): Worker[] {
  const out = idle.splice(0, n).map((e) => e.worker);
  while (out.length < n) out.push(spawn());
  for (const w of out) w.ref();
  return out;
}

/** Threads back to the pool after a pass that ended normally (its listeners removed by the caller). */
export function releaseWorkers(workers: Worker[]): void {
  const now = Date.now();
  for (const w of workers) {
    if (idle.length >= MAX_IDLE) {
      stop(w);
      continue;
    }
    w.unref();
    idle.push({ worker: w, since: now });
  }
  if (!timer) {
    timer = setInterval(() => {
      const cutoff = Date.now() - IDLE_MS;
      while (idle.length > 0 && idle[0].since < cutoff) stop(idle.shift()!.worker);
      if (idle.length === 0) {
        clearInterval(timer);
        timer = undefined;
      }
    }, 1000);
    timer.unref();
  }
}

/** Terminates threads whose state is unknown (a failed or abandoned pass). */
export function discardWorkers(workers: Worker[]): void {
  for (const w of workers) stop(w);
}

/** Ends every idle thread now (tests; a process about to exit need not call it). */
export async function closeIdleWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((e) => e.worker.terminate()));
}
