// The elementwise autodiff kernels' arithmetic (float32): one unary step over a run (`unary`, and `binary`'s post
// chain) and one binary op over a run with operand strides 0 or 1. Codes: the same names in the same order as
// src/backend/elementwise.ts (the loader refuses a module whose counts differ); formulas: src/backend/ops.ts.
//
// As the JS reference (and native/elementwise.h), every value is what the formula gives in double, rounded once on
// store. The ops that are one IEEE operation on floats (+ − · / √, comparisons, min/max, selects) run four lanes
// at a time in float32: a float32 operation is the double one rounded once (double has more than 2·24 + 2 bits),
// so those lanes give the reference's bits. The rest (exp, log, pow, the gradients of several steps) run in double.
#pragma once
#include "activations.h"
#include "base.h"
#include "math.h"

namespace bp {

enum UnaryCode {
  U_COPY = 0, U_NEG, U_ABS, U_SQUARE, U_SQRT, U_RSQRT, U_EXP, U_LOG, U_LOG1P, U_RELU, U_SIGMOID, U_TANH, U_GELU,
  U_SOFTPLUS, U_SIGN, U_STEP, U_RECIPROCAL, U_CLIP, U_ADD_SCALAR, U_MUL_SCALAR, U_RSUB_SCALAR, U_DIV_SCALAR,
  U_RDIV_SCALAR, U_POW_SCALAR, U_MAX_SCALAR, U_MIN_SCALAR, U_FILL, U_IN_RANGE, UNARY_COUNT
};
enum BinaryCode {
  B_ADD = 0, B_SUB, B_MUL, B_DIV, B_POW, B_MINIMUM, B_MAXIMUM, B_GREATER, B_GREATER_EQUAL, B_LESS, B_LESS_EQUAL,
  B_EQUAL, B_NOT_EQUAL, B_RELU_GRAD, B_SIGMOID_GRAD, B_TANH_GRAD, B_GELU_GRAD, B_SOFTPLUS_GRAD, B_SQRT_GRAD,
  B_RSQRT_GRAD, BINARY_COUNT
};
enum ReduceCode { R_SUM = 0, R_MEAN, R_MAX, R_MIN, R_LOG_SUM_EXP, REDUCE_COUNT };

constexpr int kMaxKernelRank = 8;
// Output values per run: a post chain runs over a run while it is in cache.
constexpr size_t kBlock = 1024;

namespace m {
BP_INLINE bool isInteger(double y) { return floor(y) == y; }
// Odd integer (|y| < 2^53; larger doubles are all even).
BP_INLINE bool isOdd(double y) { return isInteger(y) && fabs(y) < 9007199254740992.0 && floor(y * 0.5) * 2.0 != y; }

// x^y with JavaScript's Math.pow special cases (pow(1, NaN) and pow(±1, ±∞) are NaN there, unlike C's).
inline double pow(double x, double y) {
  if (isnan(y)) return kNaN;
  if (y == 0) return 1.0;
  if (isnan(x)) return kNaN;
  const double ax = fabs(x);
  if (fabs(y) == kInf) {
    if (ax == 1.0) return kNaN;
    return (ax > 1.0) == (y > 0) ? kInf : 0.0;
  }
  if (x == 0 || ax == kInf) {
    // ±0 and ±∞: magnitude 0 or ∞; negative only for a negative base and an odd integer exponent.
    const bool big = (x == 0) == (y < 0);
    const double r = big ? kInf : 0.0;
    return __builtin_signbit(x) && isOdd(y) ? -r : r;
  }
  if (x < 0 && !isInteger(y)) return kNaN;
  // e^(y·ln|x|): the exponent's rounding (~|y·ln x|·2^-53) is far below a float's ulp for any result a float holds.
  const double r = ax == 1.0 ? 1.0 : exp(y * log(ax));
  return x < 0 && isOdd(y) ? -r : r;
}
}  // namespace m

inline double unaryValue(int code, double x, double p, double q) {
  switch (code) {
    case U_COPY: return x;
    case U_NEG: return -x;
    case U_ABS: return m::fabs(x);
    case U_SQUARE: return x * x;
    case U_SQRT: return m::sqrt(x);
    case U_RSQRT: return 1.0 / m::sqrt(x);
    case U_EXP: return m::exp(x);
    case U_LOG: return m::log(x);
    case U_LOG1P: return m::log1p(x);
    case U_RELU: return x < 0 ? 0.0 : x;
    case U_SIGMOID: return sigmoid(x);
    case U_TANH: return m::tanh(x);
    case U_GELU: return 0.5 * x * erfcApprox(-x * kInvSqrt2);
    case U_SOFTPLUS: return (x > 0 ? x : 0.0) + m::log1p(m::exp(-m::fabs(x)));
    case U_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : x;
    case U_STEP: return x > 0 ? 1.0 : 0.0;
    case U_RECIPROCAL: return 1.0 / x;
    case U_CLIP: return m::isnan(x) ? x : x < p ? p : x > q ? q : x;
    case U_ADD_SCALAR: return x + p;
    case U_MUL_SCALAR: return x * p;
    case U_RSUB_SCALAR: return p - x;
    case U_DIV_SCALAR: return x / p;
    case U_RDIV_SCALAR: return p / x;
    case U_POW_SCALAR: return m::pow(x, p);
    case U_MAX_SCALAR: return m::isnan(x) || m::isnan(p) ? m::kNaN : x > p ? x : p;
    case U_MIN_SCALAR: return m::isnan(x) || m::isnan(p) ? m::kNaN : x < p ? x : p;
    case U_FILL: return p;
    case U_IN_RANGE: return x >= p && x <= q ? 1.0 : 0.0;
    default: return m::kNaN;
  }
}

inline double binaryValue(int code, double a, double b) {
  switch (code) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return m::pow(a, b);
    case B_MINIMUM: return m::isnan(a) || m::isnan(b) ? m::kNaN : a < b ? a : b;
    case B_MAXIMUM: return m::isnan(a) || m::isnan(b) ? m::kNaN : a > b ? a : b;
    case B_GREATER: return a > b ? 1.0 : 0.0;
    case B_GREATER_EQUAL: return a >= b ? 1.0 : 0.0;
    case B_LESS: return a < b ? 1.0 : 0.0;
    case B_LESS_EQUAL: return a <= b ? 1.0 : 0.0;
    case B_EQUAL: return a == b ? 1.0 : 0.0;
    case B_NOT_EQUAL: return a != b ? 1.0 : 0.0;
    case B_RELU_GRAD: return b > 0 ? a : 0.0;
    case B_SIGMOID_GRAD: return b * (1.0 - b) * a;
    case B_TANH_GRAD: return (1.0 - b * b) * a;
    case B_GELU_GRAD: return derivative(GELU, 0.0, b, 0.0) * a;
    case B_SOFTPLUS_GRAD: return sigmoid(b) * a;
    case B_SQRT_GRAD: return a / (2.0 * b);
    case B_RSQRT_GRAD: return -0.5 * a * (b * b * b);
    default: return m::kNaN;
  }
}

