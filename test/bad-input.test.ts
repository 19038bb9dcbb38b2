/**
 * The bad-input table: every export, on both backends, given wrong argument counts, wrong types, wrong
 * typed-array kinds, short buffers, bad dims and detached buffers, throws the expected error class with
 * a message naming the op and the argument — and the process survives to run the next case.
 */
import type { Backend } from '../src/backend/ops';
import { OP_NAMES } from '../src/backend/ops';
import { testBackends } from './support/backends';

type ArgKind = 'arr' | 'anyarr' | 'optarr' | 'i32' | 'dim' | 'num' | 'bool' | 'act';
interface Spec {
  params: [string, ArgKind][];
  valid: () => unknown[];
}

const f = (n: number) => new Float32Array(n).fill(0.5);
const m = 2,
  k = 3,
  n = 4;
const loss = (pred: string, extra: [string, ArgKind][] = [], extraVals: unknown[] = []): Spec => ({
  params: [[pred, 'arr'], ['target', 'arr'], ['grad', 'optarr'], ['rows', 'dim'], ['cols', 'dim'], ...extra],
  valid: () => [f(m * n), f(m * n), f(m * n), m, n, ...extraVals],
});
const step = (state: string[], scalars: [string, ArgKind][], vals: unknown[]): Spec => ({
  params: [['w', 'arr'], ['g', 'arr'], ...state.map((s) => [s, 'arr'] as [string, ArgKind]), ...scalars],
  valid: () => [f(5), f(5), ...state.map(() => f(5)), ...vals],
});

const SPECS: Record<(typeof OP_NAMES)[number], Spec> = {
  gemm: {
    params: [
      ['transA', 'bool'],
      ['transB', 'bool'],
      ['m', 'dim'],
      ['n', 'dim'],
      ['k', 'dim'],
      ['alpha', 'num'],
      ['a', 'arr'],
      ['b', 'arr'],
      ['beta', 'num'],
      ['c', 'arr'],
    ],
    valid: () => [false, false, m, n, k, 1, f(m * k), f(k * n), 0, f(m * n)],
  },
  activationForward: {
    params: [
      ['act', 'act'],
      ['alpha', 'num'],
      ['z', 'arr'],
      ['y', 'arr'],
      ['rows', 'dim'],
      ['cols', 'dim'],
    ],
    valid: () => [1, 0, f(m * n), f(m * n), m, n],
  },
  activationBackward: {
    params: [
      ['act', 'act'],
      ['alpha', 'num'],
      ['z', 'arr'],
      ['y', 'arr'],
      ['dy', 'arr'],
      ['dz', 'arr'],
      ['rows', 'dim'],
      ['cols', 'dim'],
    ],
    valid: () => [1, 0, f(m * n), f(m * n), f(m * n), f(m * n), m, n],
  },
  denseForward: {
    params: [
      ['x', 'arr'],
      ['w', 'arr'],
      ['b', 'optarr'],
      ['z', 'arr'],
      ['y', 'arr'],
      ['m', 'dim'],
      ['k', 'dim'],
      ['n', 'dim'],
      ['act', 'act'],
      ['alpha', 'num'],
    ],
    valid: () => [f(m * k), f(k * n), f(n), f(m * n), f(m * n), m, k, n, 3, 0],
  },
  denseBackward: {
    params: [
      ['x', 'arr'],
      ['w', 'arr'],
      ['z', 'arr'],
      ['y', 'arr'],
      ['dy', 'arr'],
      ['dz', 'arr'],
      ['dw', 'arr'],
      ['db', 'optarr'],
      ['dx', 'optarr'],
      ['m', 'dim'],
      ['k', 'dim'],
      ['n', 'dim'],
      ['act', 'act'],
      ['alpha', 'num'],
    ],
    valid: () => [f(m * k), f(k * n), f(m * n), f(m * n), f(m * n), f(m * n), f(k * n), f(n), f(m * k), m, k, n, 3, 0],
  },
  meanSquaredError: loss('pred'),
  meanAbsoluteError: loss('pred'),
  huber: loss('pred', [['delta', 'num']], [1]),
  binaryCrossentropy: loss('prob'),
  sigmoidCrossEntropyWithLogits: loss('logits'),
  categoricalCrossentropy: loss('prob'),
  softmaxCrossEntropy: loss('logits'),
  softmaxCrossEntropySparse: {
    params: [
      ['logits', 'arr'],
      ['labels', 'i32'],
      ['grad', 'optarr'],
      ['rows', 'dim'],
      ['cols', 'dim'],
    ],
    valid: () => [f(m * n), Int32Array.of(0, 3), f(m * n), m, n],
  },
  sgdStep: step(
    [],
    [
      ['lr', 'num'],
      ['weightDecay', 'num'],
    ],
    [0.1, 0],
  ),
  momentumStep: step(
    ['velocity'],
    [
      ['lr', 'num'],
      ['momentum', 'num'],
      ['nesterov', 'bool'],
      ['weightDecay', 'num'],
    ],
    [0.1, 0.9, true, 0],
  ),
  rmspropStep: step(
    ['meanSquare'],
    [
      ['lr', 'num'],
      ['rho', 'num'],
      ['epsilon', 'num'],
      ['weightDecay', 'num'],
    ],
    [0.1, 0.9, 1e-7, 0],
  ),
  adagradStep: step(
    ['accumulator'],
    [
      ['lr', 'num'],
      ['epsilon', 'num'],
      ['weightDecay', 'num'],
    ],
    [0.1, 1e-7, 0],
  ),
  adamStep: step(
    ['m', 'v'],
    [
      ['lr', 'num'],
      ['beta1', 'num'],
      ['beta2', 'num'],
      ['epsilon', 'num'],
      ['t', 'num'],
      ['weightDecay', 'num'],
      ['decoupled', 'bool'],
    ],
    [0.1, 0.9, 0.999, 1e-7, 1, 0, false],
  ),
  sumSquares: { params: [['x', 'anyarr']], valid: () => [f(5)] },
  scale: {
    params: [
      ['x', 'anyarr'],
      ['s', 'num'],
    ],
    valid: () => [f(5), 2],
  },
  clip: {
    params: [
      ['x', 'anyarr'],
      ['lo', 'num'],
      ['hi', 'num'],
    ],
    valid: () => [f(5), -1, 1],
  },
  l1l2: step(
    [],
    [
      ['l1', 'num'],
      ['l2', 'num'],
    ],
    [0.01, 0.01],
  ),
};

