/**
 * The WebAssembly backend: the JS backend's argument checks (shared, js/index.ts createCheckedBackend) over kernels
 * compiled from wasm/src to 128-bit WebAssembly SIMD, run on a pool of worker threads sharing the module's
 * memory. Float32 calls of the ops the module has run there; float64 calls, and the ops it lacks
 * (op-roles.ts JS_FALLBACK_OPS), run on the JS kernels. Ops with an async twin in the op table get one here too:
 * the op runs on a worker thread while the event loop goes on.
 */
import { availableParallelism } from 'node:os';
import type { Backend, BackendInfo } from '../ops';
import { OP_NAMES, OP_TABLE, type ArgSpec, type OpName } from '../op-table';
import { createCheckedBackend } from '../js';
import { JS_KERNELS, type Kernels } from '../js/kernels';
import { types } from 'node:util';
import { loadModule } from './module';
import { WasmThreads } from './threads';
import { WasmCaller } from './calls';
import { JS_FALLBACK_OPS, WASM_OPS, type RoleRule } from './op-roles';

export { JS_FALLBACK_OPS, WASM_OPS } from './op-roles';

export interface WasmBackend extends Backend {
  /** The file the module was loaded from. */
  readonly path: string;
  /** The ops computed by the module (the others run on the JS kernels). */
  readonly wasmOps: readonly OpName[];
  setThreads(n: number): void;
  /** Resolves once the pool's threads are running (they start on first need; benchmarks and tests wait). */
  threadsReady(): Promise<void>;
  /** Tasks run by helper threads since the module loaded (a measure that the pool shares the work). */
  helperTasks(): number;
  /** The module's memory in bytes now (it grows as ops need it and never shrinks; freed blocks are reused). */
  memoryBytes(): number;
}

type Kernel = (...args: unknown[]) => unknown;

/** The index of the op's first float array: its type says float32 (the module) or float64 (the JS kernel). */
function firstFloat(op: OpName): number {
  return OP_TABLE[op].args.findIndex((a) => a.kind === 'floats');
}

/** A kernel set whose kernels do nothing: createCheckedBackend over it checks a call and nothing else. */
function checksOnly(): Kernels {
  return Object.fromEntries(OP_NAMES.map((op) => [op, () => 0])) as unknown as Kernels;
}

/** The async twins' extra requirement, as the native addon words it (native/args.cc requireSharedBuffers). */
function requireShared(op: string, args: unknown[], name: OpName): void {
  OP_TABLE[name].args.forEach((spec, i) => {
    const v = args[i];
    if (v === null || !(spec.kind === 'floats' || spec.kind === 'optFloats' || spec.kind.startsWith('int32'))) return;
    const buffer = (v as ArrayBufferView).buffer;
    if (types.isSharedArrayBuffer(buffer) && (buffer as { growable?: boolean }).growable !== true) return;
    throw new TypeError(
      `${op}(): '${spec.name}' must be backed by a non-growable SharedArrayBuffer, so it cannot be resized or ` +
        `detached while the op runs off the main thread; allocate it with bp.floatArray(...) or copy it into one`,
    );
  });
}

/**
 * BACKPROP_CONV_KERNELS (as for native): 'nowinograd' keeps the direct kernels only, 'blas' or 'gemm' uses
 * im2col + the module's gemm for every convolution. Returns the module's limit (0, 1, 2) and its description.
 */
function convKernels(): { limit: number; label: string } {
  const choice = process.env.BACKPROP_CONV_KERNELS ?? '';
  if (/blas|gemm/.test(choice)) return { limit: 2, label: 'wasm-simd128 im2col+gemm' };
  if (choice.includes('nowinograd')) return { limit: 1, label: 'wasm-simd128' };
  return { limit: 0, label: 'wasm-simd128+winograd' };
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(64, availableParallelism()));
}

