/**
 * The wasm backend's async twins: the op runs on a worker thread (the pool's lead) while the event loop turns, with
 * the same results as the synchronous op, the same argument checks (thrown synchronously, named after the twin),
 * arrays over a non-growable SharedArrayBuffer only, and several calls in flight at once finishing in order. A
 * synchronous op called while an async one runs computes on the caller's thread, with the same bits.
 */
import { floatArray } from '../../src/backend/memory';
import { OP_TABLE, type OpName } from '../../src/backend/op-table';
import { wasmBackend } from '../../src/backend/select';
import type { WasmBackend } from '../../src/backend/wasm';
import { Rng } from '../../src/random';

const b = wasmBackend().backend as WasmBackend;
const f32 = (n: number) => floatArray('float32', n) as Float32Array;
const rand = (n: number, seed: number) => {
  const r = new Rng(seed);
  const a = f32(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(-1, 1);
  return a;
};
type Fn = (...a: unknown[]) => unknown;
const call = (op: string, args: unknown[]) => ((b as unknown as Record<string, Fn>)[op] as Fn)(...args);

/** A valid call of op with seeded values, every array over a SharedArrayBuffer. */
function sharedArgs(op: OpName, sizes: Record<string, number> = {}): unknown[] {
  const r = new Rng(3);
  return OP_TABLE[op].valid({ sizes }).map((a) => {
    if (a instanceof Float32Array) {
      const s = f32(a.length);
      for (let i = 0; i < s.length; i++) s[i] = r.uniform(0.05, 1);
      return s;
    }
    if (a instanceof Int32Array) {
      const s = new Int32Array(new SharedArrayBuffer(a.byteLength) as unknown as ArrayBuffer);
      s.set(a);
      return s;
    }
    return a;
  });
}
const copyArgs = (args: unknown[]) =>
  args.map((a) => (a instanceof Float32Array ? Float32Array.from(a) : a instanceof Int32Array ? a.slice() : a));
const floats = (args: unknown[]) => args.filter((a): a is Float32Array => a instanceof Float32Array);

// Ops that run on the JS kernels under wasm (JS_FALLBACK_OPS) have no async twin there (test/wasm/op-coverage).
const asyncOps = (Object.keys(OP_TABLE) as OpName[]).filter((op) => OP_TABLE[op].async && b.wasmOps.includes(op));

test.each(asyncOps)('%sAsync writes what %s writes', async (op) => {
  const sizes: Record<string, number> = op.startsWith('conv2d')
    ? { inC: 16, inCPerGroup: 16, outC: 8, inH: 6, inW: 6, outH: 5, outW: 5 }
    : {};
  const args = sharedArgs(op, sizes);
  const sync = copyArgs(args);
  call(op, sync);
  await call(`${op}Async`, args);
  expect(floats(args)).toEqual(floats(sync));
});

test('bad arguments throw synchronously, named after the twin; unshared arrays are refused', () => {
  const f = new Float32Array(4);
  expect(() => b.gemmAsync!(false, false, 2, 2, 2, 1, f, f, 0, new Float32Array(3))).toThrow(
    /^gemmAsync\(\): 'c' has length 3 but m\*n = 4/,
  );
  expect(() => (b.denseForwardAsync as unknown as Fn)(f)).toThrow(/^denseForwardAsync\(\): expected 10 arguments/);
  expect(() => b.gemmAsync!(false, false, 2, 2, 2, 1, f32(4), f32(4), 0, f)).toThrow(
    /^gemmAsync\(\): 'c' must be backed by a non-growable SharedArrayBuffer/,
  );
});

test('the event loop turns while a long op runs on a worker thread', async () => {
  const s = 768,
    x = rand(s * s, 7),
    w = rand(s * s, 8),
    c = f32(s * s);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await b.gemmAsync!(false, false, s, s, s, 1, x, w, 0, c);
  const ms = performance.now() - t0;
  clearInterval(timer);
  // A blocked loop would tick about once per op; ~1 tick per ms when free (counts, never times, are asserted).
  if (ms > 50) expect(ticks).toBeGreaterThan(10);
});

test('calls in flight together finish in order; a sync op meanwhile gives the same bits on its own thread', async () => {
  const s = 300,
    x = rand(s * s, 1),
    w = rand(s * s, 2);
  const outs = [f32(s * s), f32(s * s), f32(s * s)];
  const order: number[] = [];
  const pending = outs.map((c, i) => b.gemmAsync!(false, false, s, s, s, 1, x, w, 0, c).then(() => order.push(i)));
  const sync = f32(s * s);
  b.gemm(false, false, s, s, s, 1, x, w, 0, sync);
  await Promise.all(pending);
  expect(order).toEqual([0, 1, 2]);
  for (const c of outs) expect(Buffer.from(c.buffer).equals(Buffer.from(sync.buffer))).toBe(true);
});

test('float64 calls of an async twin run on the JS kernel and resolve', async () => {
  const a = floatArray('float64', 4).fill(1),
    c = floatArray('float64', 4);
  await b.gemmAsync!(false, false, 2, 2, 2, 1, a, a, 0, c);
  expect(Array.from(c)).toEqual([2, 2, 2, 2]);
});
