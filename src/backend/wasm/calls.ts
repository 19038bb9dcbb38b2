/**
 * One op call into the WebAssembly module: its arrays copied into one block of the module's memory (arrays that
 * are the same view share a copy, so documented in-place calls stay in place), the export run on this thread or
 * on the lead worker (async twins), the written arrays copied back, the block freed. The caller's arrays are
 * touched only by the copies: a failure before the copy-out (the module out of memory) leaves them as they were,
 * and the op then runs on the JS kernel instead.
 */
import type { FloatArray } from '../ops';
import { OP_TABLE, type OpName } from '../op-table';
import type { LoadedModule } from './module';
import type { WasmThreads } from './threads';
import type { Role, RoleRule } from './op-roles';

type Kernel = (...args: unknown[]) => unknown;

/** The status codes of wasm/src/base.h: 0 ok, -1 out of memory, s > 0 an index error at position s - 1. */
const OUT_OF_MEMORY = -1;
/** The status word sits alone in the first 64 bytes of a call's block, so arrays start 64-byte aligned. */
const HEADER = 64;

/** What the call plan knows of one array argument. */
interface ArraySpec {
  arg: number;
  int32: boolean;
  rule: RoleRule | undefined;
}

/** An op's arguments as the module sees them, fixed per op. */
class OpPlan {
  readonly arrays: ArraySpec[] = [];
  readonly bools: number[] = [];
  constructor(
    readonly op: OpName,
    roles: Readonly<Record<string, RoleRule>>,
  ) {
    OP_TABLE[op].args.forEach((spec, i) => {
      const kind = spec.kind;
      if (kind === 'floats' || kind === 'optFloats' || kind === 'int32s' || kind === 'int32Out') {
        this.arrays.push({ arg: i, int32: kind === 'int32s' || kind === 'int32Out', rule: roles[spec.name] });
      } else if (kind === 'bool') this.bools.push(i);
    });
  }
}

/** One array's place in a call's block. */
interface Slot {
  view: FloatArray | Int32Array;
  offset: number; // bytes from the block start
  reads: boolean;
  writes: boolean;
}

const align = (n: number) => (n + 63) & ~63;

function sameView(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}

function slotFor(slots: Slot[], view: ArrayBufferView): Slot {
  for (const s of slots) if (sameView(s.view, view)) return s;
  throw new Error('wasm backend: an array has no slot in its call');
}

export class WasmCaller {
  private readonly plans = new Map<OpName, OpPlan>();
  private f32: Float32Array;
  private i32: Int32Array;
  /** Async ops run one after another; sync ops meanwhile run on their own thread, without the pool. */
  private asyncTail: Promise<unknown> = Promise.resolve();
  private asyncRunning = 0;

  constructor(
    private readonly loaded: LoadedModule,
    private readonly threads: WasmThreads,
    roles: { readonly [K in OpName]?: Readonly<Record<string, RoleRule>> },
    private readonly fallback: Readonly<Record<OpName, Kernel>>,
  ) {
    for (const op of Object.keys(roles) as OpName[]) this.plans.set(op, new OpPlan(op, roles[op]!));
    this.f32 = new Float32Array(loaded.memory.buffer);
    this.i32 = new Int32Array(loaded.memory.buffer);
  }

  /** Views of the memory as it is now (it grows when the module allocates; old views keep the old length). */
  private views(): void {
    const buffer = this.loaded.memory.buffer;
    if (this.f32.buffer !== buffer) {
      this.f32 = new Float32Array(buffer);
      this.i32 = new Int32Array(buffer);
    }
  }

  /** Runs `op` on the module with `args` (checked, float32); returns the op's value. */
  call(op: OpName, args: unknown[]): number {
    const plan = this.plans.get(op)!;
    const slots = this.layout(plan, args);
    const block = this.place(slots);
    if (!block) return this.fallback[op](...args) as number;
    try {
      const pooled = this.threads.threads > 1 && this.asyncRunning === 0;
      if (pooled) this.threads.ensureHelpers();
      const value = (this.loaded.exports[op] as (...a: number[]) => number)(
        ...this.wasmArgs(plan, args, slots, block.base, pooled),
      );
      return this.finish(op, plan, args, slots, block, value) ?? (this.fallback[op](...args) as number);
    } finally {
      this.loaded.exports.bp_release(block.base);
    }
  }

