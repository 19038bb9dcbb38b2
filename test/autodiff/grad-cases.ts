/**
 * The gradient-check table: for every rule of the gradient table (src/autodiff/grad-table.ts), cases of a function of
 * tensors that reaches it, over the broadcasting patterns its operands can take, with inputs drawn from the op's
 * domain (away from kinks: relu, abs and clip at their corners, ties of max and minimum). Shared by the eager
 * gradcheck (central differences) and the traced-program tests (program gradients against eager ones).
 */
import { Unary } from '../../src/backend/elementwise';
import { apply } from '../../src/autodiff/dispatch';
import * as g from '../../src/autodiff/grad-ops';
import { ops } from '../../src/autodiff';
import type { Tensor } from '../../src/autodiff';
import { Rng } from '../../src/random';

export interface GradCase {
  /** The grad-table rules the case exercises (coverage is checked against the table). */
  rules: string[];
  name: string;
  /** Input shapes and the interval their values are drawn from (`ints`: integers in [0, ints): indices). */
  inputs: { shape: number[]; lo?: number; hi?: number; ints?: number }[];
  f: (...xs: Tensor[]) => Tensor;
  /** Integer-valued inputs (indices); their gradient is not checked. */
  constant?: number[];
  /** Tolerance of the relative error when not the default. */
  tol?: number;
  /** The gradients of Σ f·r when central differences cannot give them (stopGradient). */
  expected?: (r: Tensor, ...xs: Tensor[]) => Tensor[];
}

/** Values of a shape from [lo, hi), kept at least 0.1 from 0 when the interval contains it (kinks sit there). */
export function draw(rng: Rng, shape: number[], lo = -2, hi = 2, ints?: number): number[] {
  const n = shape.reduce((p, d) => p * d, 1);
  if (ints) return Array.from({ length: n }, () => rng.int(ints));
  return Array.from({ length: n }, () => {
    let v = rng.uniform(lo, hi);
    if (lo < 0 && hi > 0 && Math.abs(v) < 0.1) v += v < 0 ? -0.1 : 0.1;
    return v;
  });
}

const unaryCode =
  (code: number, p = 0, q = 0) =>
  (x: Tensor) =>
    apply('test', { prim: 'unary', attrs: { code, p, q }, inputShapes: [x.shape], shape: x.shape, dtype: x.dtype }, [
      x,
    ]);

/** Broadcasting patterns of two operands: [a shape, b shape]. */
const PATTERNS: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [[3], [2, 3]],
  [
    [2, 1],
    [1, 3],
  ],
  [
    [2, 3, 2],
    [3, 1],
  ],
  [[2, 3], []],
  [[], [2, 3]],
];

const POS = { lo: 0.5, hi: 2 };

