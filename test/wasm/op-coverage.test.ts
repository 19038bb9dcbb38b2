/**
 * Which ops the WebAssembly module computes and which run on the JS kernels: the two lists (WASM_OPS and
 * JS_FALLBACK_OPS) cover the op table exactly, the loaded module has exactly the listed ops, and an op listed to
 * fall back runs on the JS kernel (bit for bit) with the rest still on the module. A new op fails the first test
 * until it gets a wasm kernel or a line in JS_FALLBACK_OPS (docs/architecture.md, "Adding an op").
 */
import { OP_NAMES, OP_TABLE, type OpName } from '../../src/backend/op-table';
import { JS_FALLBACK_OPS, WASM_OPS, loadWasmBackend, type WasmBackend } from '../../src/backend/wasm';
import { jsReference, wasmBackend } from '../../src/backend/select';

const wasm = wasmBackend().backend as WasmBackend;

test('every op has a wasm kernel or is listed to run on the JS kernel, not both', () => {
  const listed = [...Object.keys(WASM_OPS), ...JS_FALLBACK_OPS].sort();
  expect(listed).toEqual([...OP_NAMES].sort());
  for (const op of JS_FALLBACK_OPS) expect(WASM_OPS[op]).toBeUndefined();
});

test('the module computes exactly the ops of WASM_OPS, with the async twins the op table gives them', () => {
  expect([...wasm.wasmOps].sort()).toEqual(Object.keys(WASM_OPS).sort());
  for (const op of OP_NAMES) {
    const twin = (wasm as unknown as Record<string, unknown>)[`${op}Async`];
    expect({ op, twin: typeof twin }).toEqual({
      op,
      twin: OP_TABLE[op].async && wasm.wasmOps.includes(op) ? 'function' : 'undefined',
    });
  }
});

test('an op listed to fall back runs on the JS kernel, per op', () => {
  const jsOnly: OpName[] = [...JS_FALLBACK_OPS, 'conv2dForward', 'meanSquaredError'];
  const { backend, error } = loadWasmBackend(1, jsOnly);
  if (!backend) throw new Error(error);
  expect(backend.wasmOps).not.toContain('conv2dForward');
  expect(backend.wasmOps).toContain('conv2dBackward');
  expect((backend as unknown as Record<string, unknown>).conv2dForwardAsync).toBeUndefined();
  const js = jsReference();
  // The same float32 values from the JS kernel, and a module op (gemm) still agreeing with the reference.
  const args = () => OP_TABLE.conv2dForward.valid({ fill: 0.25 });
  const viaFallback = args(),
    viaJs = args();
  (backend.conv2dForward as (...a: unknown[]) => void)(...viaFallback);
  (js.conv2dForward as (...a: unknown[]) => void)(...viaJs);
  expect(viaFallback).toEqual(viaJs);
  const p = Float32Array.of(1, 2, 3),
    t = Float32Array.of(0, 2, 5);
  expect(backend.meanSquaredError(p, t, null, 1, 3)).toBe(js.meanSquaredError(p, t, null, 1, 3));
  const c = new Float32Array(4);
  backend.gemm(false, false, 2, 2, 2, 1, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), 0, c);
  expect(Array.from(c)).toEqual([19, 22, 43, 50]);
});

test('a module that does not match the lists (a stale build) is refused, naming the op and the fix', () => {
  // As if wasm/src had gained conv2dForward after the lists were written: the module has an op WASM_OPS lacks.
  const saved = WASM_OPS.conv2dForward;
  (WASM_OPS as Record<string, unknown>).conv2dForward = undefined;
  try {
    const r = loadWasmBackend(1);
    expect(r.backend).toBeUndefined();
    expect(r.error).toMatch(/does not match this package \(ops conv2dForward\); rebuild it: bash wasm\/build\.sh/);
  } finally {
    (WASM_OPS as Record<string, unknown>).conv2dForward = saved;
  }
});