  /** The async twin: queued behind earlier async ops, run on the lead worker; resolves when the arrays are written. */
  callAsync(op: OpName, args: unknown[]): Promise<void> {
    const run = async (): Promise<void> => {
      const plan = this.plans.get(op)!;
      const slots = this.layout(plan, args);
      const block = this.place(slots);
      if (!block) {
        this.fallback[op](...args);
        return;
      }
      this.asyncRunning++;
      let value: number;
      try {
        value = await this.threads.runOnLead(op, this.wasmArgs(plan, args, slots, block.base, true));
      } catch (e) {
        this.loaded.exports.bp_release(block.base);
        throw e;
      } finally {
        this.asyncRunning--;
      }
      try {
        if (this.finish(op, plan, args, slots, block, value) === undefined) this.fallback[op](...args);
      } finally {
        this.loaded.exports.bp_release(block.base);
      }
    };
    const result = this.asyncTail.then(run);
    this.asyncTail = result.catch(() => undefined);
    return result;
  }

  /** The distinct arrays of a call and their roles (identical views share one slot). */
  private layout(plan: OpPlan, args: unknown[]): Slot[] {
    const slots: Slot[] = [];
    let offset = HEADER;
    for (const a of plan.arrays) {
      const view = args[a.arg] as FloatArray | Int32Array | null;
      if (view === null) continue;
      const role: Role | undefined = typeof a.rule === 'function' ? a.rule(args) : a.rule;
      const reads = role !== 'out',
        writes = role !== undefined;
      const same = slots.find((s) => sameView(s.view, view));
      if (same) {
        same.reads ||= reads;
        same.writes ||= writes;
        continue;
      }
      slots.push({ view, offset, reads, writes });
      offset += align(view.byteLength);
    }
    return slots;
  }

  /** Allocates the block and copies the read arrays in; null when the module is out of memory. */
  private place(slots: Slot[]): { base: number; bytes: number } | null {
    const last = slots[slots.length - 1];
    const bytes = last ? last.offset + align(last.view.byteLength) : HEADER;
    const base = this.loaded.exports.bp_alloc(bytes);
    if (!base) return null;
    this.views();
    this.i32[base >> 2] = 0;
    for (const s of slots) {
      if (!s.reads || s.view.length === 0) continue;
      const at = (base + s.offset) >> 2;
      if (s.view instanceof Int32Array) this.i32.set(s.view, at);
      else this.f32.set(s.view as Float32Array, at);
    }
    return { base, bytes };
  }

  /**
   * The export's arguments: the status slot, the pool flag, the op's arguments (arrays as their copies' addresses,
   * null as 0, booleans as 0/1), and last the length of the op's first array (the ops without dims need it).
   */
  private wasmArgs(plan: OpPlan, args: unknown[], slots: Slot[], base: number, pooled: boolean): number[] {
    const out = new Array<number>(args.length + 3);
    out[0] = base;
    out[1] = pooled ? 1 : 0;
    for (let i = 0; i < args.length; i++) {
      const v = args[i];
      out[i + 2] = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : 0;
    }
    for (const a of plan.arrays) {
      const view = args[a.arg] as ArrayBufferView | null;
      if (view !== null) out[a.arg + 2] = base + slotFor(slots, view).offset;
    }
    out[args.length + 2] = (args[plan.arrays[0].arg] as ArrayLike<number> | null)?.length ?? 0;
    return out;
  }

  /**
   * After the kernel: undefined when it ran out of memory (the caller then runs the JS kernel; nothing was
   * copied out); throws the JS kernel's own RangeError for an index error; else copies the outputs out.
   */
  private finish(
    op: OpName,
    plan: OpPlan,
    args: unknown[],
    slots: Slot[],
    block: { base: number },
    value: number,
  ): number | undefined {
    this.views();
    const status = this.i32[block.base >> 2];
    if (status === OUT_OF_MEMORY) return undefined;
    if (status > 0) this.indexError(op, plan, args, slots, block.base);
    for (const s of slots) {
      if (!s.writes || s.view.length === 0) continue;
      const at = (block.base + s.offset) >> 2;
      if (s.view instanceof Int32Array) s.view.set(this.i32.subarray(at, at + s.view.length));
      else (s.view as Float32Array).set(this.f32.subarray(at, at + s.view.length));
    }
    return value;
  }

  /**
   * The module found an index out of range in its copy of an index array. The JS kernel run over the copies (the
   * values the module checked) throws the same RangeError, with the JS backend's message.
   */
  private indexError(op: OpName, plan: OpPlan, args: unknown[], slots: Slot[], base: number): never {
    const onCopies = args.slice();
    for (const a of plan.arrays) {
      const view = args[a.arg] as FloatArray | Int32Array | null;
      if (view === null) continue;
      const at = (base + slotFor(slots, view).offset) >> 2;
      onCopies[a.arg] = a.int32 ? this.i32.subarray(at, at + view.length) : this.f32.subarray(at, at + view.length);
    }
    this.fallback[op](...onCopies);
    throw new RangeError(`${op}(): an index is out of range`);
  }
}
