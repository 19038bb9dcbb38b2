/**
 * The gradient table: each op's vector-Jacobian product, written with bp.ops, so one rule serves the eager tape
 * (computed at once on concrete tensors) and traced programs (recorded as backward nodes the planner schedules,
 * fuses and gives buffers like any other). A broadcast operand's gradient is summed back to its shape (sumTo).
 * Rules use the op's output where it suffices (relu, sigmoid, tanh, exp, sqrt, rsqrt, logSumExp): the op's input then
 * has no reader in the backward pass, and the planner can fuse the op into the one before it.
 *
 * Keys are op names: the codes of unary, binary and reduce (backend/elementwise.ts), else the primitive (prims.ts).
 * Every entry is checked against central differences in float64 on both backends (test/autodiff/gradcheck.test.ts).
 */
import type { Tensor } from './tensor';
import { registerGradRules, type GradContext, type GradRule } from './grad-registry';
import * as g from './grad-ops';
import * as ops from './ops';

const { sumTo } = g;

/** The gradient of each operand of a broadcasting binary op, summed to its shape. */
const binary =
  (da: (c: GradContext) => Tensor | null, db: (c: GradContext) => Tensor | null): GradRule =>
  (c) => {
    const [a, b] = c.inputs;
    const ga = da(c),
      gb = db(c);
    return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
  };
const none: GradRule = (c) => c.inputs.map(() => null);
const x0 = (c: GradContext) => c.inputs[0];
const p = (c: GradContext) => c.spec.attrs.p ?? 0;

/** reduce: dy and the output in the keepDims shape (so they broadcast against x). */
function kept(c: GradContext): { dy: Tensor; y: Tensor; count: number } {
  const x = x0(c);
  const axes = c.spec.attrs.axes!;
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((s, a) => s * x.shape[a], 1);
  return { dy: ops.reshape(c.dy, shape), y: ops.reshape(c.output, shape), count };
}

/** The matMul gradients (TensorFlow's table), summed over broadcast batch axes. */
function matMulGrad(c: GradContext): (Tensor | null)[] {
  const [a, b] = c.inputs;
  const { transposeA: ta, transposeB: tb } = c.spec.attrs;
  const dy = c.dy;
  let da: Tensor, db: Tensor;
  if (!ta && !tb) [da, db] = [ops.matMul(dy, b, false, true), ops.matMul(a, dy, true, false)];
  else if (!ta && tb) [da, db] = [ops.matMul(dy, b, false, false), ops.matMul(dy, a, true, false)];
  else if (ta && !tb) [da, db] = [ops.matMul(b, dy, false, true), ops.matMul(a, dy, false, false)];
  else [da, db] = [ops.matMul(b, dy, true, true), ops.matMul(dy, a, true, true)];
  return [sumTo(da, a.shape), sumTo(db, b.shape)];
}

/** gelu″(x) = φ(x)·(2 − x²), φ the standard normal density. */
const geluSecond = (x: Tensor) =>
  ops.mul(ops.mul(ops.exp(ops.mul(ops.square(x), -0.5)), 0.3989422804014327), ops.sub(2, ops.square(x)));

