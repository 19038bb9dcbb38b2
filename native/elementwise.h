// The elementwise autodiff kernels: unary (a chain of unary steps), binary (NumPy broadcasting, then an optional
// chain of unary steps over its output) and select. Codes: the same names in the same order as
// src/backend/elementwise.ts (the loader refuses an addon whose counts differ); formulas: src/backend/ops.ts. Each
// value is computed in double and rounded once on store, as the JS reference does; a chain's steps each store, so a
// fused chain gives the bits of its steps run one by one.
//
// Broadcasting: the shapes are coalesced first (size-1 dims dropped, neighbours merged where every operand walks
// them as one), so most calls run one flat loop; the rest walk the outer dims with an odometer and the innermost one
// with per-operand strides of 0 or 1. The output is written in runs of at most kBlock values, and the post chain runs
// over each run while it is in cache.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "activations.h"
#include "simd.h"
#include "thread_pool.h"

namespace bp {

enum UnaryCode { U_COPY = 0, U_NEG, U_ABS, U_SQUARE, U_SQRT, U_RSQRT, U_EXP, U_LOG, U_LOG1P, U_RELU, U_SIGMOID,
                 U_TANH, U_GELU, U_SOFTPLUS, U_SIGN, U_STEP, U_RECIPROCAL, U_CLIP, U_ADD_SCALAR, U_MUL_SCALAR,
                 U_RSUB_SCALAR, U_DIV_SCALAR, U_RDIV_SCALAR, U_POW_SCALAR, U_MAX_SCALAR, U_MIN_SCALAR, U_FILL,
                 U_IN_RANGE, UNARY_COUNT };
enum BinaryCode { B_ADD = 0, B_SUB, B_MUL, B_DIV, B_POW, B_MINIMUM, B_MAXIMUM, B_GREATER, B_GREATER_EQUAL, B_LESS,
                  B_LESS_EQUAL, B_EQUAL, B_NOT_EQUAL, B_RELU_GRAD, B_SIGMOID_GRAD, B_TANH_GRAD, B_GELU_GRAD,
                  B_SOFTPLUS_GRAD, B_SQRT_GRAD, B_RSQRT_GRAD, BINARY_COUNT };
enum ReduceCode { R_SUM = 0, R_MEAN, R_MAX, R_MIN, R_LOG_SUM_EXP, REDUCE_COUNT };

constexpr size_t kMaxKernelRank = 8;
constexpr size_t kMaxChain = 16;
constexpr size_t kBlock = 1024;

inline double unaryValue(int code, double x, double p, double q) {
  switch (code) {
    case U_COPY: return x;
    case U_NEG: return -x;
    case U_ABS: return std::fabs(x);
    case U_SQUARE: return x * x;
    case U_SQRT: return std::sqrt(x);
    case U_RSQRT: return 1.0 / std::sqrt(x);
    case U_EXP: return std::exp(x);
    case U_LOG: return std::log(x);
    case U_LOG1P: return std::log1p(x);
    case U_RELU: return x < 0 ? 0.0 : x;
    case U_SIGMOID: return sigmoid(x);
    case U_TANH: return std::tanh(x);
    case U_GELU: return 0.5 * x * erfcApprox(-x * kInvSqrt2);
    case U_SOFTPLUS: return (x > 0 ? x : 0.0) + std::log1p(std::exp(-std::fabs(x)));
    case U_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : x;
    case U_STEP: return x > 0 ? 1.0 : 0.0;
    case U_RECIPROCAL: return 1.0 / x;
    case U_CLIP: return std::isnan(x) ? x : x < p ? p : x > q ? q : x;
    case U_ADD_SCALAR: return x + p;
    case U_MUL_SCALAR: return x * p;
    case U_RSUB_SCALAR: return p - x;
    case U_DIV_SCALAR: return x / p;
    case U_RDIV_SCALAR: return p / x;
    case U_POW_SCALAR: return std::pow(x, p);
    case U_MAX_SCALAR: return std::isnan(x) || std::isnan(p) ? NAN : x > p ? x : p;
    case U_MIN_SCALAR: return std::isnan(x) || std::isnan(p) ? NAN : x < p ? x : p;
    case U_FILL: return p;
    case U_IN_RANGE: return x >= p && x <= q ? 1.0 : 0.0;
    default: return NAN;
  }
}

// y[i] = f(x[i]) for i < n; x and y may be the same (in place). The hot codes get loops the compiler vectorises.
template <typename T>
BP_CLONES void unaryRange(int code, double p, double q, const T* x, T* y, size_t n) {
  switch (code) {
    case U_COPY: if (x != y) std::copy(x, x + n, y); return;
    case U_RELU: for (size_t i = 0; i < n; i++) { T v = x[i]; y[i] = v < T(0) ? T(0) : v; } return;
    case U_ADD_SCALAR: for (size_t i = 0; i < n; i++) y[i] = static_cast<T>(static_cast<double>(x[i]) + p); return;
    case U_MUL_SCALAR: for (size_t i = 0; i < n; i++) y[i] = static_cast<T>(static_cast<double>(x[i]) * p); return;
    case U_SQUARE:
      for (size_t i = 0; i < n; i++) { double v = x[i]; y[i] = static_cast<T>(v * v); }
      return;
    case U_NEG: for (size_t i = 0; i < n; i++) y[i] = -x[i]; return;
    case U_FILL: std::fill(y, y + n, static_cast<T>(p)); return;
    default:
      for (size_t i = 0; i < n; i++) y[i] = static_cast<T>(unaryValue(code, static_cast<double>(x[i]), p, q));
  }
}

// Chain steps [0, chain) in place over y[0 .. n), with their checked codes and parameters.
template <typename T>
void runChain(const int64_t* codes, const T* params, size_t chain, T* y, size_t n) {
  for (size_t s = 0; s < chain; s++) unaryRange(static_cast<int>(codes[s]), params[2 * s], params[2 * s + 1], y, y, n);
}

template <typename T>
void unaryKernel(const int64_t* codes, const T* params, const T* x, T* y, size_t len, size_t chain) {
  if (chain == 0) {
    if (x != y) std::copy(x, x + len, y);
    return;
  }
  for (size_t o = 0; o < len; o += kBlock) {
    size_t n = std::min(kBlock, len - o);
    unaryRange(static_cast<int>(codes[0]), params[0], params[1], x + o, y + o, n);
    for (size_t s = 1; s < chain; s++) {
      unaryRange(static_cast<int>(codes[s]), params[2 * s], params[2 * s + 1], y + o, y + o, n);
    }
  }
}

inline double binaryValue(int code, double a, double b) {
  switch (code) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return std::pow(a, b);
    case B_MINIMUM: return std::isnan(a) || std::isnan(b) ? NAN : a < b ? a : b;
    case B_MAXIMUM: return std::isnan(a) || std::isnan(b) ? NAN : a > b ? a : b;
    case B_GREATER: return a > b ? 1.0 : 0.0;
    case B_GREATER_EQUAL: return a >= b ? 1.0 : 0.0;
    case B_LESS: return a < b ? 1.0 : 0.0;
    case B_LESS_EQUAL: return a <= b ? 1.0 : 0.0;
    case B_EQUAL: return a == b ? 1.0 : 0.0;
    case B_NOT_EQUAL: return a != b ? 1.0 : 0.0;
    case B_RELU_GRAD: return b > 0 ? a : 0.0;
    case B_SIGMOID_GRAD: return b * (1.0 - b) * a;
    case B_TANH_GRAD: return (1.0 - b * b) * a;
    case B_GELU_GRAD: return derivative(GELU, 0, b, 0) * a;
    case B_SOFTPLUS_GRAD: return sigmoid(b) * a;
    case B_SQRT_GRAD: return a / (2.0 * b);
    case B_RSQRT_GRAD: return -0.5 * a * (b * b * b);
    default: return NAN;
  }
}