function detached(len: number): Float32Array {
  const a = new Float32Array(len);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

type Bad = [label: string, value: (valid: unknown) => unknown, error: typeof TypeError | typeof RangeError];
const NOT_AN_ARRAY: Bad[] = [
  ['undefined', () => undefined, TypeError],
  ['a number', () => 3, TypeError],
  ['a string', () => 'abc', TypeError],
  ['a plain array', () => [1, 2, 3], TypeError],
  ['a BigInt', () => 10n, TypeError],
  ['an object', () => ({ length: 8 }), TypeError],
];
const BAD: Record<ArgKind, Bad[]> = {
  arr: [
    ['null', () => null, TypeError],
    ...NOT_AN_ARRAY,
    ['an Int8Array', (v) => new Int8Array((v as Float32Array).length), TypeError],
    ['a Float64Array among Float32Arrays', (v) => new Float64Array((v as Float32Array).length), TypeError],
    ['a short buffer', (v) => new Float32Array((v as Float32Array).length - 1), RangeError],
    ['a long buffer', (v) => new Float32Array((v as Float32Array).length + 1), RangeError],
    ['a detached buffer', (v) => detached((v as Float32Array).length), RangeError],
  ],
  // An array with no shape to match (sumSquares, scale, clip): any float array of any length is valid.
  anyarr: [
    ['null', () => null, TypeError],
    ...NOT_AN_ARRAY,
    ['an Int8Array', (v) => new Int8Array((v as Float32Array).length), TypeError],
  ],
  optarr: [
    ...NOT_AN_ARRAY,
    ['a Float64Array among Float32Arrays', (v) => new Float64Array((v as Float32Array).length), TypeError],
    ['a short buffer', (v) => new Float32Array((v as Float32Array).length - 1), RangeError],
    ['a detached buffer', (v) => detached((v as Float32Array).length), RangeError],
  ],
  i32: [
    ['null', () => null, TypeError],
    ...NOT_AN_ARRAY,
    ['a Float32Array', (v) => new Float32Array((v as Int32Array).length), TypeError],
    ['a short Int32Array', () => Int32Array.of(0), RangeError],
    ['an out-of-range label', () => Int32Array.of(0, 4), RangeError],
    ['a negative label', () => Int32Array.of(-1, 0), RangeError],
  ],
  dim: [
    ['-1', () => -1, RangeError],
    ['NaN', () => NaN, RangeError],
    ['1.5', () => 1.5, RangeError],
    ['2^31', () => 2 ** 31, RangeError],
    ['Infinity', () => Infinity, RangeError],
    ['a string', () => '2', TypeError],
    ['a BigInt', () => 2n, TypeError],
    ['null', () => null, TypeError],
    ['undefined', () => undefined, TypeError],
  ],
  num: [
    ['a string', () => '1', TypeError],
    ['null', () => null, TypeError],
    ['a BigInt', () => 1n, TypeError],
    ['undefined', () => undefined, TypeError],
  ],
  bool: [
    ['a number', () => 1, TypeError],
    ['a string', () => 'true', TypeError],
    ['null', () => null, TypeError],
  ],
  act: [
    ['13', () => 13, RangeError],
    ['-1', () => -1, RangeError],
    ['1.5', () => 1.5, RangeError],
    ['a string', () => 'relu', TypeError],
  ],
};

function cases(): [string, string, () => unknown[], typeof TypeError | typeof RangeError, string][] {
  const out: [string, string, () => unknown[], typeof TypeError | typeof RangeError, string][] = [];
  for (const op of OP_NAMES) {
    const spec = SPECS[op];
    out.push([op, 'one argument too few', () => spec.valid().slice(0, -1), TypeError, '']);
    out.push([op, 'one argument too many', () => [...spec.valid(), 0], TypeError, '']);
    out.push([op, 'no arguments', () => [], TypeError, '']);
    spec.params.forEach(([name, kind], i) => {
      for (const [label, make, error] of BAD[kind]) {
        out.push([
          op,
          `'${name}' = ${label}`,
          () => {
            const a = spec.valid();
            a[i] = make(a[i]);
            return a;
          },
          error,
          name,
        ]);
      }
    });
  }
  out.push([
    'gemm',
    'overflowing m*n*k',
    () => [false, false, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 1, f(1), f(1), 0, f(1)],
    RangeError,
    '',
  ]);
  out.push([
    'gemm',
    "'c' aliasing 'a'",
    () => {
      const a = f(m * k * 4);
      return [false, false, m, n, k, 1, a.subarray(0, m * k), f(k * n), 0, a.subarray(1, 1 + m * n)];
    },
    RangeError,
    'c',
  ]);
  out.push([
    'denseForward',
    "'y' aliasing 'z' with a non-linear activation",
    () => {
      const z = f(m * n);
      return [f(m * k), f(k * n), f(n), z, z, m, k, n, 1, 0];
    },
    RangeError,
    'y',
  ]);
  out.push([
    'adamStep',
    "'t' = 0",
    () => {
      const a = SPECS.adamStep.valid();
      a[8] = 0;
      return a;
    },
    RangeError,
    't',
  ]);
  out.push([
    'huber',
    "'delta' = 0",
    () => {
      const a = SPECS.huber.valid();
      a[5] = 0;
      return a;
    },
    RangeError,
    'delta',
  ]);
  out.push(['sgdStep', "'g' shorter than 'w'", () => [f(5), f(4), 0.1, 0], RangeError, 'g']);
  return out;
}

describe.each(testBackends())('%s backend rejects bad input', (_name, b: Backend) => {
  test('every op has a spec in this table', () => {
    expect(Object.keys(SPECS).sort()).toEqual([...OP_NAMES].sort());
  });
  test.each(cases())('%s: %s', (op, _label, args, error, argName) => {
    const fn = (b as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
    let thrown: unknown;
    try {
      fn.apply(b, args());
    } catch (e) {
      thrown = e;
    }
    // By name: errors thrown by the addon come from Node's realm, not jest's sandbox, so instanceof fails.
    expect((thrown as Error | undefined)?.constructor?.name).toBe(error.name);
    const message = (thrown as Error).message;
    expect(message.startsWith(`${op}(): `)).toBe(true);
    // Mixing float kinds is reported on the first array whose kind differs from the first one's.
    const names: string[] = _label.includes('among')
      ? SPECS[op as keyof typeof SPECS].params.map(([nm]) => nm)
      : [argName];
    if (argName) expect(names.some((nm) => message.includes(`'${nm}'`))).toBe(true);
  });
  test('valid arguments from the table are accepted (the table tests what it claims)', () => {
    for (const op of OP_NAMES) {
      const fn = (b as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
      expect(() => fn.apply(b, SPECS[op].valid())).not.toThrow();
    }
  });
});
