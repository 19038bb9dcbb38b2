/**
 * A job's memory limit, enforced from inside its worker thread. A thread's resourceLimits cap its JS heap only,
 * while a training job holds most of its memory in typed arrays (data, weights, layer buffers), outside the
 * heap: this counts both — process.memoryUsage() in a worker thread reports that thread's own heap, external
 * memory and array buffers — and the job fails with a clear error past the limit. It is checked after the data
 * is loaded, when the model's need is checked against what is left (before anything is allocated for it), after
 * every batch (at most every 50 ms) and on a timer.
 */
import { formatBytes } from '../limits';

/** Least time between checks from the training loop. */
const CHECK_EVERY_MS = 50;

export class MemoryWatch {
  private last = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes this thread holds: its heap, and its array buffers and other external memory. */
  used(): number {
    const m = process.memoryUsage();
    // arrayBuffers counts SharedArrayBuffers, which external leaves out; external counts other native memory.
    return m.heapUsed + Math.max(m.external, m.arrayBuffers);
  }

  /** Bytes left under the limit now. */
  left(): number {
    return Math.max(0, this.limitBytes - this.used());
  }

  /** Throws, saying `when`, if the thread holds more than the limit. */
  check(when: string): void {
    this.last = performance.now();
    const used = this.used();
    if (used > this.limitBytes)
      throw new Error(
        `the job holds ${formatBytes(used)} (heap and array buffers) ${when}, over its memory limit of ` +
          `${formatBytes(this.limitBytes)}: give it less data, a smaller model or batch, or a worker with more ` +
          `memory (--worker-memory-mb)`,
      );
  }

  /** check(), at most every 50 ms (for the training loop). */
  checkSometimes(when: string): void {
    if (performance.now() - this.last >= CHECK_EVERY_MS) this.check(when);
  }
}