// out[i] = f(a[i·sa], b[i·sb]) for i < n, operand strides 0 or 1.
template <typename T>
BP_CLONES void binaryRun(int code, const T* a, size_t sa, const T* b, size_t sb, T* out, size_t n) {
  if (sa == 1 && sb == 1) {
    switch (code) {
      case B_ADD: for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(double(a[i]) + double(b[i])); return;
      case B_SUB: for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(double(a[i]) - double(b[i])); return;
      case B_MUL: for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(double(a[i]) * double(b[i])); return;
      case B_RELU_GRAD: for (size_t i = 0; i < n; i++) { T d = a[i]; out[i] = b[i] > T(0) ? d : T(0); } return;
      default: break;
    }
  } else if (sa == 1 && sb == 0) {
    double bv = b[0];
    switch (code) {
      case B_ADD: for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(double(a[i]) + bv); return;
      case B_SUB: for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(double(a[i]) - bv); return;
      case B_MUL: for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(double(a[i]) * bv); return;
      default: break;
    }
  } else if (sa == 0 && sb == 1) {
    double av = a[0];
    switch (code) {
      case B_ADD: for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(av + double(b[i])); return;
      case B_MUL: for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(av * double(b[i])); return;
      default: break;
    }
  }
  for (size_t i = 0; i < n; i++) out[i] = static_cast<T>(binaryValue(code, double(a[i * sa]), double(b[i * sb])));
}

// A coalesced walk over an output shape for up to three operands, and a cursor over the output's contiguous runs
// (at most kBlock long): begin(), then next() until it returns false. Each run starts at operand offsets off[j] and
// output offset `out`, and is `n` long; operand j steps by inner[j] (0 or 1). The shapes are the checked copies.
struct Walk {
  size_t rank = 0, total = 1;
  size_t dims[kMaxKernelRank] = {};
  size_t strides[3][kMaxKernelRank] = {};
  size_t inner[3] = {};
  size_t off[3] = {}, out = 0, n = 0;

