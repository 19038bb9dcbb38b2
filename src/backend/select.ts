/**
 * Backend selection: which implementation of the op set computes the numbers.
 *
 * Order (design): `BACKPROP_BACKEND` env override → the native addon (local build, then prebuilt) → the
 * WebAssembly backend (shipped in the package, runs wherever Node does) → the pure-JS backend; falling back from
 * native gives one warning that says why and how to get native.
 */
import type { Backend, BackendInfo } from './ops';
import { createJsBackend } from './js';
import { createUncheckedJsBackend } from './js/unchecked';
import { loadNativeBackend, type NativeBackend } from './native';
import { defaultThreads, loadWasmBackend, type WasmBackend } from './wasm';

export type BackendName = 'native' | 'wasm' | 'js' | 'auto';

let active: Backend | undefined;
let activeReason = '';
let nativeCache: { backend?: NativeBackend; error?: string } | undefined;
let wasmCache: { backend?: WasmBackend; error?: string } | undefined;
let warned = false;
const jsBackend = createJsBackend();
const jsUnchecked = createUncheckedJsBackend(jsBackend);
let activeIsAuto = false;

function tryNative(): { backend?: NativeBackend; error?: string } {
  if (nativeCache) return nativeCache;
  const loaded = loadNativeBackend();
  const env = process.env.BACKPROP_THREADS;
  if (loaded.backend && env) loaded.backend.setThreads(parseThreads(Number(env), 'BACKPROP_THREADS'));
  nativeCache = loaded;
  return loaded;
}

/** A thread count set before the wasm backend loaded. */
let pendingWasmThreads: number | undefined;

function tryWasm(): { backend?: WasmBackend; error?: string } {
  if (wasmCache) return wasmCache;
  const env = process.env.BACKPROP_THREADS;
  const threads = pendingWasmThreads ?? (env ? parseThreads(Number(env), 'BACKPROP_THREADS') : defaultThreads());
  wasmCache = loadWasmBackend(threads);
  return wasmCache;
}

/** How to get the native backend where it did not load. */
const NATIVE_FIX =
  'a prebuilt addon ships for linux-x64 and linux-arm64; elsewhere install a BLAS and build it: ' +
  'apt-get install libopenblas-dev cmake && npm run build (macOS: brew install openblas cmake)';

function warnFallback(error: string, to: 'wasm' | 'js', wasmError?: string): void {
  if (warned || process.env.BACKPROP_SILENT === '1') return;
  warned = true;
  const using =
    to === 'wasm'
      ? 'using the WebAssembly backend, which gives the same answers a few times more slowly'
      : `using the pure-JS backend (the WebAssembly one did not load either: ${wasmError}), which gives the ` +
        'same answers much more slowly';
  process.emitWarning(
    `backprop: the native backend could not load (${error}); ${using}. To get native: ${NATIVE_FIX} ` +
      `(or set BACKPROP_BACKEND=${to} to silence this).`,
    { code: 'BACKPROP_NATIVE_UNAVAILABLE' },
  );
}

function choose(name: BackendName, origin: string): Backend {
  activeIsAuto = name === 'auto';
  if (name === 'js') {
    activeReason = `${origin}: js`;
    return jsBackend;
  }
  if (name === 'wasm') {
    const wasm = tryWasm();
    if (!wasm.backend) {
      throw new Error(`setBackend('wasm'): the WebAssembly backend could not load (${wasm.error}).`);
    }
    activeReason = `${origin}: wasm`;
    return wasm.backend;
  }
  const native = tryNative();
  if (native.backend) {
    activeReason = `${origin}: ${name === 'auto' ? 'auto chose native (addon loaded)' : 'native'}`;
    return native.backend;
  }
  if (name === 'native') {
    throw new Error(
      `setBackend('native'): the native addon could not load (${native.error}). ` +
        `Fix: ${NATIVE_FIX}; or use setBackend('wasm') or setBackend('js').`,
    );
  }
  const wasm = tryWasm();
  if (wasm.backend) {
    activeReason = `${origin}: auto chose wasm (native did not load: ${native.error})`;
    warnFallback(native.error ?? 'unknown error', 'wasm');
    return wasm.backend;
  }
  activeReason = `${origin}: auto fell back to js (native: ${native.error}; wasm: ${wasm.error})`;
  warnFallback(native.error ?? 'unknown error', 'js', wasm.error);
  return jsBackend;
}

