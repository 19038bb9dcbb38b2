/**
 * Loads the WebAssembly kernels (wasm/backprop.wasm, built from wasm/src by wasm/build.sh and shipped in the
 * package): compiles the module once, creates its shared memory, and instantiates it on the main thread. Worker
 * threads instantiate the same compiled module on the same memory (threads.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIVATION_COUNT } from '../activations';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES } from '../elementwise';

/** The package root: dist/backend/wasm → ../../.., and the same from src when run by ts-jest. */
const packageRoot = path.resolve(__dirname, '..', '..', '..');

/** Where the module is read from (env `BACKPROP_WASM_PATH` overrides, for tests of a fresh build). */
export function wasmPath(): string {
  return process.env.BACKPROP_WASM_PATH || path.join(packageRoot, 'wasm', 'backprop.wasm');
}

/** The exports every op call uses besides the op entries themselves (named as the ops). */
export interface WasmExports {
  readonly __stack_pointer: WebAssembly.Global;
  bp_alloc(bytes: number): number;
  bp_release(ptr: number): void;
  bp_pool_set_helpers(n: number): void;
  bp_helper_loop(): void;
  /** Marks the thread pool failed (wasm/src/pool.cc); `inRegion` 1 only from a helper whose loop trapped. */
  bp_pool_fail(inRegion: number): void;
  bp_pool_failed(): number;
  bp_activation_count(): number;
  [op: string]: unknown;
}

export interface LoadedModule {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: WasmExports;
  readonly path: string;
  /** The memory's maximum in 64 KiB pages (4 GiB when the host grants it). */
  readonly maxPages: number;
}

/**
 * The memory's maximum in pages: 4 GiB (all wasm32 can address), or env `BACKPROP_WASM_MEMORY_MB` (at least 64).
 * Ops whose arrays do not fit run on the JS kernels instead.
 */
function maxPagesWanted(): number {
  const env = process.env.BACKPROP_WASM_MEMORY_MB;
  if (!env) return 65536;
  const mb = Number(env);
  if (!Number.isInteger(mb) || mb < 64 || mb > 4096) {
    throw new Error(`BACKPROP_WASM_MEMORY_MB must be an integer in [64, 4096], got '${env}'`);
  }
  return mb * 16;
}

function sharedMemory(initial: number): { memory: WebAssembly.Memory; maxPages: number } {
  let last: unknown;
  const want = maxPagesWanted();
  // Then smaller maxima if the host cannot reserve that much address space.
  for (const maximum of [want, 16384, 4096].filter((p) => p <= want)) {
    try {
      return { memory: new WebAssembly.Memory({ initial, maximum, shared: true }), maxPages: maximum };
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`cannot create a shared WebAssembly memory: ${(last as Error).message}`);
}

/** Compiles and instantiates the module; throws with a one-line reason when this Node cannot run it. */
export function loadModule(): LoadedModule {
  if (typeof WebAssembly !== 'object' || typeof SharedArrayBuffer !== 'function') {
    throw new Error('this JavaScript engine has no WebAssembly or no SharedArrayBuffer');
  }
  const file = wasmPath();
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    // An engine without SIMD128 or threads refuses the module here.
    throw new Error(`${file} does not compile here (WebAssembly SIMD and threads are needed): ${(e as Error).message}`);
  }
  const imported = WebAssembly.Module.imports(module).find((i) => i.kind === 'memory');
  if (!imported) throw new Error(`${file} does not import a memory`);
  // The module's data and main stack: its initial size is in the module; start a little above it.
  const { memory, maxPages } = sharedMemory(32);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as WasmExports;
  const acts = exports.bp_activation_count();
  if (acts !== ACTIVATION_COUNT) {
    throw new Error(
      `${file} was built with ${acts} activations but this package has ${ACTIVATION_COUNT} ` +
        '(rebuild it: bash wasm/build.sh)',
    );
  }
  // The autodiff kernels' code tables (wasm/src/elementwise.h): unary | binary << 8 | reduce << 16.
  const counts = (exports.bp_elementwise_counts as () => number)();
  const want = UNARY_CODES.length | (BINARY_CODES.length << 8) | (REDUCE_CODES.length << 16);
  if (counts !== want) {
    throw new Error(
      `${file} was built with other op code tables (unary, binary, reduce counts ${counts & 255}, ` +
        `${(counts >> 8) & 255}, ${counts >> 16}; this package has ${UNARY_CODES.length}, ${BINARY_CODES.length}, ` +
        `${REDUCE_CODES.length}) (rebuild it: bash wasm/build.sh)`,
    );
  }
  return { module, memory, exports, path: file, maxPages };
}