// ---- four lanes at a time ----------------------------------------------------------------------------------

BP_INLINE f4 ones4() { return splat4(1.0f); }
BP_INLINE f4 select4(i4 mask, f4 yes, f4 no) { return (f4)wasm_v128_bitselect((v128_t)yes, (v128_t)no, (v128_t)mask); }
// 1 where the mask is set, else 0.
BP_INLINE f4 flag4(i4 mask) { return (f4)(mask & (i4)ones4()); }
BP_INLINE i4 isNan4(f4 v) { return v != v; }
BP_INLINE f4 nan4() { return splat4(__builtin_nanf("")); }

// y[i] = v(x[i]) for i < n, the tail through the same lanes (so every element gets the vector's arithmetic).
template <typename V>
BP_INLINE void map4(const float* x, float* y, size_t n, const V& v) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) store4(y + i, v(load4(x + i)));
  if (i < n) {
    f4 t{};
    for (size_t j = 0; i + j < n; j++) t[j] = x[i + j];
    const f4 r = v(t);
    for (size_t j = 0; i + j < n; j++) y[i + j] = r[j];
  }
}

// out[i] = v(a[i·sa], b[i·sb]) for i < n, strides 0 or 1 (a stride 0 operand is one value, splat).
template <typename V>
BP_INLINE void zip4(const float* a, size_t sa, const float* b, size_t sb, float* out, size_t n, const V& v) {
  const f4 as = splat4(a[0]), bs = splat4(b[0]);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) store4(out + i, v(sa ? load4(a + i) : as, sb ? load4(b + i) : bs));
  if (i < n) {
    f4 ta = as, tb = bs;
    for (size_t j = 0; i + j < n; j++) {
      if (sa) ta[j] = a[i + j];
      if (sb) tb[j] = b[i + j];
    }
    const f4 r = v(ta, tb);
    for (size_t j = 0; i + j < n; j++) out[i + j] = r[j];
  }
}

