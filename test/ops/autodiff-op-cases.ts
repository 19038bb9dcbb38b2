/**
 * Agreement cases of the autodiff ops (bp.ops' kernels): every unary, binary and reduce code, select, batched
 * matMul, strided copies, gather / scatterAdd / oneHot, over the broadcasting patterns the coalescing treats
 * differently (same shapes, a scalar, outer products, middle axes, empty shapes, rank 0, runs longer than a block).
 */
import type { Backend } from '../../src/backend/ops';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES, Unary } from '../../src/backend/elementwise';
import { Rng } from '../../src/random';
import { asKind } from '../support/backends';
import type { OpCase } from './op-cases';

function values(seed: number, n: number, lo = -3, hi = 3): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi)));
}
const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
const i32 = (a: number[]) => Int32Array.from(a);

/** Unary parameters per code (clip's bounds, the scalar of the scalar ops). */
const PARAMS: Partial<Record<(typeof UNARY_CODES)[number], [number, number]>> = {
  clip: [-1, 1.5],
  addScalar: [0.75, 0],
  mulScalar: [-1.25, 0],
  rsubScalar: [2, 0],
  divScalar: [3, 0],
  rdivScalar: [1.5, 0],
  powScalar: [2.5, 0],
  maxScalar: [0.5, 0],
  minScalar: [-0.5, 0],
  fill: [0.625, 0],
  inRange: [-1, 1],
};

/** [outShape, aShape, bShape] patterns. */
const BROADCASTS: [number[], number[], number[]][] = [
  [
    [3, 5],
    [3, 5],
    [3, 5],
  ],
  [
    [3, 5],
    [3, 5],
    [1, 1],
  ],
  [
    [3, 5],
    [1, 1],
    [3, 5],
  ],
  [
    [3, 4],
    [3, 1],
    [1, 4],
  ],
  [
    [2, 3, 4],
    [2, 1, 4],
    [1, 3, 1],
  ],
  [
    [2, 3, 4],
    [1, 3, 1],
    [2, 3, 4],
  ],
  [
    [2, 1300],
    [2, 1300],
    [1, 1300],
  ],
  [
    [0, 3],
    [0, 3],
    [1, 3],
  ],
  [[], [], []],
];