/**
 * Loads the module and builds the backend; `error` says why not (one line). `jsOnly` lists the ops that run on the
 * JS kernels although the module may have them (JS_FALLBACK_OPS; tests pass others to exercise the fallback).
 */
export function loadWasmBackend(
  threads = defaultThreads(),
  jsOnly: readonly OpName[] = JS_FALLBACK_OPS,
): { backend?: WasmBackend; error?: string } {
  try {
    return { backend: createWasmBackend(threads, jsOnly) };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
}

function createWasmBackend(threads: number, jsOnly: readonly OpName[]): WasmBackend {
  const loaded = loadModule();
  const pool = new WasmThreads(loaded, threads);
  const exported = (op: OpName) => typeof loaded.exports[op] === 'function';
  // Every op runs on the module, or is listed to run on the JS kernels; a module built from other sources
  // than this package's (a stale wasm/backprop.wasm) is refused.
  const missing = OP_NAMES.filter((op) => !exported(op) && !jsOnly.includes(op));
  const unlisted = OP_NAMES.filter((op) => exported(op) !== !!WASM_OPS[op]);
  if (missing.length || unlisted.length) {
    throw new Error(
      `${loaded.path} does not match this package (ops ${[...new Set([...missing, ...unlisted])].join(', ')}); ` +
        `rebuild it: bash wasm/build.sh`,
    );
  }
  const wasmOps = OP_NAMES.filter((op) => exported(op) && !jsOnly.includes(op));
  const roles: { [K in OpName]?: Readonly<Record<string, RoleRule>> } = {};
  for (const op of wasmOps) roles[op] = WASM_OPS[op];
  const js = JS_KERNELS as unknown as Record<OpName, Kernel>;
  const caller = new WasmCaller(loaded, pool, roles, js);
  const kernels = { ...JS_KERNELS } as unknown as Record<OpName, Kernel>;
  for (const op of wasmOps) {
    const f = firstFloat(op);
    kernels[op] = (...args: unknown[]) => (args[f] instanceof Float64Array ? js[op](...args) : caller.call(op, args));
  }
  const conv = convKernels();
  (loaded.exports.bp_set_conv_kernels as (limit: number) => void)(conv.limit);
  const describe = (): BackendInfo => ({
    name: 'wasm',
    threads: pool.threads,
    loadedFrom: loaded.path,
    convolution: conv.label,
  });
  const backend = createCheckedBackend(kernels as unknown as Kernels, describe) as unknown as Record<string, unknown>;
  const checks = createCheckedBackend(checksOnly(), describe) as unknown as Record<OpName, Kernel>;
  for (const op of wasmOps) {
    if (!OP_TABLE[op].async) continue;
    const name = `${op}Async`;
    const f = firstFloat(op);
    // Shapes and codes are read when the queued op starts: copies taken now are what is checked and used.
    const owned = (OP_TABLE[op].args as readonly ArgSpec[]).map((a) => a.kind === 'shape' || a.kind === 'codes');
    backend[name] = (...given: unknown[]): Promise<void> => {
      const args = given.map((v, i) => (owned[i] && v instanceof Int32Array && v.length > 0 ? v.slice() : v));
      try {
        checks[op](...args);
      } catch (e) {
        // The same check, named after the twin that was called (as the addon names it).
        (e as Error).message = (e as Error).message.replace(`${op}(): `, `${name}(): `);
        throw e;
      }
      requireShared(name, args, op);
      // float64 has no wasm kernel: the JS kernel runs here and now.
      if (args[f] instanceof Float64Array) return Promise.resolve(void js[op](...args));
      return caller.callAsync(op, args);
    };
  }
  backend.path = loaded.path;
  backend.wasmOps = wasmOps;
  backend.setThreads = (n: number) => pool.setThreads(n);
  backend.threadsReady = () => pool.ready();
  backend.helperTasks = () => pool.helped();
  backend.memoryBytes = () => loaded.memory.buffer.byteLength;
  return backend as unknown as WasmBackend;
}