export function gradCases(): GradCase[] {
  const cases: GradCase[] = [];
  const unary: [string, (x: Tensor) => Tensor, { lo?: number; hi?: number }?][] = [
    ['neg', ops.neg],
    ['abs', ops.abs],
    ['square', ops.square],
    ['sqrt', ops.sqrt, POS],
    ['rsqrt', ops.rsqrt, POS],
    ['exp', ops.exp],
    ['log', ops.log, POS],
    ['log1p', ops.log1p, { lo: -0.5, hi: 2 }],
    ['relu', ops.relu],
    ['sigmoid', ops.sigmoid],
    ['tanh', ops.tanh],
    ['gelu', ops.gelu],
    ['softplus', ops.softplus],
    ['sign', ops.sign],
    ['step', ops.step],
    ['reciprocal', ops.reciprocal, POS],
    ['clip', (x) => ops.clipByValue(x, -1, 1)],
    ['addScalar', (x) => ops.add(x, 1.5)],
    ['addScalar', (x) => ops.sub(x, 1.5)],
    ['mulScalar', (x) => ops.mul(-2.5, x)],
    ['rsubScalar', (x) => ops.sub(3, x)],
    ['divScalar', (x) => ops.div(x, 4)],
    ['rdivScalar', (x) => ops.div(3, x), POS],
    ['powScalar', (x) => ops.pow(x, 2.5), POS],
    ['powScalar', (x) => ops.pow(x, 3)],
    ['maxScalar', (x) => ops.maximum(x, 0.3)],
    ['minScalar', (x) => ops.minimum(0.3, x)],
    ['fill', ops.onesLike],
    ['copy', unaryCode(Unary.copy)],
    ['inRange', unaryCode(Unary.inRange, -1, 1)],
  ];
  // gelu's forward uses an erfc approximation (relative error < 1.2e-7, as the gelu activation); its gradient is the
  // exact derivative, so the two agree to ~1e-4 rather than to the differences' own accuracy.
  const GELU_TOL = 2e-4;
  for (const [rule, f, range] of unary) {
    for (const shape of [[2, 3], []]) {
      const tol = rule === 'gelu' ? GELU_TOL : undefined;
      cases.push({ rules: [rule], name: `${rule} [${shape}]`, inputs: [{ shape, ...range }], f, tol });
    }
  }

  const binary: [string, (a: Tensor, b: Tensor) => Tensor, { lo?: number; hi?: number }?][] = [
    ['add', ops.add],
    ['sub', ops.sub],
    ['mul', ops.mul],
    ['div', ops.div, POS],
    ['pow', ops.pow, POS],
    ['minimum', ops.minimum],
    ['maximum', ops.maximum],
    ['greater', ops.greater],
    ['greaterEqual', ops.greaterEqual],
    ['less', ops.less],
    ['lessEqual', ops.lessEqual],
    ['equal', ops.equal],
    ['notEqual', ops.notEqual],
    ['reluGrad', g.reluGrad],
    ['sigmoidGrad', g.sigmoidGrad],
    ['tanhGrad', g.tanhGrad],
    ['geluGrad', g.geluGrad],
    ['softplusGrad', g.softplusGrad],
    ['sqrtGrad', g.sqrtGrad, POS],
    ['rsqrtGrad', g.rsqrtGrad, POS],
  ];
  for (const [rule, f, range] of binary) {
    for (const [as, bs] of PATTERNS) {
      cases.push({
        rules: [rule],
        name: `${rule} [${as}] ⊕ [${bs}]`,
        inputs: [
          { shape: as, ...range },
          { shape: bs, ...range },
        ],
        f,
        tol: rule === 'geluGrad' ? GELU_TOL : undefined,
      });
    }
  }
  for (const [cs, as, bs] of [
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    [[2, 1], [3], [2, 3]],
    [[2, 3], [], [1, 3]],
  ]) {
    cases.push({
      rules: ['select'],
      name: `where [${cs}] ? [${as}] : [${bs}]`,
      inputs: [{ shape: cs }, { shape: as }, { shape: bs }],
      f: (c, a, b) => ops.where(ops.greater(c, 0), a, b),
    });
  }

  const reductions: [string, (x: Tensor, axis?: number | number[], keep?: boolean) => Tensor][] = [
    ['sum', ops.sum],
    ['mean', ops.mean],
    ['max', ops.max],
    ['min', ops.min],
    ['logSumExp', ops.logSumExp],
  ];
  for (const [rule, f] of reductions) {
    for (const [axis, keep] of [
      [undefined, false],
      [0, false],
      [-1, true],
      [[0, 2], false],
      [1, true],
    ] as [number | number[] | undefined, boolean][]) {
      cases.push({
        rules: [rule, 'reshape'],
        name: `${rule} axis ${JSON.stringify(axis)} keepDims ${keep} of [2,3,2]`,
        inputs: [{ shape: [2, 3, 2] }],
        f: (x) => f(x, axis, keep),
      });
    }
  }
  cases.push({
    rules: ['logSumExp', 'sub', 'exp'],
    name: 'softmax axis -1',
    inputs: [{ shape: [2, 4] }],
    f: (x) => ops.softmax(x),
  });
  cases.push({
    rules: ['logSumExp', 'sub'],
    name: 'logSoftmax axis 0',
    inputs: [{ shape: [3, 2] }],
    f: (x) => ops.logSoftmax(x, 0),
  });

  for (const [as, bs, ta, tb] of [
    [[2, 3], [3, 4], false, false],
    [[3, 2], [3, 4], true, false],
    [[2, 3], [4, 3], false, true],
    [[3, 2], [4, 3], true, true],
    [[2, 2, 3], [2, 3, 4], false, false],
    [[2, 2, 3], [3, 4], false, false],
    [[2, 3, 2], [3, 4], true, false],
    [[1, 2, 3], [2, 3, 4], false, false],
    [[2, 3], [2, 3, 4], false, false],
  ] as [number[], number[], boolean, boolean][]) {
    cases.push({
      rules: ['matMul'],
      name: `matMul [${as}]${ta ? 'ᵀ' : ''} · [${bs}]${tb ? 'ᵀ' : ''}`,
      inputs: [{ shape: as }, { shape: bs }],
      f: (a, b) => ops.matMul(a, b, ta, tb),
    });
  }

  cases.push({
    rules: ['reshape'],
    name: 'reshape [2,3] → [3,-1]',
    inputs: [{ shape: [2, 3] }],
    f: (x) => ops.reshape(x, [3, -1]),
  });
  cases.push({
    rules: ['reshape'],
    name: 'expandDims, squeeze',
    inputs: [{ shape: [2, 1, 3] }],
    f: (x) => ops.expandDims(ops.squeeze(x), -1),
  });
  cases.push({
    rules: ['stopGradient', 'mul'],
    name: 'stopGradient: d/dx Σ x·sg(x)·r = x·r',
    inputs: [{ shape: [3] }],
    f: (x) => ops.mul(x, ops.stopGradient(x)),
    expected: (r, x) => [ops.mul(x, r)],
  });

  cases.push({
    rules: ['transpose'],
    name: 'transpose [2,3,4] perm [2,0,1]',
    inputs: [{ shape: [2, 3, 4] }],
    f: (x) => ops.transpose(x, [2, 0, 1]),
  });
  cases.push({
    rules: ['slice'],
    name: 'slice [3,4] at [1,1] size [2,-1]',
    inputs: [{ shape: [3, 4] }],
    f: (x) => ops.slice(x, [1, 1], [2, -1]),
  });
  cases.push({
    rules: ['pad'],
    name: 'pad [2,2] by [[1,0],[2,1]]',
    inputs: [{ shape: [2, 2] }],
    f: (x) =>
      ops.pad(
        x,
        [
          [1, 0],
          [2, 1],
        ],
        0.5,
      ),
  });
  cases.push({
    rules: ['tile'],
    name: 'tile [2,3] by [2,1]',
    inputs: [{ shape: [2, 3] }],
    f: (x) => ops.tile(x, [2, 1]),
  });
  cases.push({
    rules: ['tile'],
    name: 'tile [1,2,2] by [3,1,2]',
    inputs: [{ shape: [1, 2, 2] }],
    f: (x) => ops.tile(x, [3, 1, 2]),
  });
  cases.push({
    rules: ['broadcastTo'],
    name: 'broadcastTo [3,1] → [2,3,4]',
    inputs: [{ shape: [3, 1] }],
    f: (x) => ops.broadcastTo(x, [2, 3, 4]),
  });
  cases.push({
    rules: ['concat'],
    name: 'concat axis 1',
    inputs: [{ shape: [2, 1] }, { shape: [2, 3] }, { shape: [2, 2] }],
    f: (a, b, c) => ops.concat([a, b, c], 1),
  });
  cases.push({
    rules: ['concat', 'reshape'],
    name: 'stack axis 1',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
    f: (a, b) => ops.stack([a, b], 1),
  });
  cases.push({
    rules: ['slice'],
    name: 'split [2,6] into [1,-1,2] on axis 1',
    inputs: [{ shape: [2, 6] }],
    f: (x) => {
      const [a, b, c] = ops.split(x, [1, -1, 2], 1);
      return ops.concat([ops.mul(a, 2), b, ops.mul(c, 3)], 1);
    },
  });
  cases.push({
    rules: ['gather'],
    name: 'gather rows [2,0,2] of [3,2]',
    inputs: [{ shape: [3, 2] }],
    f: (x) => ops.gather(x, [2, 0, 2]),
  });
  cases.push({
    rules: ['gather'],
    name: 'gather axis 1 by indices [[1,0],[1,1]] of [2,3,2]',
    inputs: [{ shape: [2, 3, 2] }],
    f: (x) =>
      ops.gather(
        x,
        [
          [1, 0],
          [1, 1],
        ],
        1,
      ),
  });
  cases.push({
    rules: ['gather'],
    name: 'gather by an index tensor',
    inputs: [{ shape: [4, 2] }, { shape: [3], ints: 4 }],
    constant: [1],
    f: (x, i) => ops.gather(x, i),
  });
  cases.push({
    rules: ['scatterAdd'],
    name: 'scatterAdd (gather gradient) along axis 1',
    inputs: [{ shape: [2, 3] }],
    f: (dy) => g.scatterAdd(dy, Int32Array.from([0, 2, 0]), 1, [2, 4]),
  });
  cases.push({
    rules: ['oneHot', 'mul'],
    name: 'oneHot times x',
    inputs: [{ shape: [2, 3] }],
    f: (x) => ops.mul(x, ops.oneHot([2, 0], 3, 1, 0, x.dtype)),
  });
  return cases;
}
