/**
 * One op call into the WebAssembly module: its arrays copied into the module's memory (arrays that are the same
 * view share a copy, so documented in-place calls stay in place), the export run on this thread or on the lead
 * worker (async twins), the written arrays copied back. The caller's arrays are touched only by the copies: a
 * failure before the copy-out (the module out of memory) leaves them as they were, and the op then runs on the JS
 * kernel instead. Synchronous calls (never reentrant: the module calls no JS) reuse one arena and one set of
 * per-op records, so a call allocates next to nothing; async calls, which overlap, get their own block.
 */
import type { FloatArray } from '../ops';
import { OP_TABLE, type OpName } from '../op-table';
import type { LoadedModule } from './module';
import type { WasmThreads } from './threads';
import type { Role, RoleRule } from './op-roles';

type Kernel = (...args: unknown[]) => unknown;
type Export = (...args: number[]) => number;

/** The status codes of wasm/src/base.h: 0 ok, -1 out of memory, s > 0 an index error at position s - 1. */
const OUT_OF_MEMORY = -1;
/** The status word sits alone in the first 64 bytes of a call's block, so arrays start 64-byte aligned. */
const HEADER = 64;

/** One array argument of an op, and where a call puts it. */
interface Slot {
  arg: number;
  int32: boolean;
  rule: RoleRule | undefined;
  // per call:
  view: FloatArray | Int32Array | null;
  /** view.buffer, read once (the getter is not free). */
  buffer: ArrayBufferLike | null;
  /** The slot holding the copy (itself, or an earlier slot with the same view). */
  owner: Slot;
  offset: number;
  reads: boolean;
  writes: boolean;
}

/** An op's fixed call plan, and the records its synchronous calls reuse. */
class OpPlan {
  readonly slots: Slot[] = [];
  readonly fn: Export;
  readonly argCount: number;
  /** The export's arguments of a synchronous call (reused). */
  readonly wasmArgs: number[];
  constructor(
    readonly op: OpName,
    roles: Readonly<Record<string, RoleRule>>,
    fn: Export,
  ) {
    this.fn = fn;
    const specs = OP_TABLE[op].args;
    this.argCount = specs.length;
    specs.forEach((spec, i) => {
      const kind = spec.kind;
      // Shapes and code chains (the autodiff ops) travel as int32 inputs: the checked copies the checks made.
      const int32 = kind === 'int32s' || kind === 'int32Out' || kind === 'shape' || kind === 'codes';
      if (kind === 'floats' || kind === 'optFloats' || int32) {
        const slot = {
          arg: i,
          int32,
          rule: roles[spec.name],
          view: null,
          buffer: null,
          offset: 0,
          reads: false,
          writes: false,
        } as unknown as Slot;
        slot.owner = slot;
        this.slots.push(slot);
      }
    });
    this.wasmArgs = new Array<number>(this.argCount + 3).fill(0);
  }

  /** Fresh records for an async call (it keeps them across an await). */
  fresh(): Slot[] {
    return this.slots.map((s) => {
      const c = { ...s };
      c.owner = c;
      return c;
    });
  }
}

const align = (n: number) => (n + 63) & ~63;

/** Calls a wasm export with a fixed argument count (V8's fast JS-to-wasm path; apply and spread take a slow one). */
function invoke(fn: Export, a: number[]): number {
  switch (a.length) {
    case 6:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    case 9:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    case 10:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    case 11:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
    case 12:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
    case 13:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
    case 14:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]);
    default:
      return fn(...a);
  }
}

/** Copies below this many elements run as a loop (TypedArray set and subarray cost more than the copy). */
const SMALL = 32;

/**
 * Fills the call's slots from `args`: views, roles, the shared copy of identical views, and offsets from the block
 * start. Returns the block's size in bytes.
 */
function layout(slots: Slot[], args: ArrayLike<unknown>): number {
  let offset = HEADER;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    const view = args[s.arg] as FloatArray | Int32Array | null;
    s.view = view;
    s.owner = s;
    if (view === null) continue;
    s.buffer = view.buffer;
    const role: Role | undefined = typeof s.rule === 'function' ? s.rule(args) : s.rule;
    s.reads = role !== 'out';
    s.writes = role !== undefined;
    for (let j = 0; j < i; j++) {
      const o = slots[j];
      if (
        o.view !== null &&
        o.owner === o &&
        o.buffer === s.buffer &&
        o.view.byteOffset === view.byteOffset &&
        o.view.byteLength === view.byteLength
      ) {
        s.owner = o;
        o.reads ||= s.reads;
        o.writes ||= s.writes;
        break;
      }
    }
    if (s.owner !== s) continue;
    s.offset = offset;
    offset += align(view.byteLength);
  }
  return offset;
}