// y[i] = f(x[i]) for i < n (one step of a chain); x and y may be the same run (in place), never otherwise overlap.
inline void unaryRange(int code, double pd, double qd, const float* x, float* y, size_t n) {
  const float pf = static_cast<float>(pd), qf = static_cast<float>(qd);
  const f4 p = splat4(pf), q = splat4(qf);
  switch (code) {
    case U_COPY: copy(y, x, n); return;
    case U_NEG: map4(x, y, n, [](f4 v) { return -v; }); return;
    case U_ABS: map4(x, y, n, [](f4 v) { return (f4)wasm_f32x4_abs((v128_t)v); }); return;
    case U_SQUARE: map4(x, y, n, [](f4 v) { return v * v; }); return;
    case U_SQRT: map4(x, y, n, [](f4 v) { return (f4)wasm_f32x4_sqrt((v128_t)v); }); return;
    case U_RELU: map4(x, y, n, [](f4 v) { return relu4(v); }); return;
    case U_STEP: map4(x, y, n, [](f4 v) { return flag4(v > f4{}); }); return;
    case U_RECIPROCAL: map4(x, y, n, [](f4 v) { return ones4() / v; }); return;
    // The scalar ops take their parameter from the call's float32 params: p is a float, and x ∘ p one float op.
    case U_ADD_SCALAR: map4(x, y, n, [&](f4 v) { return v + p; }); return;
    case U_MUL_SCALAR: map4(x, y, n, [&](f4 v) { return v * p; }); return;
    case U_RSUB_SCALAR: map4(x, y, n, [&](f4 v) { return p - v; }); return;
    case U_DIV_SCALAR: map4(x, y, n, [&](f4 v) { return v / p; }); return;
    case U_RDIV_SCALAR: map4(x, y, n, [&](f4 v) { return p / v; }); return;
    case U_CLIP:
      // x < p ? p : x > q ? q : x (NaN fails both tests and stays).
      map4(x, y, n, [&](f4 v) { return select4(v < p, p, select4(v > q, q, v)); });
      return;
    case U_MAX_SCALAR:
      map4(x, y, n, [&](f4 v) { return select4(isNan4(v) | isNan4(p), nan4(), select4(v > p, v, p)); });
      return;
    case U_MIN_SCALAR:
      map4(x, y, n, [&](f4 v) { return select4(isNan4(v) | isNan4(p), nan4(), select4(v < p, v, p)); });
      return;
    case U_IN_RANGE: map4(x, y, n, [&](f4 v) { return flag4((v >= p) & (v <= q)); }); return;
    case U_FILL: fill(y, n, pf); return;
    default:
      for (size_t i = 0; i < n; i++) y[i] = static_cast<float>(unaryValue(code, static_cast<double>(x[i]), pd, qd));
  }
}

// out[i] = f(a[i·sa], b[i·sb]) for i < n, operand strides 0 or 1; out may be a or b exactly (in place).
inline void binaryRun(int code, const float* a, size_t sa, const float* b, size_t sb, float* out, size_t n) {
  switch (code) {
    case B_ADD: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return x + y; }); return;
    case B_SUB: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return x - y; }); return;
    case B_MUL: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return x * y; }); return;
    case B_DIV: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return x / y; }); return;
    case B_MINIMUM:
      zip4(a, sa, b, sb, out, n,
           [](f4 x, f4 y) { return select4(isNan4(x) | isNan4(y), nan4(), select4(x < y, x, y)); });
      return;
    case B_MAXIMUM:
      zip4(a, sa, b, sb, out, n,
           [](f4 x, f4 y) { return select4(isNan4(x) | isNan4(y), nan4(), select4(x > y, x, y)); });
      return;
    case B_GREATER: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return flag4(x > y); }); return;
    case B_GREATER_EQUAL: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return flag4(x >= y); }); return;
    case B_LESS: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return flag4(x < y); }); return;
    case B_LESS_EQUAL: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return flag4(x <= y); }); return;
    case B_EQUAL: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return flag4(x == y); }); return;
    case B_NOT_EQUAL: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return flag4(x != y); }); return;
    // b > 0 ? a : 0 (NaN b gives 0).
    case B_RELU_GRAD: zip4(a, sa, b, sb, out, n, [](f4 x, f4 y) { return (f4)((i4)x & (y > f4{})); }); return;
    default:
      for (size_t i = 0; i < n; i++) {
        out[i] = static_cast<float>(binaryValue(code, static_cast<double>(a[i * sa]), static_cast<double>(b[i * sb])));
      }
  }
}