function parseName(value: string, where: string): BackendName {
  if (value === 'native' || value === 'wasm' || value === 'js' || value === 'auto') return value;
  throw new Error(`${where}: unknown backend '${value}'. Expected 'native', 'wasm', 'js' or 'auto'.`);
}

/** The backend ops run on now (chosen on first use). */
export function backend(): Backend {
  if (!active) {
    const env = process.env.BACKPROP_BACKEND;
    active = env ? choose(parseName(env, 'BACKPROP_BACKEND'), 'BACKPROP_BACKEND') : choose('auto', 'default');
  }
  return active;
}

/**
 * Chooses the backend: `'native'` (throws if the addon cannot load), `'wasm'` (the WebAssembly SIMD kernels,
 * shipped in the package; throws if this Node cannot run them), `'js'`, or `'auto'` (native when it loads, else
 * wasm, else js, with one warning). The `BACKPROP_BACKEND` environment variable sets the default.
 * @example bp.setBackend('js'); // the pure-JS reference backend
 * @example bp.setBackend('wasm'); // the WebAssembly backend, as a platform without the addon gets it
 */
export function setBackend(name: BackendName): void {
  active = choose(parseName(String(name), 'setBackend()'), 'setBackend()');
}

/**
 * Describes the backend in use.
 * @example bp.getBackend() // { name: 'native', blas: 'OpenBLAS 0.3.21 ...', threads: 2, ... }
 */
export function getBackend(): BackendInfo {
  const b = backend();
  return { ...b.info(), reason: activeReason };
}

/** The JS backend, always available (the reference the native one is tested against). */
export function jsReference(): Backend {
  return jsBackend;
}

/** The native backend if it loads, else undefined (with the reason in `error`). */
export function nativeBackend(): { backend?: Backend; error?: string } {
  return tryNative();
}

/** The WebAssembly backend if it loads, else undefined (with the reason in `error`). */
export function wasmBackend(): { backend?: Backend; error?: string } {
  return tryWasm();
}

function parseThreads(n: number, where: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`${where}: the thread count must be an integer in [1, 1024], got ${n}`);
  }
  return n;
}

/**
 * Sets how many threads the native backend's BLAS and the wasm backend's pool use (env `BACKPROP_THREADS` sets
 * it at load). The JS backend is single-threaded. The wasm backend's results do not depend on the thread count.
 * @example bp.setThreads(1); // deterministic, and best when several trainings share the cores
 */
export function setThreads(n: number): void {
  parseThreads(n, 'setThreads()');
  const native = tryNative();
  if (native.backend) native.backend.setThreads(n);
  // Only once loaded: setting threads must not load the wasm module as a side effect.
  if (wasmCache?.backend) wasmCache.backend.setThreads(n);
  else pendingWasmThreads = n;
}

/**
 * Below this many multiply-adds per training step (batch × Σ in·out), `auto` runs a model's step on the
 * JS kernels: crossing into the addon costs more than the arithmetic (measured by `backprop bench`: a
 * 2-8-1 step at batch 4 takes ~1.5 µs in JS and ~8 µs through Node-API).
 */
export const TINY_STEP_MACS = 4096;

/**
 * The backend a model's training/inference step runs on, given its size. Models validate their shapes
 * once, so the JS kernels run unchecked here; native ops always check (they guard process memory).
 */
export function backendForModel(macsPerStep: number): Backend {
  const b = backend();
  if (b.name === 'js' || (activeIsAuto && macsPerStep < TINY_STEP_MACS)) return jsUnchecked;
  return b;
}

/** The JS kernels as models run them (unchecked; for benchmarks and internal callers that validated shapes). */
export function jsKernels(): Backend {
  return jsUnchecked;
}