export class WasmCaller {
  private readonly plans = new Map<OpName, OpPlan>();
  private f32: Float32Array;
  private i32: Int32Array;
  /** The memory size the views cover. */
  private bytes: number;
  /** The address of the module's word holding its memory size (wasm/src/runtime.cc memoryBytes). */
  private readonly sizeWord: number;
  /** The block synchronous calls use, grown when a call needs more. */
  private arena = 0;
  private arenaBytes = 0;
  /** Async ops run one after another; sync ops meanwhile run on their own thread, without the pool. */
  private asyncTail: Promise<unknown> = Promise.resolve();
  private asyncRunning = 0;
  /** The main thread's stack pointer between calls (a trap leaves it lower). */
  private readonly stackTop: number;

  constructor(
    private readonly loaded: LoadedModule,
    private readonly threads: WasmThreads,
    roles: { readonly [K in OpName]?: Readonly<Record<string, RoleRule>> },
    private readonly fallback: Readonly<Record<OpName, Kernel>>,
  ) {
    for (const op of Object.keys(roles) as OpName[]) {
      this.plans.set(op, new OpPlan(op, roles[op]!, loaded.exports[op] as Export));
    }
    this.f32 = new Float32Array(loaded.memory.buffer);
    this.i32 = new Int32Array(loaded.memory.buffer);
    this.bytes = this.f32.byteLength;
    this.sizeWord = (loaded.exports.bp_memory_bytes_word as () => number)() >> 2;
    this.stackTop = loaded.exports.__stack_pointer.value;
  }

  /** Views of the memory as it is now: refreshed only when the module grew it (old views keep the old length). */
  private views(): void {
    const word = this.i32[this.sizeWord] >>> 0;
    const bytes = word === 0xffffffff ? 2 ** 32 : word;
    if (bytes !== 0 && bytes !== this.bytes) {
      const buffer = this.loaded.memory.buffer;
      this.f32 = new Float32Array(buffer);
      this.i32 = new Int32Array(buffer);
      this.bytes = this.f32.byteLength;
    }
  }

  /** Runs `op` on the module with `args` (checked, float32); returns the op's value. */
  call(op: OpName, args: ArrayLike<unknown>): number {
    const plan = this.plans.get(op)!;
    const slots = plan.slots;
    const bytes = layout(slots, args);
    if (bytes > this.arenaBytes && !this.growArena(bytes)) return this.fallback[op](...Array.from(args)) as number;
    const base = this.arena;
    this.copyIn(slots, base);
    const pooled = this.threads.threads > 1 && this.asyncRunning === 0;
    if (pooled) this.threads.ensureHelpers();
    let value: number;
    try {
      value = invoke(plan.fn, this.fillArgs(plan, plan.wasmArgs, slots, args, base, pooled));
    } catch (e) {
      // A trap: the module's stack pointer is where the trapped frames left it. A helper thread's failure ends the
      // op this way too, and says so; the caller's arrays are as they were (nothing was copied out).
      this.loaded.exports.__stack_pointer.value = this.stackTop;
      for (const s of slots) s.view = s.buffer = null;
      throw this.threads.failedNow() ? this.threads.poolError() : e;
    }
    const done = this.finish(op, slots, args, base, value);
    for (const s of slots) s.view = s.buffer = null; // hold no caller array between calls
    return done ?? (this.fallback[op](...Array.from(args)) as number);
  }

  /** The async twin: queued behind earlier async ops, run on the lead worker; resolves when the arrays are written. */
  callAsync(op: OpName, args: unknown[]): Promise<void> {
    const run = async (): Promise<void> => {
      const plan = this.plans.get(op)!;
      const slots = plan.fresh();
      const bytes = layout(slots, args);
      const base = this.loaded.exports.bp_alloc(bytes);
      if (!base) {
        this.fallback[op](...args);
        return;
      }
      this.asyncRunning++;
      let value: number;
      try {
        this.copyIn(slots, base);
        const wasmArgs = this.fillArgs(plan, new Array<number>(plan.argCount + 3).fill(0), slots, args, base, true);
        value = await this.threads.runOnLead(op, wasmArgs);
      } catch (e) {
        this.loaded.exports.bp_release(base);
        throw e;
      } finally {
        this.asyncRunning--;
      }
      try {
        if (this.finish(op, slots, args, base, value) === undefined) this.fallback[op](...args);
      } finally {
        this.loaded.exports.bp_release(base);
      }
    };
    const result = this.asyncTail.then(run);
    this.asyncTail = result.catch(() => undefined);
    return result;
  }

