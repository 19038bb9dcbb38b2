/**
 * The code tables of the autodiff kernels (`unary`, `binary`, `reduce`): one name per code, the code being the
 * index. native/elementwise.h lists the same names in the same order, each enum ending with its COUNT sentinel,
 * and the loader refuses an addon whose counts differ. Formulas: the doc comments of the Backend methods
 * (ops.ts). `p` and `q` are a unary step's two parameters.
 */

/** Unary codes: one step of `unary` or of `binary`'s post chain, y = f(x; p, q), computed in double. */
export const UNARY_CODES = [
  'copy', // x
  'neg', // −x
  'abs', // |x|
  'square', // x·x
  'sqrt', // √x
  'rsqrt', // 1/√x
  'exp', // eˣ
  'log', // ln x
  'log1p', // ln(1 + x)
  'relu', // x < 0 ? 0 : x (NaN stays NaN)
  'sigmoid', // 1/(1 + e⁻ˣ), as the sigmoid activation
  'tanh', // tanh x
  'gelu', // 0.5·x·erfc(−x/√2), as the gelu activation
  'softplus', // max(x, 0) + log1p(e^−|x|)
  'sign', // x > 0 ? 1 : x < 0 ? −1 : x (0 and NaN kept)
  'step', // x > 0 ? 1 : 0
  'reciprocal', // 1/x
  'clip', // NaN stays NaN, else min(max(x, p), q)
  'addScalar', // x + p
  'mulScalar', // x·p
  'rsubScalar', // p − x
  'divScalar', // x/p
  'rdivScalar', // p/x
  'powScalar', // xᵖ (JS Math.pow)
  'maxScalar', // NaN if either is NaN, else max(x, p)
  'minScalar', // NaN if either is NaN, else min(x, p)
  'fill', // p (x is not read)
  'inRange', // p ≤ x ≤ q ? 1 : 0
] as const;

/** Binary codes: out = f(a, b) with NumPy broadcasting, computed in double. Comparisons give 1 or 0. */
export const BINARY_CODES = [
  'add',
  'sub',
  'mul',
  'div',
  'pow', // aᵇ (JS Math.pow)
  'minimum', // NaN if either is NaN
  'maximum', // NaN if either is NaN
  'greater',
  'greaterEqual',
  'less',
  'lessEqual',
  'equal',
  'notEqual',
  // Vector-Jacobian products of unary ops (a = the upstream gradient, b = the op's output y or input x): one pass
  // instead of two, as TensorFlow's ReluGrad, SigmoidGrad, ... kernels.
  'reluGrad', // b > 0 ? a : 0 (b = y)
  'sigmoidGrad', // a·b·(1 − b) (b = y)
  'tanhGrad', // a·(1 − b²) (b = y)
  'geluGrad', // a·(Φ(b) + b·φ(b)) (b = x)
  'softplusGrad', // a·sigmoid(b) (b = x)
  'sqrtGrad', // a/(2b) (b = y)
  'rsqrtGrad', // −0.5·a·b³ (b = y)
] as const;

/** Reduction codes: over the axes where yShape has 1 and xShape has not (sums in double). */
export const REDUCE_CODES = [
  'sum',
  'mean', // sum/count (NaN over zero elements)
  'max', // NaN if any is NaN; −∞ over zero elements
  'min', // NaN if any is NaN; +∞ over zero elements
  'logSumExp', // m + ln Σ e^(x − m), m the max (−∞ over zero elements)
] as const;

export type UnaryName = (typeof UNARY_CODES)[number];
export type BinaryName = (typeof BINARY_CODES)[number];
export type ReduceName = (typeof REDUCE_CODES)[number];

function codes<N extends string>(names: readonly N[]): Readonly<Record<N, number>> {
  return Object.freeze(Object.fromEntries(names.map((n, i) => [n, i])) as Record<N, number>);
}
/** Codes by name. */
export const Unary = codes(UNARY_CODES);
export const Binary = codes(BINARY_CODES);
export const Reduce = codes(REDUCE_CODES);

/** The largest rank the autodiff kernels take (shapes are coalesced before a kernel runs; TF.js goes to 6). */
export const MAX_KERNEL_RANK = 8;
/** The most unary steps one `unary` call or one `binary` post chain runs. */
export const MAX_CHAIN = 16;
