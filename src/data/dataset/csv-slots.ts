/**
 * Batch slots: a ring of batch buffers in shared memory between a producer thread (filling batches) and
 * the main thread (training on them), synchronised by counters in a shared Int32Array — no message per
 * batch. Batch k lives in slot k mod S; the producer fills it only after batch k - S was released, and
 * publishes it by raising PRODUCED; the consumer reads it in place and releases it by raising CONSUMED.
 * Both sides wait with Atomics.waitAsync, so neither blocks its event loop, and each says in the control
 * array what it waits for, so the other notifies only then: a waiting producer asks to be woken when half
 * the slots are free again, not at every release (a notify that wakes another thread costs tens of µs).
 */

import { float64View, floatView, int32View, waitChange } from './shared-memory';

/** Indexes into the control array. */
const PRODUCED = 0,
  CONSUMED = 1,
  STATE = 2,
  /** The CONSUMED count the waiting producer wants (0: not waiting). */
  PRODUCER_WAKE = 3,
  /** The PRODUCED count the waiting consumer wants (0: not waiting). */
  CONSUMER_WAKE = 4,
  ROWS = 5;
/** STATE values. */
export const RUNNING = 0,
  ENDED = 1,
  FAILED = 2,
  CANCELLED = 3;

export type YKind = 'int32' | 'float32' | 'float64' | null;

/** The shared buffers of a ring and their shapes (plain data: it is posted to the producer thread). */
export interface SlotLayout {
  ctrl: SharedArrayBuffer;
  progress: SharedArrayBuffer;
  x: SharedArrayBuffer;
  y: SharedArrayBuffer | null;
  slots: number;
  batchSize: number;
  /** Values per sample of x. */
  features: number;
  dtype: 'float32' | 'float64';
  /** Values per sample of y (0 without y). */
  targets: number;
  yKind: YKind;
}

type XArray = Float32Array | Float64Array;
type YArray = Int32Array | Float32Array | Float64Array;

function xView(l: SlotLayout): XArray {
  return floatView(l.dtype, l.x);
}
function yView(l: SlotLayout): YArray | null {
  if (!l.y || !l.yKind) return null;
  return l.yKind === 'int32' ? int32View(l.y) : floatView(l.yKind, l.y);
}

/**
 * Allocates a ring of `slots` batches of `batchSize` samples.
 * @example const layout = slotLayout(4, 32, 20, 'float32', 1, 'int32');
 */
export function slotLayout(
  slots: number,
  batchSize: number,
  features: number,
  dtype: 'float32' | 'float64',
  targets: number,
  yKind: YKind,
): SlotLayout {
  const bytes = dtype === 'float64' ? 8 : 4;
  const yBytes = yKind === 'float64' ? 8 : 4;
  return {
    ctrl: new SharedArrayBuffer((ROWS + slots) * 4),
    progress: new SharedArrayBuffer(slots * 8),
    x: new SharedArrayBuffer(Math.max(8, slots * batchSize * features * bytes)),
    y: yKind && targets > 0 ? new SharedArrayBuffer(slots * batchSize * targets * yBytes) : null,
    slots,
    batchSize,
    features,
    dtype,
    targets,
    yKind,
  };
}

/** The producer's side: fills batches row by row. */
export class SlotWriter {
  private readonly ctrl: Int32Array;
  private readonly progress: Float64Array;
  private readonly x: XArray;
  private readonly y: YArray | null;
  /** The batch being filled, and its rows so far. */
  private k = 0;
  private r = 0;
  private offset: Float64Array | undefined;
  private scale: Float64Array | undefined;

  constructor(private readonly l: SlotLayout) {
    this.ctrl = int32View(l.ctrl);
    this.progress = float64View(l.progress);
    this.x = xView(l);
    this.y = yView(l);
  }

  /** Scales every x row as it is written: (x - offset) / scale per feature, in float64 (as Scaler.transform). */
  setScaling(offset: number[], scale: number[]): void {
    this.offset = Float64Array.from(offset);
    this.scale = Float64Array.from(scale);
  }

  cancelled(): boolean {
    return Atomics.load(this.ctrl, STATE) === CANCELLED;
  }

  /** Whether a row can be written now (a batch in progress, or a free slot for the next one). */
  canPut(): boolean {
    return this.r > 0 || this.k - Atomics.load(this.ctrl, CONSUMED) < this.l.slots;
  }

  /** Waits for free slots (half of them, once all were full); false if the consumer cancelled the pass. */
  async waitForSlot(): Promise<boolean> {
    const { slots } = this.l;
    const want = this.k - slots + Math.max(1, slots >> 1);
    for (;;) {
      if (this.cancelled()) return false;
      Atomics.store(this.ctrl, PRODUCER_WAKE, want);
      const consumed = Atomics.load(this.ctrl, CONSUMED);
      if (consumed >= want) {
        Atomics.store(this.ctrl, PRODUCER_WAKE, 0);
        return true;
      }
      await waitChange(this.ctrl, CONSUMED, consumed);
    }
  }