// ---- broadcasting ------------------------------------------------------------------------------------------

// A coalesced walk over an output shape for up to three operands (size-1 dims dropped, neighbours merged where every
// operand walks them as one): `rank` dims, each operand's stride per dim (0 where it is broadcast). The output is
// cut into units, runs of at most kBlock values within one row of the innermost dim; `units` counts them, and
// forUnits(u0, u1, f) calls f(off, out, n) for units [u0, u1) in order: operand j's run starts at off[j] and steps
// by inner[j] (0 or 1), the output's at `out`. The shapes are the module's copies of the checked shapes.
struct Broadcast {
  int rank = 0;
  size_t total = 1, innerSize = 1, rows = 1, perRow = 1, units = 0;
  size_t dims[kMaxKernelRank] = {};
  size_t strides[3][kMaxKernelRank] = {};
  size_t inner[3] = {};

  Broadcast(int r, const int32_t* outShape, int count, const int32_t* const* shapes) {
    size_t raw[3][kMaxKernelRank] = {};
    for (int d = 0; d < r; d++) total *= static_cast<size_t>(outShape[d]);
    if (total == 0) return;
    for (int j = 0; j < count; j++) {
      size_t p = 1;
      for (int d = r - 1; d >= 0; d--) {
        const size_t size = static_cast<size_t>(shapes[j][d]);
        raw[j][d] = size == 1 ? 0 : p;
        p *= size;
      }
    }
    for (int d = 0; d < r; d++) {
      const size_t size = static_cast<size_t>(outShape[d]);
      if (size == 1) continue;
      bool merge = rank > 0;
      for (int j = 0; j < count && merge; j++) merge = strides[j][rank - 1] == raw[j][d] * size;
      if (merge) {
        dims[rank - 1] *= size;
        for (int j = 0; j < count; j++) strides[j][rank - 1] = raw[j][d];
      } else {
        dims[rank] = size;
        for (int j = 0; j < count; j++) strides[j][rank] = raw[j][d];
        rank++;
      }
    }
    for (int j = 0; j < 3; j++) inner[j] = rank ? strides[j][rank - 1] : 0;
    innerSize = rank ? dims[rank - 1] : 1;
    rows = total / innerSize;
    perRow = (innerSize + kBlock - 1) / kBlock;
    units = rows * perRow;
  }

  template <typename F>
  void forUnits(size_t u0, size_t u1, const F& f) const {
    if (u0 >= u1) return;
    size_t row = u0 / perRow, chunk = u0 % perRow;
    // The odometer over the outer dims, set to `row`.
    size_t index[kMaxKernelRank] = {}, base[3] = {};
    size_t rest = row;
    for (int d = rank - 2; d >= 0; d--) {
      index[d] = rest % dims[d];
      rest /= dims[d];
      for (int j = 0; j < 3; j++) base[j] += index[d] * strides[j][d];
    }
    for (size_t u = u0; u < u1; u++) {
      const size_t i = chunk * kBlock;
      const size_t off[3] = {base[0] + i * inner[0], base[1] + i * inner[1], base[2] + i * inner[2]};
      f(off, row * innerSize + i, min(kBlock, innerSize - i));
      if (++chunk < perRow) continue;
      chunk = 0;
      row++;
      for (int d = rank - 2; d >= 0; d--) {
        index[d]++;
        for (int j = 0; j < 3; j++) base[j] += strides[j][d];
        if (index[d] < dims[d]) break;
        for (int j = 0; j < 3; j++) base[j] -= strides[j][d] * dims[d];
        index[d] = 0;
      }
    }
  }
};

// Units per task when an op splits over the pool: about 16k values a task, and only past 64k values (below that a
// parallel region costs more than it saves). Fixed by the problem, so the split never depends on the threads.
BP_INLINE size_t unitsPerTask(size_t runLength, size_t total) {
  if (total < (size_t(1) << 16)) return ~size_t(0);
  return max<size_t>(1, (size_t(1) << 14) / max<size_t>(1, runLength));
}

}  // namespace bp
