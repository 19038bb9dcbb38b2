/**
 * The async ops run on libuv's thread pool while JS goes on, so they accept only arrays whose memory JS
 * cannot take away during the op: backed by a non-growable SharedArrayBuffer (bp.floatArray). Arrays over an
 * ArrayBuffer (plain or resizable) or a growable SharedArrayBuffer are a TypeError that says why and how to
 * fix it; synchronous ops keep accepting every kind of buffer. (Before, gemmAsync accepted a resizable
 * ArrayBuffer that JS then shrank to 0 while the kernel wrote to it: a crash.)
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { floatArray, isAsyncSafe } from '../../src/backend/memory';
import { ASYNC_OP_NAMES, OP_TABLE, type AsyncOpName, type OpName } from '../../src/backend/op-table';
import type { Backend, FloatArray } from '../../src/backend/ops';
import { js, testBackends } from '../support/backends';
import { describeNative, native } from './native-backend';

type Resizable = ArrayBuffer & { resize(bytes: number): void; transfer(bytes?: number): ArrayBuffer };
type Growable = SharedArrayBuffer & { grow(bytes: number): void; growable: boolean };
const ResizableBuffer = ArrayBuffer as unknown as new (bytes: number, o: { maxByteLength: number }) => Resizable;
const GrowableBuffer = SharedArrayBuffer as unknown as new (bytes: number, o: { maxByteLength: number }) => Growable;

type Backing = 'ArrayBuffer' | 'resizable ArrayBuffer' | 'growable SharedArrayBuffer' | 'SharedArrayBuffer';
/** A copy of `a` over the given kind of buffer. */
function over<A extends FloatArray | Int32Array>(a: A, backing: Backing): A {
  const C = a.constructor as Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;
  const bytes = a.byteLength;
  const buffer =
    backing === 'ArrayBuffer'
      ? new ArrayBuffer(bytes)
      : backing === 'resizable ArrayBuffer'
        ? new ResizableBuffer(bytes, { maxByteLength: bytes + 64 })
        : backing === 'growable SharedArrayBuffer'
          ? new GrowableBuffer(bytes, { maxByteLength: bytes + 64 })
          : new SharedArrayBuffer(bytes);
  const out = new C(buffer as ArrayBuffer, 0, a.length);
  out.set(a);
  return out as A;
}
/** A valid call of `op` with every typed array (floats and indices) moved onto the given kind of buffer. */
function callOver(op: OpName, backing: Backing): unknown[] {
  return OP_TABLE[op]
    .valid({ sizes: { m: 5, k: 7, n: 3, len: 9 } })
    .map((v) =>
      v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array ? over(v, backing) : v,
    );
}
const baseOf = (name: AsyncOpName) => name.slice(0, -'Async'.length) as OpName;
const call = (b: Backend, name: string, args: unknown[]) =>
  (b as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);

describe('floatArray() and isAsyncSafe()', () => {
  test.each(['float32', 'float64'] as const)('%s: zero-filled, over its own non-growable SharedArrayBuffer', (d) => {
    const a = floatArray(d, 7);
    expect(a).toBeInstanceOf(d === 'float32' ? Float32Array : Float64Array);
    expect(a.length).toBe(7);
    expect(Array.from(a)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect((a.buffer as Growable).growable).toBe(false);
    expect(isAsyncSafe(a)).toBe(true);
    expect(floatArray(d, 0).length).toBe(0);
  });

  test('bad arguments are errors naming the argument', () => {
    expect(() => floatArray('int32' as never, 3)).toThrow(
      /^floatArray\(\): 'dtype' must be 'float32' or 'float64', got 'int32'/,
    );
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53])
      expect(() => floatArray('float32', bad)).toThrow(/^floatArray\(\): 'length' must be a non-negative integer/);
    expect(() => floatArray('float32', '3' as never)).toThrow(RangeError);
    expect(() => floatArray('float64', 2 ** 50)).toThrow(
      /^floatArray\(\): cannot allocate 1125899906842624 float64 values/,
    );
  });

  test('isAsyncSafe() is false for every other kind of array', () => {
    const a = new Float32Array(4);
    expect(isAsyncSafe(a)).toBe(false);
    expect(isAsyncSafe(over(a, 'resizable ArrayBuffer'))).toBe(false);
    expect(isAsyncSafe(over(a, 'growable SharedArrayBuffer'))).toBe(false);
    expect(isAsyncSafe(over(a, 'SharedArrayBuffer'))).toBe(true);
    expect(isAsyncSafe(new Int32Array(new SharedArrayBuffer(8)))).toBe(false);
    expect(isAsyncSafe([1, 2])).toBe(false);
  });
});

describe.each(testBackends())('%s backend: synchronous ops take arrays over any buffer', (_name, b) => {
  test.each(['ArrayBuffer', 'resizable ArrayBuffer', 'growable SharedArrayBuffer', 'SharedArrayBuffer'] as const)(
    'every op over a %s gives the result it gives over a plain ArrayBuffer',
    (backing) => {
      for (const op of Object.keys(OP_TABLE) as OpName[]) {
        const plain = callOver(op, 'ArrayBuffer');
        const other = callOver(op, backing);
        expect([op, call(b, op, other)]).toEqual([op, call(b, op, plain)]);
        expect([op, other.map((v) => (ArrayBuffer.isView(v) ? Array.from(v as FloatArray) : v))]).toEqual([
          op,
          plain.map((v) => (ArrayBuffer.isView(v) ? Array.from(v as FloatArray) : v)),
        ]);
      }
    },
  );
});