  /** Copies a row (and its target) into the batch being filled; publishes the batch when it is full. */
  put(x: XArray, xOff: number, y: YArray | null | undefined, yOff: number, progress: number): void {
    const { features: nf, targets: ny, batchSize, slots } = this.l;
    const row = (this.k % slots) * batchSize + this.r;
    const dst = this.x;
    const off = this.offset;
    if (off) {
      const sc = this.scale!;
      for (let c = 0; c < nf; c++) dst[row * nf + c] = (x[xOff + c] - off[c]) / sc[c];
    } else if (nf < 64) for (let c = 0; c < nf; c++) dst[row * nf + c] = x[xOff + c];
    else dst.set(x.subarray(xOff, xOff + nf), row * nf);
    if (this.y && y) for (let c = 0; c < ny; c++) this.y[row * ny + c] = y[yOff * ny + c];
    if (++this.r === batchSize) this.publish(progress);
  }

  private publish(progress: number): void {
    const s = this.k % this.l.slots;
    this.ctrl[ROWS + s] = this.r;
    this.progress[s] = progress;
    this.k++;
    this.r = 0;
    Atomics.store(this.ctrl, PRODUCED, this.k);
    const want = Atomics.load(this.ctrl, CONSUMER_WAKE);
    if (want > 0 && this.k >= want) Atomics.notify(this.ctrl, PRODUCED);
  }

  /** Publishes the last, partial batch (unless `partial` is false) and marks the pass ended. */
  finish(progress: number, partial: boolean): void {
    if (this.r > 0 && partial) this.publish(progress);
    Atomics.store(this.ctrl, STATE, ENDED);
    Atomics.notify(this.ctrl, PRODUCED);
  }

  fail(): void {
    Atomics.store(this.ctrl, STATE, FAILED);
    Atomics.notify(this.ctrl, PRODUCED);
  }
}

/** A published batch: its rows, and views of its slot's x and y. */
export interface SlotBatch {
  index: number;
  rows: number;
  x: XArray;
  y: YArray | null;
  progress: number;
}

/** The consumer's side (main thread). */
export class SlotReader {
  private readonly ctrl: Int32Array;
  private readonly progress: Float64Array;
  private readonly x: XArray;
  private readonly y: YArray | null;
  private next = 0;
  private released = 0;
  private readonly done: boolean[];

  constructor(private readonly l: SlotLayout) {
    this.ctrl = int32View(l.ctrl);
    this.progress = float64View(l.progress);
    this.x = xView(l);
    this.y = yView(l);
    this.done = new Array<boolean>(l.slots).fill(false);
  }

  /** The next batch, or 'ended' / 'failed' once the producer says so (after every batch it published). */
  async take(): Promise<SlotBatch | 'ended' | 'failed'> {
    for (;;) {
      const produced = Atomics.load(this.ctrl, PRODUCED);
      if (produced > this.next) {
        const k = this.next;
        const s = k % this.l.slots;
        const rows = this.ctrl[ROWS + s];
        const { batchSize, features: nf, targets: ny } = this.l;
        // Written by another thread: checked before it sizes the views (a bad count would read a later slot).
        if (!(rows >= 1 && rows <= batchSize))
          throw new Error(
            `batch slot ${s} says it holds ${rows} rows, not 1 to ${batchSize}: the data thread is broken`,
          );
        this.next++;
        const x = this.x.subarray(s * batchSize * nf, (s * batchSize + rows) * nf);
        const y = this.y ? this.y.subarray(s * batchSize * ny, (s * batchSize + rows) * ny) : null;
        return { index: k, rows, x, y, progress: this.progress[s] };
      }
      const state = Atomics.load(this.ctrl, STATE);
      if (state === ENDED) return 'ended';
      if (state === FAILED || state === CANCELLED) return 'failed';
      Atomics.store(this.ctrl, CONSUMER_WAKE, this.next + 1);
      // Published (or ended) meanwhile: no wait. Otherwise the producer sees the request and notifies.
      if (Atomics.load(this.ctrl, PRODUCED) === produced && Atomics.load(this.ctrl, STATE) === state)
        await waitChange(this.ctrl, PRODUCED, produced);
      Atomics.store(this.ctrl, CONSUMER_WAKE, 0);
    }
  }

  /** Marks the pass failed from this side (the producer thread died), waking a pending take(). */
  fail(): void {
    Atomics.compareExchange(this.ctrl, STATE, RUNNING, FAILED);
    Atomics.notify(this.ctrl, PRODUCED);
  }

  /** Hands batch `index` back; slots are reused in order, so a later batch released first waits for the earlier. */
  release(index: number): void {
    this.done[index % this.l.slots] = true;
    let advanced = false;
    while (this.released < this.next && this.done[this.released % this.l.slots]) {
      this.done[this.released % this.l.slots] = false;
      this.released++;
      advanced = true;
    }
    if (advanced) {
      Atomics.store(this.ctrl, CONSUMED, this.released);
      const want = Atomics.load(this.ctrl, PRODUCER_WAKE);
      if (want > 0 && this.released >= want) Atomics.notify(this.ctrl, CONSUMED);
    }
  }

  /** Asks the producer to stop (it notices at its next wait or chunk). */
  cancel(): void {
    Atomics.store(this.ctrl, STATE, CANCELLED);
    Atomics.notify(this.ctrl, CONSUMED);
  }
}
