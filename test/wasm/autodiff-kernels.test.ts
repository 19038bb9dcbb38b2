/**
 * The wasm backend's autodiff kernels (bp.ops) beyond the agreement suite's small cases: outputs large enough to
 * split over the pool give the same bits with 1, 2 and 3 threads (and the JS reference's bits where the float32
 * arithmetic is one IEEE operation per element); in-place calls; batched matMul split by batch or by rows; the
 * matMul async twin; an index out of range reported with the JS backend's message, the caller's arrays untouched.
 */
import { loadWasmBackend, type WasmBackend } from '../../src/backend/wasm';
import { jsReference } from '../../src/backend/select';
import { floatArray } from '../../src/backend/memory';
import { Binary, Reduce, Unary } from '../../src/backend/elementwise';
import type { Backend } from '../../src/backend/ops';
import { Rng } from '../../src/random';

const backends = [1, 2, 3].map((t) => {
  const r = loadWasmBackend(t);
  if (!r.backend) throw new Error(r.error);
  return r.backend;
});
const js = jsReference();
const i32 = (a: number[]) => Int32Array.from(a);
const size = (s: number[]) => s.reduce((p, d) => p * d, 1);

function rand(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  const r = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(lo, hi);
  return a;
}
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Each case runs an op on a backend and returns its output. */
type Case = [label: string, run: (b: Backend) => Float32Array, exactVsJs: boolean];

const O = [96, 7, 130],
  A = [96, 1, 130],
  B = [1, 7, 1];
const cases: Case[] = [
  [
    'binary mul [96,7,130] ← [96,1,130]·[1,7,1], then tanh',
    (b) => {
      const out = new Float32Array(size(O));
      b.binary(
        Binary.mul,
        3,
        i32(O),
        i32(A),
        i32(B),
        rand(size(A), 1),
        rand(size(B), 2),
        out,
        i32([Unary.tanh]),
        new Float32Array(2),
        1,
      );
      return out;
    },
    false,
  ],
  [
    'binary add, a bias row broadcast over 300 rows',
    (b) => {
      const out = new Float32Array(300 * 257);
      b.binary(
        Binary.add,
        2,
        i32([300, 257]),
        i32([300, 257]),
        i32([1, 257]),
        rand(300 * 257, 3),
        rand(257, 4),
        out,
        i32([]),
        new Float32Array(0),
        0,
      );
      return out;
    },
    true,
  ],
  [
    'binary reluGrad over 100k',
    (b) => {
      const out = new Float32Array(100_000);
      b.binary(
        Binary.reluGrad,
        1,
        i32([100_000]),
        i32([100_000]),
        i32([100_000]),
        rand(100_000, 5),
        rand(100_000, 6),
        out,
        i32([]),
        new Float32Array(0),
        0,
      );
      return out;
    },
    true,
  ],
  [
    'unary chain (square, addScalar, sqrt) over 100k',
    (b) => {
      const y = new Float32Array(100_000);
      b.unary(
        i32([Unary.square, Unary.addScalar, Unary.sqrt]),
        Float32Array.of(0, 0, 0.5, 0, 0, 0),
        rand(100_000, 7),
        y,
        100_000,
        3,
      );
      return y;
    },
    true,
  ],
  [
    'select [400,300] ← [400,1] ? [400,300] : [1,300]',
    (b) => {
      const out = new Float32Array(400 * 300);
      const cond = rand(400, 8).map((v) => (v > 0 ? 1 : 0));
      b.select(
        2,
        i32([400, 300]),
        i32([400, 1]),
        i32([400, 300]),
        i32([1, 300]),
        cond,
        rand(120_000, 9),
        rand(300, 10),
        out,
      );
      return out;
    },
    true,
  ],
  [
    'reduce sum [300,257] over rows',
    (b) => {
      const y = new Float32Array(257);
      b.reduce(Reduce.sum, 2, i32([300, 257]), i32([1, 257]), rand(300 * 257, 11), y);
      return y;
    },
    true,
  ],
  [
    'matMul 12 batches of 40×50·50×30 (a task per batch)',
    (b) => {
      const c = new Float32Array(12 * 40 * 30);
      b.matMul(
        false,
        true,
        1,
        i32([12]),
        i32([12]),
        i32([12]),
        40,
        30,
        50,
        rand(12 * 40 * 50, 12),
        rand(12 * 30 * 50, 13),
        c,
      );
      return c;
    },
    false,
  ],
  [
    'matMul 2 batches of 150ᵀ×170·170×190 (each over the pool)',
    (b) => {
      const c = new Float32Array(2 * 150 * 190);
      b.matMul(
        true,
        false,
        1,
        i32([2]),
        i32([2]),
        i32([1]),
        150,
        190,
        170,
        rand(2 * 170 * 150, 14),
        rand(170 * 190, 15),
        c,
      );
      return c;
    },
    false,
  ],
];