test('the JS backend has no async ops (nothing of it runs off the main thread)', () => {
  for (const name of ASYNC_OP_NAMES) expect((js as unknown as Record<string, unknown>)[name]).toBeUndefined();
});

describeNative('native async ops: only arrays over a non-growable SharedArrayBuffer', () => {
  const b = native!;
  const cases: [AsyncOpName, string, number, Backing][] = [];
  for (const name of ASYNC_OP_NAMES) {
    OP_TABLE[baseOf(name)].args.forEach((arg, i) => {
      if (!['floats', 'optFloats', 'int32s', 'int32Out'].includes(arg.kind)) return;
      for (const backing of ['ArrayBuffer', 'resizable ArrayBuffer', 'growable SharedArrayBuffer'] as const)
        cases.push([name, arg.name, i, backing]);
    });
  }

  test.each(cases)("%s: '%s' over a %s is a TypeError saying why and how to fix it", (name, argName, i, backing) => {
    const args = callOver(baseOf(name), 'SharedArrayBuffer');
    args[i] = over(args[i] as FloatArray | Int32Array, backing);
    let thrown: unknown;
    try {
      call(b, name, args);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error | undefined)?.constructor?.name).toBe('TypeError');
    expect((thrown as Error).message).toBe(
      `${name}(): '${argName}' must be backed by a non-growable SharedArrayBuffer, so it cannot be resized or ` +
        `detached while the op runs off the main thread; allocate it with bp.floatArray(...) or copy it into one ` +
        `(it is backed by ${backing === 'growable SharedArrayBuffer' ? 'a growable SharedArrayBuffer' : 'an ArrayBuffer'})`,
    );
  });

  test.each(ASYNC_OP_NAMES.map((n) => [n]))(
    '%s over SharedArrayBuffers gives what the synchronous op gives',
    async (name) => {
      const viaSync = callOver(baseOf(name), 'SharedArrayBuffer');
      const viaAsync = callOver(baseOf(name), 'SharedArrayBuffer');
      call(b, baseOf(name), viaSync);
      await call(b, name, viaAsync);
      const values = (args: unknown[]) => args.map((v) => (ArrayBuffer.isView(v) ? Array.from(v as FloatArray) : v));
      expect(values(viaAsync)).toEqual(values(viaSync));
    },
  );

  test('while an op is queued, its buffers cannot be transferred, detached, resized or grown', async () => {
    const m = 256;
    const a = floatArray('float32', m * m).fill(1),
      w = floatArray('float32', m * m).fill(0.5),
      c = floatArray('float32', m * m);
    const pending = b.gemmAsync!(false, false, m, m, m, 1, a, w, 0, c);
    const buffer = c.buffer as unknown as Growable;
    // By message: these errors come from Node's realm, not jest's sandbox, so instanceof TypeError fails.
    expect(() => structuredClone(buffer, { transfer: [buffer as unknown as ArrayBuffer] })).toThrow(/transfer/i);
    const proto = ArrayBuffer.prototype as unknown as Partial<Resizable>;
    if (proto.transfer) expect(() => proto.transfer!.call(buffer)).toThrow(/incompatible receiver/); // Node >= 21
    expect(() => proto.resize!.call(buffer, 0)).toThrow(/incompatible receiver/);
    expect(() => buffer.grow(0)).toThrow(/not growable|incompatible receiver/);
    await pending;
    expect(c.length).toBe(m * m);
    expect(c.every((v) => v === m * 0.5)).toBe(true);
  });
});

// Resizing to 0 or transferring right after the call: with the old check the kernel wrote into memory JS
// had already taken back. Now the call is refused synchronously, so there is nothing in flight to break.
const SHRINK = `
const bp = require(process.env.DIST);
const b = bp.nativeBackend().backend;
const n = 512, bytes = n * n * 4;
let refused = 0;
for (let i = 0; i < 40; i++) {
  const a = new Float32Array(new SharedArrayBuffer(bytes)).fill(1);
  const w = new Float32Array(new SharedArrayBuffer(bytes)).fill(1);
  const buf = new ArrayBuffer(bytes, { maxByteLength: bytes });
  const c = new Float32Array(buf);
  try {
    b.gemmAsync(false, false, n, n, n, 1, a, w, 0, c).catch(() => {});
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    refused++;
  }
  if (i % 2) buf.resize(0);
  else structuredClone(buf, { transfer: [buf] }); // detaches buf (ArrayBuffer.prototype.transfer is Node >= 21)
}
setTimeout(() => console.log(JSON.stringify({ refused })), 200);
`;

describeNative('native async ops in a child process', () => {
  test('an array resized to 0 or transferred right after the call: refused, and the process survives', () => {
    const env = { ...process.env, DIST: path.resolve(__dirname, '../../dist/index.js') };
    const r = spawnSync(process.execPath, ['-e', SHRINK], { env, encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr }).toEqual({
      status: 0,
      signal: null,
      stderr: '',
    });
    expect(JSON.parse(r.stdout.trim())).toEqual({ refused: 40 });
  });
});