  Walk(size_t r, const int64_t* outShape, size_t count, const int64_t* const* shapes) {
    size_t raw[3][kMaxKernelRank] = {};
    for (size_t d = 0; d < r; d++) total *= static_cast<size_t>(outShape[d]);
    for (size_t j = 0; j < count; j++) {
      size_t p = 1;
      for (size_t d = r; d-- > 0;) {
        size_t size = static_cast<size_t>(shapes[j][d]);
        raw[j][d] = size == 1 ? 0 : p;
        p *= size;
      }
    }
    for (size_t d = 0; d < r; d++) {
      size_t size = static_cast<size_t>(outShape[d]);
      if (size == 1) continue;
      bool merge = rank > 0;
      for (size_t j = 0; j < count && merge; j++) merge = strides[j][rank - 1] == raw[j][d] * size;
      if (merge) {
        dims[rank - 1] *= size;
        for (size_t j = 0; j < count; j++) strides[j][rank - 1] = raw[j][d];
      } else {
        dims[rank] = size;
        for (size_t j = 0; j < count; j++) strides[j][rank] = raw[j][d];
        rank++;
      }
    }
    for (size_t j = 0; j < 3; j++) inner[j] = rank ? strides[j][rank - 1] : 0;
    innerSize_ = rank ? dims[rank - 1] : 1;
  }

  bool begin() {
    if (total == 0) return false;
    rows_ = total / innerSize_;
    setRun();
    return true;
  }

  bool next() {
    i_ += kBlock;
    if (i_ >= innerSize_) {
      i_ = 0;
      if (++row_ >= rows_) return false;
      for (size_t d = rank ? rank - 1 : 0; d-- > 0;) {
        index_[d]++;
        for (size_t j = 0; j < 3; j++) base_[j] += strides[j][d];
        if (index_[d] < dims[d]) break;
        for (size_t j = 0; j < 3; j++) base_[j] -= strides[j][d] * dims[d];
        index_[d] = 0;
      }
    }
    setRun();
    return true;
  }

 private:
  void setRun() {
    n = std::min(kBlock, innerSize_ - i_);
    for (size_t j = 0; j < 3; j++) off[j] = base_[j] + i_ * inner[j];
    out = row_ * innerSize_ + i_;
  }
  size_t innerSize_ = 1, rows_ = 1, row_ = 0, i_ = 0;
  size_t base_[3] = {};
  size_t index_[kMaxKernelRank] = {};
};

template <typename T>
void binaryKernel(int code, size_t rank, const int64_t* outShape, const int64_t* aShape, const int64_t* bShape,
                  const T* a, const T* b, T* out, const int64_t* post, const T* postParams, size_t chain) {
  // A large sum of two equal vectors (the residual adds of a transformer step): in chunks on the thread pool, each
  // value computed as one pass would.
  if (rank == 1 && aShape[0] == outShape[0] && bShape[0] == outShape[0] && outShape[0] >= (int64_t(1) << 16)) {
    const size_t n = static_cast<size_t>(outShape[0]), chunks = chunkCount(n >> 14);
    parallelChunks(chunks, [&](size_t c) {
      const size_t i0 = n * c / chunks, len = n * (c + 1) / chunks - i0;
      binaryRun(code, a + i0, 1, b + i0, 1, out + i0, len);
      if (chain) runChain(post, postParams, chain, out + i0, len);
    });
    return;
  }
  const int64_t* shapes[2] = {aShape, bShape};
  Walk w(rank, outShape, 2, shapes);
  for (bool more = w.begin(); more; more = w.next()) {
    binaryRun(code, a + w.off[0], w.inner[0], b + w.off[1], w.inner[1], out + w.out, w.n);
    if (chain) runChain(post, postParams, chain, out + w.out, w.n);
  }
}

template <typename T>
void selectKernel(size_t rank, const int64_t* outShape, const int64_t* condShape, const int64_t* aShape,
                  const int64_t* bShape, const T* cond, const T* a, const T* b, T* out) {
  const int64_t* shapes[3] = {condShape, aShape, bShape};
  Walk w(rank, outShape, 3, shapes);
  for (bool more = w.begin(); more; more = w.next()) {
    const T* c = cond + w.off[0];
    const T* x = a + w.off[1];
    const T* y = b + w.off[2];
    T* o = out + w.out;
    size_t sc = w.inner[0], sa = w.inner[1], sb = w.inner[2];
    for (size_t i = 0; i < w.n; i++) o[i] = c[i * sc] != T(0) ? x[i * sa] : y[i * sb];
  }
}

}  // namespace bp
