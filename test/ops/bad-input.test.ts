/**
 * The bad-input table: every export, on both backends, given wrong argument counts, wrong types, wrong
 * typed-array kinds, short buffers, bad dims and detached buffers, throws the expected error class with
 * a message naming the op and the argument — and the process survives to run the next case. The cases are
 * generated from the op table (src/backend/op-table.ts): each argument kind has its list of bad values.
 */
import type { Backend } from '../../src/backend/ops';
import { ACTIVATION_COUNT } from '../../src/backend/activations';
import { ASYNC_OP_NAMES, OP_NAMES, OP_TABLE, type OpName } from '../../src/backend/op-table';
import type { ArgSpec } from '../../src/backend/op-table';
import { testBackends } from '../support/backends';

type BadKind = 'arr' | 'anyarr' | 'optarr' | 'i32' | 'dim' | 'num' | 'bool' | 'act' | 'i32out';

/** Which list of bad values an argument gets. */
function badKind(arg: ArgSpec): BadKind {
  switch (arg.kind) {
    case 'floats':
      // An array with no shape to match (sumSquares, scale, clip): any float array of any length is valid.
      return arg.length === null ? 'anyarr' : 'arr';
    case 'optFloats':
      return 'optarr';
    case 'int32s':
      return 'i32';
    case 'int32Out':
      return 'i32out';
    default:
      return arg.kind;
  }
}
const valid = (op: OpName) => OP_TABLE[op].valid();
const argIndex = (op: OpName, name: string) => OP_TABLE[op].args.findIndex((a) => a.name === name);
const f = (n: number) => new Float32Array(n).fill(0.5);
const m = 2,
  k = 3,
  n = 4;

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
const BAD: Record<BadKind, Bad[]> = {
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
    ['a short Int32Array', (v) => (v as Int32Array).slice(1), RangeError],
    ['an out-of-range label', (v) => Int32Array.from(v as Int32Array, (l, i) => (i === 1 ? n : l)), RangeError],
    ['a negative label', (v) => Int32Array.from(v as Int32Array, (l, i) => (i === 0 ? -1 : l)), RangeError],
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
    [`${ACTIVATION_COUNT} (one past the last activation)`, () => ACTIVATION_COUNT, RangeError],
    ['-1', () => -1, RangeError],
    ['1.5', () => 1.5, RangeError],
    ['a string', () => 'relu', TypeError],
  ],
  // An index array the op writes (max-pooling's argmax): its values on input do not matter.
  i32out: [
    ['null', () => null, TypeError],
    ...NOT_AN_ARRAY,
    ['a Float32Array', (v) => new Float32Array((v as Int32Array).length), TypeError],
    ['a short Int32Array', (v) => (v as Int32Array).slice(1), RangeError],
  ],
};