beforeAll(() => Promise.all(backends.map((b) => b.threadsReady())));

test.each(cases)('%s: the same bits with 1, 2 and 3 threads', (_label, run, exact) => {
  const ref = run(backends[0]);
  for (const b of [...backends, backends[1]]) expect(bits(run(b)).equals(bits(ref))).toBe(true);
  if (exact) expect(bits(run(js)).equals(bits(ref))).toBe(true);
});

test('the helper threads took tasks in these ops', () => {
  expect(backends[0].helperTasks()).toBe(0);
  expect(backends[1].helperTasks()).toBeGreaterThan(0);
});

test('in place: out is a, y is x (the module shares one copy)', () => {
  const w = backends[1] as WasmBackend;
  const a = rand(5000, 20),
    b = rand(5000, 21);
  const want = a.map((v, i) => Math.fround(v - b[i]));
  w.binary(Binary.sub, 1, i32([5000]), i32([5000]), i32([5000]), a, b, a, i32([]), new Float32Array(0), 0);
  expect(bits(a).equals(bits(want))).toBe(true);
  const x = rand(3000, 22);
  const neg = x.map((v) => -v);
  w.unary(i32([Unary.neg]), new Float32Array(2), x, x, 3000, 1);
  expect(bits(x).equals(bits(neg))).toBe(true);
});

test('matMulAsync gives the bits of matMul', async () => {
  const w = backends[1] as WasmBackend;
  const shared = (src: Float32Array) => {
    const s = floatArray('float32', src.length) as Float32Array;
    s.set(src);
    return s;
  };
  const a = shared(rand(3 * 20 * 30, 30)),
    b = shared(rand(30 * 40, 31));
  const c = shared(new Float32Array(3 * 20 * 40)),
    sync = new Float32Array(3 * 20 * 40);
  const shapes = () => [i32([3]), i32([3]), i32([1])] as const;
  w.matMul(false, false, 1, ...shapes(), 20, 40, 30, a, b, sync);
  const [ob, ab, bb] = shapes();
  const done = w.matMulAsync!(false, false, 1, ob, ab, bb, 20, 40, 30, a, b, c);
  // The shapes were copied when the twin was called: changing them now changes nothing.
  ob[0] = ab[0] = 1;
  await done;
  expect(bits(c).equals(bits(sync))).toBe(true);
});

test('an index out of range: the JS backend message, the caller’s arrays untouched', () => {
  const w = backends[0] as WasmBackend;
  const dx = rand(12, 40);
  w.scatterAdd(rand(6, 41), i32([1, 5, 0]), dx, 1, 6, 2, 3);
  const before = Float32Array.from(dx);
  expect(() => w.scatterAdd(rand(6, 41), i32([1, 6, 0]), dx, 1, 6, 2, 3)).toThrow(
    /^scatterAdd\(\): 'indices'\[1\] = 6 is outside \[0, 6\)/,
  );
  expect(bits(dx).equals(bits(before))).toBe(true);
  const y = new Float32Array(8).fill(3);
  expect(() => w.oneHot(i32([0, -1]), y, 2, 4, 1, 0)).toThrow(/^oneHot\(\): 'indices'\[1\] = -1 is outside \[0, 4\)/);
  expect(Array.from(y)).toEqual(new Array(8).fill(3));
  expect(() => w.gather(rand(12, 42), i32([2, 7]), new Float32Array(4), 1, 6, 2, 2)).toThrow(
    /^gather\(\): 'indices'\[1\] = 7/,
  );
});
