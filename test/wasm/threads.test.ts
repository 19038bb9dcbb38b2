/**
 * The wasm backend's thread pool: every op splits its work into tasks fixed by the problem (never by the thread
 * count), and sums over tasks are added in task order, so results are bit-identical with 1, 2 or 3 threads and
 * run after run. Covers the ops that split work: gemm, the dense layer, the direct and Winograd convolutions
 * (forward and backward), pooling, batch norm, a large Adam step, and an LSTM over a sequence.
 */
import { OP_TABLE, type OpName } from '../../src/backend/op-table';
import { loadWasmBackend, type WasmBackend } from '../../src/backend/wasm';
import { Rng } from '../../src/random';

const backends = [1, 2, 3].map((t) => {
  const r = loadWasmBackend(t);
  if (!r.backend) throw new Error(r.error);
  return r.backend;
});

type Sizes = Record<string, number>;
const cases: [string, OpName, Sizes][] = [
  ['gemm 150x170x190', 'gemm', { m: 150, n: 170, k: 190 }],
  // Edges of the 2x16 register tile: an odd row left over, one column past a 16-column sliver.
  ['gemm 151x17x300', 'gemm', { m: 151, n: 17, k: 300 }],
  ['dense 96x300 -> 130', 'denseForward', { m: 96, k: 300, n: 130 }],
  ['dense backward', 'denseBackward', { m: 96, k: 300, n: 130 }],
  ...(['conv2dForward', 'conv2dBackward'] as const).flatMap((op): [string, OpName, Sizes][] => [
    [`${op} direct 3x3 1->32`, op, conv(12, 14, 14, 1, 32)],
    [`${op} winograd 3x3 16->24 same`, op, { ...conv(9, 11, 13, 16, 24), padTop: 1, padLeft: 1, outH: 11, outW: 13 }],
    // Filter counts that mix tile widths: 16 + 4 and 16 + 12 filters, direct and Winograd.
    [`${op} direct 3x3 3->20`, op, conv(5, 9, 10, 3, 20)],
    [`${op} direct 3x3 2->28`, op, conv(5, 9, 10, 2, 28)],
    [`${op} winograd 3x3 16->28`, op, conv(4, 10, 9, 16, 28)],
  ]),
  ['maxPool2dForward 2x2', 'maxPool2dForward', pool(10, 12, 12, 8)],
  ['avgPool2dBackward 2x2', 'avgPool2dBackward', pool(10, 12, 12, 8)],
  ['batchNormForward', 'batchNormForward', { rows: 3000, cols: 24 }],
  ['batchNormBackward', 'batchNormBackward', { rows: 3000, cols: 24 }],
  ['adamStep 100k', 'adamStep', { len: 100_000 }],
  ['lstmBackward', 'lstmBackward', { batch: 9, steps: 7, inputSize: 5, units: 33 }],
];

function conv(batch: number, h: number, w: number, inC: number, outC: number): Sizes {
  return { batch, inH: h, inW: w, inC, kH: 3, kW: 3, outC, outH: h - 2, outW: w - 2, inCPerGroup: inC };
}
function pool(batch: number, h: number, w: number, inC: number): Sizes {
  return { batch, inH: h, inW: w, inC, kH: 2, kW: 2, strideH: 2, strideW: 2, outH: h / 2, outW: w / 2 };
}

/** A valid call of `op` with random float inputs (seeded), run on `b`; returns every float array after it. */
function run(b: WasmBackend, op: OpName, sizes: Sizes): Float32Array[] {
  const args = OP_TABLE[op].valid({ sizes: { ...sizes } });
  const rng = new Rng(7);
  for (const a of args) if (a instanceof Float32Array) for (let i = 0; i < a.length; i++) a[i] = rng.uniform(0.05, 1);
  (b[op] as (...a: unknown[]) => unknown)(...args);
  return args.filter((a): a is Float32Array => a instanceof Float32Array);
}

/** Bitwise equality of two lists of arrays (jest's toEqual walks a big typed array element by element). */
function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return a.length === b.length && a.every((v, i) => bytes(v).equals(bytes(b[i])));
}

beforeAll(() => Promise.all(backends.map((b) => b.threadsReady())));

test.each(cases)('%s: the same bits with 1, 2 and 3 threads, run after run', (_label, op, sizes) => {
  const ref = run(backends[0], op, sizes);
  for (const b of [...backends, backends[1]]) expect(sameBits(run(b, op, sizes), ref)).toBe(true);
});

test('the helper threads took tasks (the runs above were parallel)', () => {
  expect(backends[0].helperTasks()).toBe(0);
  expect(backends[1].helperTasks()).toBeGreaterThan(0);
  expect(backends[2].helperTasks()).toBeGreaterThan(0);
});