  /** A larger arena for synchronous calls (half as much again as asked); false when the module is full. */
  private growArena(bytes: number): boolean {
    const want = Math.max(bytes, Math.floor(this.arenaBytes * 1.5), 1 << 16);
    if (this.arena) this.loaded.exports.bp_release(this.arena);
    this.arena = 0;
    this.arenaBytes = 0;
    let block = this.loaded.exports.bp_alloc(want),
      size = want;
    if (!block) {
      block = this.loaded.exports.bp_alloc(bytes);
      size = bytes;
    }
    if (!block) return false;
    this.arena = block;
    this.arenaBytes = size;
    return true;
  }

  private copyIn(slots: Slot[], base: number): void {
    this.views();
    this.i32[base >> 2] = 0;
    for (const s of slots) {
      const view = s.view;
      if (view === null || s.owner !== s || !s.reads || view.length === 0) continue;
      const at = (base + s.offset) >> 2;
      const heap = s.int32 ? this.i32 : this.f32;
      if (view.length < SMALL) for (let i = 0; i < view.length; i++) heap[at + i] = view[i];
      else if (s.int32) this.i32.set(view as Int32Array, at);
      else this.f32.set(view as Float32Array, at);
    }
  }

  /**
   * The export's arguments: the status slot, the pool flag, the op's arguments (arrays as their copies' addresses,
   * null as 0, booleans as 0/1), and last the length of the op's first array (the ops without dims need it).
   */
  private fillArgs(
    plan: OpPlan,
    out: number[],
    slots: Slot[],
    args: ArrayLike<unknown>,
    base: number,
    pooled: boolean,
  ): number[] {
    out[0] = base;
    out[1] = pooled ? 1 : 0;
    for (let i = 0; i < plan.argCount; i++) {
      const v = args[i];
      out[i + 2] = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : 0;
    }
    for (const s of slots) if (s.view !== null) out[s.arg + 2] = base + s.owner.offset;
    out[plan.argCount + 2] = slots[0].view?.length ?? 0;
    return out;
  }

  /**
   * After the kernel: undefined when it ran out of memory (the caller then runs the JS kernel; nothing was copied
   * out); throws the JS kernel's own RangeError for an index error; else copies the outputs out.
   */
  private finish(op: OpName, slots: Slot[], args: ArrayLike<unknown>, base: number, value: number): number | undefined {
    this.views();
    const status = this.i32[base >> 2];
    if (status === OUT_OF_MEMORY) return undefined;
    if (status > 0) this.indexError(op, slots, args, base);
    for (const s of slots) {
      const view = s.view;
      if (view === null || s.owner !== s || !s.writes || view.length === 0) continue;
      const at = (base + s.offset) >> 2;
      const heap = s.int32 ? this.i32 : this.f32;
      if (view.length < SMALL) for (let i = 0; i < view.length; i++) view[i] = heap[at + i];
      else if (s.int32) (view as Int32Array).set(this.i32.subarray(at, at + view.length));
      else (view as Float32Array).set(this.f32.subarray(at, at + view.length));
    }
    return value;
  }

  /**
   * The module found an index out of range in its copy of an index array. The JS kernel run over the copies (the
   * values the module checked) throws the same RangeError, with the JS backend's message.
   */
  private indexError(op: OpName, slots: Slot[], args: ArrayLike<unknown>, base: number): never {
    const onCopies = Array.from(args);
    for (const s of slots) {
      const view = s.view;
      if (view === null) continue;
      const at = (base + s.owner.offset) >> 2;
      onCopies[s.arg] = s.int32 ? this.i32.subarray(at, at + view.length) : this.f32.subarray(at, at + view.length);
    }
    for (const s of slots) s.view = s.buffer = null;
    this.fallback[op](...onCopies);
    throw new RangeError(`${op}(): an index is out of range`);
  }
}