export function autodiffOpCases(): OpCase[] {
  const cases: OpCase[] = [];
  UNARY_CODES.forEach((name, code) => {
    for (const n of [0, 1, 7, 2500]) {
      cases.push({
        name: `unary ${name} n=${n}`,
        compare: 'elementwise',
        run(b: Backend, kind, off) {
          const x = asKind(values(31, n, -4, 4), kind, off),
            y = asKind(new Array(n).fill(0), kind, off);
          b.unary(i32([code]), asKind(PARAMS[name] ?? [0, 0], kind), x, y, n, 1);
          return { outputs: { y } };
        },
      });
    }
  });
  cases.push({
    name: 'unary chain of 3 (square, addScalar, rsqrt) in place over 2500',
    compare: 'elementwise',
    run(b, kind, off) {
      const x = asKind(values(32, 2500), kind, off);
      b.unary(i32([Unary.square, Unary.addScalar, Unary.rsqrt]), asKind([0, 0, 0.5, 0, 0, 0], kind), x, x, 2500, 3);
      return { outputs: { x } };
    },
  });

  BINARY_CODES.forEach((name, code) => {
    BROADCASTS.forEach(([o, as, bs], p) => {
      cases.push({
        name: `binary ${name} [${o}] ← [${as}] ⊕ [${bs}]`,
        compare: 'elementwise',
        run(b, kind, off) {
          // Small integers in a and b make comparisons hit equality too.
          const a = asKind(p % 2 ? values(33, size(as)) : values(33, size(as)).map(Math.round), kind, off);
          const bb = asKind(values(34, size(bs), p % 2 ? 0.1 : 0.5, 3).map(p % 2 ? Number : Math.round), kind, off);
          const out = asKind(new Array(size(o)).fill(0), kind, off);
          b.binary(code, o.length, i32(o), i32(as), i32(bs), a, bb, out, new Int32Array(0), asKind([], kind), 0);
          return { outputs: { out } };
        },
      });
    });
  });
  for (const [o, as, bs] of [BROADCASTS[3], BROADCASTS[6]]) {
    cases.push({
      name: `binary add then post chain (tanh, mulScalar) [${o}] ← [${as}] + [${bs}]`,
      compare: 'elementwise',
      run(b, kind, off) {
        const a = asKind(values(35, size(as)), kind, off),
          bb = asKind(values(36, size(bs)), kind, off);
        const out = asKind(new Array(size(o)).fill(0), kind, off);
        const post = i32([Unary.tanh, Unary.mulScalar]);
        b.binary(0, o.length, i32(o), i32(as), i32(bs), a, bb, out, post, asKind([0, 0, 3, 0], kind), 2);
        return { outputs: { out } };
      },
    });
  }

  for (const [o, c, as, bs] of [
    [
      [3, 5],
      [3, 5],
      [3, 5],
      [3, 5],
    ],
    [
      [2, 3, 4],
      [2, 3, 1],
      [1, 3, 4],
      [2, 1, 4],
    ],
    [
      [1200, 2],
      [1200, 1],
      [1, 2],
      [1200, 2],
    ],
    [[], [], [], []],
  ]) {
    cases.push({
      name: `select [${o}] ← [${c}] ? [${as}] : [${bs}]`,
      compare: 'elementwise',
      run(b, kind, off) {
        const cond = asKind(
          values(37, size(c)).map((v) => (v > 0 ? 1 : 0)),
          kind,
          off,
        );
        const a = asKind(values(38, size(as)), kind, off),
          bb = asKind(values(39, size(bs)), kind, off);
        const out = asKind(new Array(size(o)).fill(0), kind, off);
        b.select(o.length, i32(o), i32(c), i32(as), i32(bs), cond, a, bb, out);
        return { outputs: { out } };
      },
    });
  }

  REDUCE_CODES.forEach((name, code) => {
    for (const [xs, ys] of [
      [
        [2, 3, 4],
        [2, 1, 4],
      ],
      [
        [2, 3, 4],
        [1, 1, 1],
      ],
      [
        [2, 3, 4],
        [2, 3, 1],
      ],
      [
        [2, 3, 4],
        [1, 3, 1],
      ],
      [
        [3, 1300],
        [1, 1300],
      ],
      [[7], [1]],
      [
        [0, 3],
        [1, 3],
      ],
      [
        [3, 0],
        [3, 1],
      ],
      [
        [3, 4],
        [3, 4],
      ],
    ]) {
      cases.push({
        name: `reduce ${name} [${xs}] → [${ys}]`,
        compare: 'elementwise',
        run(b, kind, off) {
          const x = asKind(values(40, size(xs)), kind, off),
            y = asKind(new Array(size(ys)).fill(0), kind, off);
          b.reduce(code, xs.length, i32(xs), i32(ys), x, y);
          return { outputs: { y } };
        },
      });
    }
  });

  for (const [ob, ab, bb] of [
    [[], [], []],
    [[3], [3], [3]],
    [[3], [3], [1]],
    [
      [2, 3],
      [2, 1],
      [1, 3],
    ],
    [[0], [0], [1]],
  ]) {
    for (const [m, n, k] of [
      [2, 3, 4],
      [5, 1, 7],
      [4, 6, 0],
    ]) {
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          cases.push({
            name: `matMul ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} [${ob}] ← [${ab}]·[${bb}] m=${m} n=${n} k=${k}`,
            compare: 'norm',
            run(be, kind, off) {
              const a = asKind(values(41, size(ab) * m * k), kind, off),
                b = asKind(values(42, size(bb) * k * n), kind, off);
              const c = asKind(new Array(size(ob) * m * n).fill(7), kind, off);
              be.matMul(ta, tb, ob.length, i32(ob), i32(ab), i32(bb), m, n, k, a, b, c);
              return { outputs: { c } };
            },
          });
        }
    }
  }

  for (const [label, shape, xs, xo, ys, yo, xLen, yLen] of [
    ['transpose [2,3,4] → [4,3,2]', [2, 3, 4], [12, 4, 1], 0, [1, 2, 6], 0, 24, 24],
    ['slice [1:3, 2:5] of [4,6]', [2, 3], [6, 1], 8, [3, 1], 0, 24, 6],
    ['tile [2,3] twice along axis 0 and 1', [2, 2, 2, 3], [0, 3, 0, 1], 0, [12, 6, 3, 1], 0, 6, 24],
    ['pad [2,3] into [4,5] at (1,1)', [2, 3], [3, 1], 0, [5, 1], 6, 6, 20],
    ['broadcast a column [3,1] to [3,1300]', [3, 1300], [1, 0], 0, [1300, 1], 0, 3, 3900],
    ['empty', [0, 4], [4, 1], 0, [4, 1], 0, 0, 0],
    ['rank 0', [], [], 2, [], 1, 3, 2],
  ] as [string, number[], number[], number, number[], number, number, number][]) {
    cases.push({
      name: `stridedCopy ${label}`,
      compare: 'elementwise',
      run(b, kind, off) {
        const x = asKind(values(43, xLen), kind, off),
          y = asKind(new Array(yLen).fill(-9), kind, off);
        b.stridedCopy(shape.length, i32(shape), i32(xs), xo, i32(ys), yo, x, y, xLen, yLen);
        return { outputs: { y } };
      },
    });
  }

  for (const [outer, n, inner, idx] of [
    [1, 5, 3, [4, 0, 0, 2]],
    [3, 4, 2, [1, 3]],
    [2, 3, 1, []],
    [0, 3, 2, [1]],
  ] as [number, number, number, number[]][]) {
    const count = idx.length;
    cases.push({
      name: `gather outer=${outer} n=${n} inner=${inner} [${idx}]`,
      compare: 'elementwise',
      run(b, kind, off) {
        const x = asKind(values(44, outer * n * inner), kind, off),
          y = asKind(new Array(outer * count * inner).fill(0), kind, off);
        b.gather(x, i32(idx), y, outer, n, inner, count);
        return { outputs: { y } };
      },
    });
    cases.push({
      name: `scatterAdd outer=${outer} n=${n} inner=${inner} [${idx}] (repeated indices add up)`,
      compare: 'elementwise',
      run(b, kind, off) {
        const dy = asKind(values(45, outer * count * inner), kind, off),
          dx = asKind(values(46, outer * n * inner), kind, off);
        b.scatterAdd(dy, i32(idx), dx, outer, n, inner, count);
        return { outputs: { dx } };
      },
    });
  }
  for (const [idx, depth] of [
    [[0, 3, 1, 3], 4],
    [[], 5],
    [[0], 1],
  ] as [number[], number][]) {
    cases.push({
      name: `oneHot [${idx}] depth ${depth}`,
      compare: 'elementwise',
      run(b, kind, off) {
        const y = asKind(new Array(idx.length * depth).fill(9), kind, off);
        b.oneHot(i32(idx), y, idx.length, depth, 0.75, -0.25);
        return { outputs: { y } };
      },
    });
  }
  return cases;
}
