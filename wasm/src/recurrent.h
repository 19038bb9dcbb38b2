// The recurrent kernels' shared parts (native/recurrent.h): gemm on sub-blocks, the activations recurrent ops
// accept (float32 sigmoid and tanh through native/fastmath.h's polynomials, four lanes at a time), derivatives
// from outputs, time-major copies and the weight and input gradients of backward through time.
#pragma once
#include "activations.h"
#include "base.h"
#include "gemm.h"
#include "math.h"

namespace bp {
namespace rnn {

// c = alpha·op(a)·op(b) + beta·c on sub-blocks with leading dimensions (BLAS's lda, ldb, ldc).
inline bool gemmLd(const Exec& ex, bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float* a,
                   size_t lda, const float* b, size_t ldb, float beta, float* c, size_t ldc) {
  return gemm(ex, m, n, k, alpha, ta ? Mat{a, 1, lda} : Mat{a, lda, 1}, tb ? Mat{b, 1, ldb} : Mat{b, ldb, 1}, beta, c,
              ldc);
}

// a[0..n) = f(a[0..n)) in place, for the activations recurrent ops accept (elu with alpha 1).
inline void activateInPlace(int act, float* a, size_t n) {
  size_t i = 0;
  switch (act) {
    case LINEAR: return;
    case SIGMOID:
      for (; i + 4 <= n; i += 4) store4(a + i, m::sigmoid4(load4(a + i)));
      for (; i < n; i++) a[i] = m::sigmoid4(splat4(a[i]))[0];
      return;
    case TANH:
      for (; i + 4 <= n; i += 4) store4(a + i, m::tanh4(load4(a + i)));
      for (; i < n; i++) a[i] = m::tanh4(splat4(a[i]))[0];
      return;
    case HARD_SIGMOID:
      for (; i < n; i++) {
        const double h = 0.2 * static_cast<double>(a[i]) + 0.5;
        a[i] = static_cast<float>(h < 0 ? 0.0 : h > 1 ? 1.0 : h);
      }
      return;
    default:
      for (; i < n; i++) a[i] = static_cast<float>(activate(act, 1.0, static_cast<double>(a[i])));
  }
}

// f'(z) from y = f(z).
inline float derivativeFromOutput(int act, float y) {
  const double v = y;
  switch (act) {
    case SIGMOID: return y * (1.0f - y);
    case TANH: return 1.0f - y * y;
    case HARD_SIGMOID: return y > 0.0f && y < 1.0f ? 0.2f : 0.0f;
    case RELU: return static_cast<float>(v > 0 ? 1.0 : 0.0);
    case ELU: return static_cast<float>(v > 0 ? 1.0 : v + 1.0);
    case SELU: return static_cast<float>(v > 0 ? kSeluScale : v + kSeluScale * kSeluAlpha);
    case SOFTPLUS: return static_cast<float>(-m::expm1(-v));
    case SOFTSIGN: {
      const double d = 1.0 - m::fabs(v);
      return static_cast<float>(d * d);
    }
    default: return 1.0f;
  }
}

// xT[s, b, :] = x[b, t, :], t the step processed s-th; and back.
inline void toTimeMajor(const float* x, float* xT, size_t B, size_t S, size_t I, bool back) {
  for (size_t s = 0; s < S; s++) {
    const size_t t = back ? S - 1 - s : s;
    for (size_t b = 0; b < B; b++) copy(xT + (s * B + b) * I, x + (b * S + t) * I, I);
  }
}
inline void fromTimeMajor(const float* xT, float* x, size_t B, size_t S, size_t I, bool back) {
  for (size_t s = 0; s < S; s++) {
    const size_t t = back ? S - 1 - s : s;
    for (size_t b = 0; b < B; b++) copy(x + (b * S + t) * I, xT + (s * B + b) * I, I);
  }
}

inline bool keeps(const float* mask, size_t b, size_t S, size_t t) { return !mask || mask[b * S + t] != 0.0f; }

// dh[b, :] += dySeq[b, s, :] (the output gradient of processed step s).
inline void addStepGradient(const float* dySeq, float* dh, size_t s, size_t B, size_t S, size_t N) {
  for (size_t b = 0; b < B; b++) {
    const float* from = dySeq + (b * S + s) * N;
    float* to = dh + b * N;
    for (size_t j = 0; j < N; j++) to[j] += from[j];
  }
}

// y[b, s, :] = hs[s, b, :].
inline void storeStep(const float* hs, float* y, size_t s, size_t B, size_t S, size_t N) {
  for (size_t b = 0; b < B; b++) copy(y + (b * S + s) * N, hs + (s * B + b) * N, N);
}

// db[j] += Σ_b g[b, j] over one step's block (rows of width `stride`).
inline void addColumnSums(const float* g, size_t B, size_t n, size_t stride, float* db) {
  for (size_t b = 0; b < B; b++) {
    const float* row = g + b * stride;
    for (size_t j = 0; j < n; j++) db[j] += row[j];
  }
}

// dKernel = xTᵀ·dG; dRecurrent = hs[0..S-2]ᵀ·dG[1..S-1] (width columns of dG).
inline bool weightGradients(const Exec& ex, const float* xT, const float* hs, const float* dG, float* dK, float* dU,
                            size_t B, size_t S, size_t I, size_t N, size_t width) {
  const size_t rows = S * B, prev = rows > B ? rows - B : 0;
  return gemmLd(ex, true, false, I, width, rows, 1.0f, xT, I, dG, width, 0.0f, dK, width) &&
         gemmLd(ex, true, false, N, width, prev, 1.0f, hs, N, dG + B * width, width, 0.0f, dU, width);
}

// dx = dG·Wᵀ through xT (overwritten), then back to batch-major.
inline bool inputGradient(const Exec& ex, const float* dG, const float* W, float* xT, float* dx, size_t B, size_t S,
                          size_t I, size_t width, bool back) {
  if (!gemmLd(ex, false, true, S * B, I, width, 1.0f, dG, width, W, width, 0.0f, xT, I)) return false;
  fromTimeMajor(xT, dx, B, S, I, back);
  return true;
}

}  // namespace rnn
}  // namespace bp