const TABLE: Record<string, GradRule> = {
  // ---- unary (x = input, y = output) ----
  copy: (c) => [c.dy],
  neg: (c) => [ops.neg(c.dy)],
  abs: (c) => [ops.mul(c.dy, ops.sign(x0(c)))],
  square: (c) => [ops.mul(ops.mul(c.dy, x0(c)), 2)],
  sqrt: (c) => [g.sqrtGrad(c.dy, c.output)],
  rsqrt: (c) => [g.rsqrtGrad(c.dy, c.output)],
  exp: (c) => [ops.mul(c.dy, c.output)],
  log: (c) => [ops.div(c.dy, x0(c))],
  log1p: (c) => [ops.div(c.dy, ops.add(x0(c), 1))],
  relu: (c) => [g.reluGrad(c.dy, c.output)],
  sigmoid: (c) => [g.sigmoidGrad(c.dy, c.output)],
  tanh: (c) => [g.tanhGrad(c.dy, c.output)],
  gelu: (c) => [g.geluGrad(c.dy, x0(c))],
  softplus: (c) => [g.softplusGrad(c.dy, x0(c))],
  sign: none,
  step: none,
  reciprocal: (c) => [ops.neg(ops.mul(c.dy, ops.square(c.output)))],
  clip: (c) => [ops.mul(c.dy, g.inRange(x0(c), p(c), c.spec.attrs.q ?? 0))],
  addScalar: (c) => [c.dy],
  mulScalar: (c) => [ops.mul(c.dy, p(c))],
  rsubScalar: (c) => [ops.neg(c.dy)],
  divScalar: (c) => [ops.div(c.dy, p(c))],
  rdivScalar: (c) => [ops.neg(ops.div(ops.mul(c.dy, c.output), x0(c)))],
  powScalar: (c) => [ops.mul(ops.mul(c.dy, p(c)), ops.pow(x0(c), p(c) - 1))],
  maxScalar: (c) => [ops.mul(c.dy, ops.greaterEqual(x0(c), p(c)))],
  minScalar: (c) => [ops.mul(c.dy, ops.lessEqual(x0(c), p(c)))],
  fill: none,
  inRange: none,

  // ---- binary (a, b; y = output) ----
  add: binary(
    (c) => c.dy,
    (c) => c.dy,
  ),
  sub: binary(
    (c) => c.dy,
    (c) => ops.neg(c.dy),
  ),
  mul: binary(
    (c) => ops.mul(c.dy, c.inputs[1]),
    (c) => ops.mul(c.dy, c.inputs[0]),
  ),
  div: binary(
    (c) => ops.div(c.dy, c.inputs[1]),
    (c) => ops.neg(ops.div(ops.mul(c.dy, c.output), c.inputs[1])),
  ),
  pow: binary(
    (c) => ops.mul(c.dy, ops.mul(c.inputs[1], ops.pow(c.inputs[0], ops.sub(c.inputs[1], 1)))),
    // d/db aᵇ = aᵇ·ln a, taken as 0 where a ≤ 0 (TF.js)
    (c) => {
      const a = c.inputs[0];
      return ops.mul(c.dy, ops.where(ops.greater(a, 0), ops.mul(c.output, ops.log(a)), 0));
    },
  ),
  minimum: binary(
    (c) => ops.mul(c.dy, ops.lessEqual(c.inputs[0], c.inputs[1])),
    (c) => ops.mul(c.dy, ops.greater(c.inputs[0], c.inputs[1])),
  ),
  maximum: binary(
    (c) => ops.mul(c.dy, ops.greaterEqual(c.inputs[0], c.inputs[1])),
    (c) => ops.mul(c.dy, ops.less(c.inputs[0], c.inputs[1])),
  ),
  greater: none,
  greaterEqual: none,
  less: none,
  lessEqual: none,
  equal: none,
  notEqual: none,
  // the one-pass VJPs, differentiated again (gradients of gradients): a is the upstream gradient, b the saved value
  reluGrad: binary(
    (c) => g.reluGrad(c.dy, c.inputs[1]),
    () => null,
  ),
  sigmoidGrad: binary(
    (c) => g.sigmoidGrad(c.dy, c.inputs[1]),
    (c) => ops.mul(ops.mul(c.dy, c.inputs[0]), ops.sub(1, ops.mul(c.inputs[1], 2))),
  ),
  tanhGrad: binary(
    (c) => g.tanhGrad(c.dy, c.inputs[1]),
    (c) => ops.mul(ops.mul(c.dy, c.inputs[0]), ops.mul(c.inputs[1], -2)),
  ),
  geluGrad: binary(
    (c) => g.geluGrad(c.dy, c.inputs[1]),
    (c) => ops.mul(ops.mul(c.dy, c.inputs[0]), geluSecond(c.inputs[1])),
  ),
  softplusGrad: binary(
    (c) => g.softplusGrad(c.dy, c.inputs[1]),
    (c) => g.sigmoidGrad(ops.mul(c.dy, c.inputs[0]), ops.sigmoid(c.inputs[1])),
  ),
  sqrtGrad: binary(
    (c) => g.sqrtGrad(c.dy, c.inputs[1]),
    (c) => ops.neg(ops.div(ops.mul(c.dy, c.inputs[0]), ops.mul(ops.square(c.inputs[1]), 2))),
  ),
  rsqrtGrad: binary(
    (c) => g.rsqrtGrad(c.dy, c.inputs[1]),
    (c) => ops.mul(ops.mul(ops.mul(c.dy, c.inputs[0]), ops.square(c.inputs[1])), -1.5),
  ),

  // ---- select, reductions, matMul ----
  select: (c) => {
    const [cond, a, b] = c.inputs;
    return [null, sumTo(ops.where(cond, c.dy, 0), a.shape), sumTo(ops.where(cond, 0, c.dy), b.shape)];
  },
  sum: (c) => [ops.broadcastTo(kept(c).dy, [...x0(c).shape])],
  mean: (c) => {
    const k = kept(c);
    return [ops.broadcastTo(ops.div(k.dy, k.count), [...x0(c).shape])];
  },
  max: (c) => {
    const k = kept(c);
    return [ops.mul(ops.equal(x0(c), k.y), k.dy)];
  },
  min: (c) => {
    const k = kept(c);
    return [ops.mul(ops.equal(x0(c), k.y), k.dy)];
  },
  logSumExp: (c) => {
    const k = kept(c);
    return [ops.mul(ops.exp(ops.sub(x0(c), k.y)), k.dy)];
  },
  matMul: matMulGrad,

  // ---- data movement ----
  reshape: (c) => [ops.reshape(c.dy, [...x0(c).shape])],
  stopGradient: none,
  transpose: (c) => {
    const perm = c.spec.attrs.perm!;
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [ops.transpose(c.dy, inverse)];
  },
  slice: (c) => {
    const x = x0(c);
    const begin = c.spec.attrs.begin!;
    return [
      ops.pad(
        c.dy,
        begin.map((b, i) => [b, x.shape[i] - b - c.output.shape[i]]),
      ),
    ];
  },
  pad: (c) => [ops.slice(c.dy, c.spec.attrs.begin!, [...x0(c).shape])],
  tile: (c) => {
    // dy seen with each tiled axis split into [reps, size]: the gradient sums over the reps axes.
    const x = x0(c);
    const reps = c.spec.attrs.reps!;
    const split: number[] = [];
    const repAxes: number[] = [];
    x.shape.forEach((s, i) => {
      if (reps[i] !== 1) {
        repAxes.push(split.length);
        split.push(reps[i]);
      }
      split.push(s);
    });
    return [ops.reshape(ops.sum(ops.reshape(c.dy, split), repAxes), [...x.shape])];
  },
  broadcastTo: (c) => [sumTo(c.dy, x0(c).shape)],
  concat: (c) => {
    const axis = c.spec.attrs.axis!;
    return ops.split(
      c.dy,
      c.inputs.map((t) => t.shape[axis]),
      axis,
    );
  },
  gather: (c) => {
    const { axis, indices } = c.spec.attrs;
    const idx = indices ?? c.inputs[1];
    const dx = g.scatterAdd(c.dy, idx, axis!, x0(c).shape);
    return indices ? [dx] : [dx, null];
  },
  scatterAdd: (c) => {
    const { axis, indices } = c.spec.attrs;
    const d = ops.gather(c.dy, indices ?? c.inputs[1], axis);
    return indices ? [d] : [d, null];
  },
  oneHot: none,
};

registerGradRules(TABLE);

/** The ops the table has a rule for (tests check every op is covered). */
export const GRAD_RULE_NAMES: readonly string[] = Object.freeze(Object.keys(TABLE));