function cases(): [string, string, () => unknown[], typeof TypeError | typeof RangeError, string][] {
  const out: [string, string, () => unknown[], typeof TypeError | typeof RangeError, string][] = [];
  for (const op of OP_NAMES) {
    out.push([op, 'one argument too few', () => valid(op).slice(0, -1), TypeError, '']);
    out.push([op, 'one argument too many', () => [...valid(op), 0], TypeError, '']);
    out.push([op, 'no arguments', () => [], TypeError, '']);
    OP_TABLE[op].args.forEach((arg, i) => {
      for (const [label, make, error] of BAD[badKind(arg)]) {
        out.push([
          op,
          `'${arg.name}' = ${label}`,
          () => {
            const a = valid(op);
            a[i] = make(a[i]);
            return a;
          },
          error,
          arg.name,
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
  // The fused backward ops' aliasing rules (one shared check in the JS backend, its twin natively): an
  // output partly over another output, over an input, or dz partly over dy, is refused; dz = dy is allowed.
  for (const op of ['denseBackward', 'conv2dBackward'] as const) {
    /** A valid call with `a` replaced by a view starting 1 value into the memory of `b`. */
    const overlapping = (a: string, b: string) => () => {
      const args = valid(op);
      const [ia, ib] = [argIndex(op, a), argIndex(op, b)];
      const [va, vb] = [args[ia] as Float32Array, args[ib] as Float32Array];
      const shared = f(va.length + vb.length);
      shared.set(vb);
      args[ib] = shared.subarray(0, vb.length);
      args[ia] = shared.subarray(1, 1 + va.length);
      return args;
    };
    for (const [a, b] of [
      ['dw', 'dz'],
      ['dx', 'dw'],
      ['db', 'y'],
      ['dz', 'dy'],
      ['dx', 'dy'],
    ])
      out.push([op, `'${a}' overlapping '${b}'`, overlapping(a, b), RangeError, a]);
  }
  out.push([
    'adamStep',
    "'t' = 0",
    () => {
      const a = valid('adamStep');
      a[argIndex('adamStep', 't')] = 0;
      return a;
    },
    RangeError,
    't',
  ]);
  out.push([
    'huber',
    "'delta' = 0",
    () => {
      const a = valid('huber');
      a[argIndex('huber', 'delta')] = 0;
      return a;
    },
    RangeError,
    'delta',
  ]);
  out.push(['sgdStep', "'g' shorter than 'w'", () => [f(5), f(4), 0.1, 0], RangeError, 'g']);
  out.push(...convolutionBadCases());
  out.push(...transposeBadCases());
  return out;
}

// ---- graph-model layers: the transposed convolution --------------------------------------------------------
function transposeBadCases(): [string, string, () => unknown[], typeof TypeError | typeof RangeError, string][] {
  const out: [string, string, () => unknown[], typeof TypeError | typeof RangeError, string][] = [];
  for (const op of ['conv2dTransposeForward', 'conv2dTransposeBackward'] as const) {
    for (const name of ['strideH', 'strideW', 'dilationH', 'dilationW']) {
      out.push([op, `'${name}' = 0`, () => withSizes(op, {}, { [name]: 0 }), RangeError, name]);
    }
    out.push([op, "'act' = softmax", () => withSizes(op, {}, { act: 12 }), RangeError, 'act']);
    // Each dim is fine, but kH·kW·outC (the adjoint convolution's im2col columns) is not a BLAS dimension.
    out.push([
      op,
      'kH*kW*outC above 2^31-1',
      () => withSizes(op, { batch: 0 }, { kH: 65536, kW: 65536 }),
      RangeError,
      '',
    ]);
  }
  const op = 'conv2dTransposeBackward';
  /** A valid call with `a` replaced by a view starting 1 value into the memory of `b`. */
  const overlapping = (a: string, b: string) => () => {
    const args = valid(op);
    const [ia, ib] = [argIndex(op, a), argIndex(op, b)];
    const [va, vb] = [args[ia] as Float32Array, args[ib] as Float32Array];
    const shared = f(va.length + vb.length);
    shared.set(vb);
    args[ib] = shared.subarray(0, vb.length);
    args[ia] = shared.subarray(1, 1 + va.length);
    return args;
  };
  for (const [a, b] of [
    ['dw', 'dz'],
    ['dx', 'dw'],
    ['db', 'y'],
    ['dz', 'dy'],
    ['dx', 'x'],
  ])
    out.push([op, `'${a}' overlapping '${b}'`, overlapping(a, b), RangeError, a]);
  out.push([
    'conv2dTransposeForward',
    "'y' aliasing 'z' with a non-linear activation",
    () => {
      const a = valid('conv2dTransposeForward');
      a[argIndex('conv2dTransposeForward', 'y')] = a[argIndex('conv2dTransposeForward', 'z')];
      a[argIndex('conv2dTransposeForward', 'act')] = 2;
      return a;
    },
    RangeError,
    'y',
  ]);
  return out;
}

// ---- convolution and pooling: geometry the dims alone cannot express --------------------------------------
function withSizes(op: OpName, sizes: Record<string, number>, set: Record<string, unknown> = {}): unknown[] {
  const a = OP_TABLE[op].valid({ sizes });
  for (const [name, v] of Object.entries(set)) a[argIndex(op, name)] = v;
  return a;
}
function convolutionBadCases(): [string, string, () => unknown[], typeof TypeError | typeof RangeError, string][] {
  const out: [string, string, () => unknown[], typeof TypeError | typeof RangeError, string][] = [];
  for (const op of ['conv2dForward', 'conv2dBackward'] as const) {
    for (const name of ['strideH', 'strideW', 'dilationH', 'dilationW', 'groups']) {
      out.push([op, `'${name}' = 0`, () => withSizes(op, {}, { [name]: 0 }), RangeError, name]);
    }
    // groups 2 with 3 output channels (and 4 with 2 input channels) does not divide them.
    out.push([
      op,
      "'groups' not dividing outC",
      () => withSizes(op, { groups: 2, inCPerGroup: 1 }),
      RangeError,
      'groups',
    ]);
    out.push([op, "'act' = softmax", () => withSizes(op, {}, { act: 12 }), RangeError, 'act']);
    // A kernel of 2^16·2^16·2 columns: each dim is fine, their product is not a BLAS dimension.
    out.push([
      op,
      'kH*kW*(inC/groups) above 2^31-1',
      () => withSizes(op, {}, { kH: 65536, kW: 65536 }),
      RangeError,
      '',
    ]);
  }
  for (const op of ['maxPool2dForward', 'maxPool2dBackward', 'avgPool2dForward', 'avgPool2dBackward'] as const) {
    out.push([op, "'strideW' = 0", () => withSizes(op, {}, { strideW: 0 }), RangeError, 'strideW']);
    // The first window would lie wholly in the padding above the input.
    out.push([op, 'a window above the input', () => withSizes(op, {}, { padTop: 2 }), RangeError, 'padTop']);
    // The last window would start past the input's right edge.
    out.push([op, 'a window right of the input', () => withSizes(op, {}, { outW: 5 }), RangeError, 'padLeft']);
  }
  for (const op of ['maxPool2dForward', 'maxPool2dBackward'] as const) {
    // A 65536x65536 window (over a 65536x65536 padded plane of an empty batch) has more positions than Int32 holds.
    const big = { kH: 65536, kW: 65536, padTop: 65535, padLeft: 65535, outH: 1, outW: 1, batch: 0 };
    out.push([op, 'kH*kW above 2^31-1', () => withSizes(op, big), RangeError, '']);
  }
  out.push([
    'maxPool2dBackward',
    "'argmax' pointing into the padding",
    () => {
      // 'same' padding (padTop 1): output row 0's window starts above the input, so position 0 is outside.
      const a = withSizes('maxPool2dBackward', { padTop: 1, outH: 5 });
      const argmax = a[argIndex('maxPool2dBackward', 'argmax')] as Int32Array;
      argmax.fill(0);
      return a;
    },
    RangeError,
    'argmax',
  ]);
  return out;
}

describe.each(testBackends())('%s backend rejects bad input', (_name, b: Backend) => {
  test('the backend has exactly the ops of the table (and, natively, their async twins)', () => {
    const fns = Object.keys(b).filter((key) => typeof (b as unknown as Record<string, unknown>)[key] === 'function');
    const expected = [...OP_NAMES, ...(b.name === 'native' ? ASYNC_OP_NAMES : [])];
    expect(fns.filter((fn) => fn !== 'info' && fn !== 'setThreads').sort()).toEqual(expected.sort());
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
    const names: string[] = _label.includes('among') ? OP_TABLE[op as OpName].args.map((a) => a.name) : [argName];
    if (argName) expect(names.some((nm) => message.includes(`'${nm}'`))).toBe(true);
  });
  test('valid arguments from the table are accepted (the table tests what it claims)', () => {
    for (const op of OP_NAMES) {
      const fn = (b as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
      expect(() => fn.apply(b, valid(op))).not.toThrow();
    }
  });
});
