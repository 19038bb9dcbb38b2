// The recurrent kernels' shared parts (gemm on sub-blocks, the activations they accept, time-major copies)
// and SimpleRNN and LSTM over a whole sequence (formulas and layouts in src/backend/ops.ts; the JS reference
// is src/backend/js/recurrent.ts). Per step: one gemm of the previous state with the recurrent kernel into
// that step's block of the input projection (computed for all steps by one gemm), then one pass over the
// gates. Backward through time writes the gate gradients over the gates and takes the weight gradients as
// one gemm over all steps. The whole sequence runs in one call, with no allocation: the workspaces belong
// to the layer. Arguments are checked by the exports (exports_sequence.cc).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "activations.h"
#include "blas.h"
#include "fastmath.h"
#include "simd.h"

// The elementwise passes of the recurrent kernels also get an AVX-512 build (twice AVX2's width); each
// operation rounds the same at every width, so results do not depend on the CPU.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define BP_SEQ_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BP_SEQ_CLONES
#endif

namespace bp {
namespace rnn {

// c = alpha·op(a)·op(b) + beta·c on sub-blocks with leading dimensions (BLAS's lda, ldb, ldc).
template <typename T>
void gemmLd(bool ta, bool tb, size_t m, size_t n, size_t k, double alpha, const T* a, size_t lda, const T* b,
            size_t ldb, double beta, T* c, size_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0) {
    for (size_t i = 0; i < m; i++) {
      T* row = c + i * ldc;
      if (beta == 0) std::fill(row, row + n, T(0));
      else if (beta != 1) for (size_t j = 0; j < n; j++) row[j] = static_cast<T>(beta * row[j]);
    }
    return;
  }
  cblasGemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
            static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

// a[0..n) = f(a[0..n)) in place, for the activations recurrent ops accept (elu with alpha 1).
template <typename T>
BP_SEQ_CLONES void activateInPlace(int act, T* a, size_t n) {
  constexpr bool f32 = std::is_same<T, float>::value;
  switch (act) {
    case LINEAR: return;
    case SIGMOID:
      if constexpr (f32) for (size_t i = 0; i < n; i++) a[i] = sigmoidApprox(a[i]);
      else for (size_t i = 0; i < n; i++) a[i] = sigmoid(a[i]);
      return;
    case TANH:
      if constexpr (f32) for (size_t i = 0; i < n; i++) a[i] = tanhApprox(a[i]);
      else for (size_t i = 0; i < n; i++) a[i] = std::tanh(a[i]);
      return;
    case HARD_SIGMOID:
      for (size_t i = 0; i < n; i++) {
        double h = 0.2 * static_cast<double>(a[i]) + 0.5;
        a[i] = static_cast<T>(h < 0 ? 0.0 : h > 1 ? 1.0 : h);
      }
      return;
    default:
      for (size_t i = 0; i < n; i++) a[i] = static_cast<T>(activate(act, 1.0, static_cast<double>(a[i])));
  }
}

inline bool isRecurrentActivation(int act) {
  switch (act) {
    case LINEAR: case SIGMOID: case TANH: case RELU: case ELU: case SELU: case SOFTPLUS: case SOFTSIGN:
    case HARD_SIGMOID: return true;
    default: return false;
  }
}

// f'(z) from y = f(z): functors, so the backward loops compile (and vectorize) per activation.
struct DSigmoid { template <typename T> T operator()(T y) const { return y * (T(1) - y); } };
struct DTanh { template <typename T> T operator()(T y) const { return T(1) - y * y; } };
struct DHardSigmoid { template <typename T> T operator()(T y) const { return y > T(0) && y < T(1) ? T(0.2) : T(0); } };
struct DAny {
  int act;
  template <typename T> T operator()(T y) const {
    double v = y;
    switch (act) {
      case RELU: return T(v > 0 ? 1.0 : 0.0);
      case ELU: return T(v > 0 ? 1.0 : v + 1.0);
      case SELU: return T(v > 0 ? kSeluScale : v + kSeluScale * kSeluAlpha);
      case SOFTPLUS: return T(-std::expm1(-v));
      case SOFTSIGN: { double d = 1.0 - std::fabs(v); return T(d * d); }
      case SIGMOID: return T(v * (1.0 - v));
      case TANH: return T(1.0 - v * v);
      case HARD_SIGMOID: return T(v > 0 && v < 1 ? 0.2 : 0.0);
      default: return T(1);
    }
  }
};

template <typename F>
void withDerivative(int act, F&& f) {
  switch (act) {
    case SIGMOID: f(DSigmoid{}); return;
    case TANH: f(DTanh{}); return;
    case HARD_SIGMOID: f(DHardSigmoid{}); return;
    default: f(DAny{act}); return;
  }
}

// xT[s, b, :] = x[b, t, :], t the step processed s-th; and back.
template <typename T>
void toTimeMajor(const T* x, T* xT, size_t B, size_t S, size_t I, bool back) {
  for (size_t s = 0; s < S; s++) {
    size_t t = back ? S - 1 - s : s;
    for (size_t b = 0; b < B; b++) std::memcpy(xT + (s * B + b) * I, x + (b * S + t) * I, I * sizeof(T));
  }
}
template <typename T>
void fromTimeMajor(const T* xT, T* x, size_t B, size_t S, size_t I, bool back) {
  for (size_t s = 0; s < S; s++) {
    size_t t = back ? S - 1 - s : s;
    for (size_t b = 0; b < B; b++) std::memcpy(x + (b * S + t) * I, xT + (s * B + b) * I, I * sizeof(T));
  }
}

template <typename T>
inline bool keeps(const T* mask, size_t b, size_t S, size_t t) {
  return !mask || mask[b * S + t] != T(0);
}

// dh[b, :] += dySeq[b, s, :] (the output gradient of processed step s).
template <typename T>
void addStepGradient(const T* dySeq, T* dh, size_t s, size_t B, size_t S, size_t N) {
  for (size_t b = 0; b < B; b++) {
    const T* from = dySeq + (b * S + s) * N;
    T* to = dh + b * N;
    for (size_t j = 0; j < N; j++) to[j] += from[j];
  }
}

// y[b, s, :] = hs[s, b, :].
template <typename T>
void storeStep(const T* hs, T* y, size_t s, size_t B, size_t S, size_t N) {
  for (size_t b = 0; b < B; b++) std::memcpy(y + (b * S + s) * N, hs + (s * B + b) * N, N * sizeof(T));
}

// db[j] += Σ_b g[b, j] over one step's block (rows of width `stride`).
template <typename T>
void addColumnSums(const T* g, size_t B, size_t n, size_t stride, T* db) {
  for (size_t b = 0; b < B; b++) {
    const T* row = g + b * stride;
    for (size_t j = 0; j < n; j++) db[j] += row[j];
  }
}

// dKernel = xTᵀ·dG; dRecurrent = hs[0..S-2]ᵀ·dG[1..S-1] (width columns of dG).
template <typename T>
void weightGradients(const T* xT, const T* hs, const T* dG, T* dK, T* dU, size_t B, size_t S, size_t I, size_t N,
                     size_t width) {
  size_t rows = S * B, prev = rows > B ? rows - B : 0;
  gemmLd(true, false, I, width, rows, 1.0, xT, I, dG, width, 0.0, dK, width);
  gemmLd(true, false, N, width, prev, 1.0, hs, N, dG + B * width, width, 0.0, dU, width);
}

// dx = dG·Wᵀ through xT (overwritten), then back to batch-major.
template <typename T>
void inputGradient(const T* dG, const T* W, T* xT, T* dx, size_t B, size_t S, size_t I, size_t width, bool back) {
  gemmLd(false, true, S * B, I, width, 1.0, dG, width, W, width, 0.0, xT, I);
  fromTimeMajor(xT, dx, B, S, I, back);
}

template <typename T>
BP_SEQ_CLONES void simpleRnnForward(const T* x, const T* W, const T* U, const T* bias, const T* mask, T* xT, T* z, T* hs, T* y,
                                size_t B, size_t S, size_t I, size_t N, int act, bool back) {
  toTimeMajor(x, xT, B, S, I, back);
  gemmLd(false, false, S * B, N, I, 1.0, xT, I, W, N, 0.0, z, N);
  for (size_t s = 0; s < S; s++) {
    size_t t = back ? S - 1 - s : s;
    T* zs = z + s * B * N;
    T* h = hs + s * B * N;
    const T* hp = s ? h - B * N : nullptr;
    if (hp) gemmLd(false, false, B, N, N, 1.0, hp, N, U, N, 1.0, zs, N);
    for (size_t b = 0; b < B; b++) {
      T* zr = zs + b * N;
      T* hr = h + b * N;
      if (bias) for (size_t j = 0; j < N; j++) zr[j] += bias[j];
      if (keeps(mask, b, S, t)) {
        std::memcpy(hr, zr, N * sizeof(T));
        activateInPlace(act, hr, N);
      } else if (hp) {
        std::memcpy(hr, hp + b * N, N * sizeof(T));
      } else {
        std::fill(hr, hr + N, T(0));
      }
    }
    if (y) storeStep(hs, y, s, B, S, N);
  }
}

template <typename T, typename DA>
BP_SEQ_CLONES void simpleRnnBackwardSteps(const T* U, const T* mask, T* z, const T* hs, const T* dySeq, T* dh, T* db,
                                      size_t B, size_t S, size_t N, bool back, DA da) {
  for (size_t s = S; s-- > 0;) {
    size_t t = back ? S - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, B, S, N);
    T* zs = z + s * B * N;
    for (size_t b = 0; b < B; b++) {
      T* zr = zs + b * N;
      if (!keeps(mask, b, S, t)) {
        std::fill(zr, zr + N, T(0));
        continue;
      }
      const T* hr = hs + (s * B + b) * N;
      T* d = dh + b * N;
      for (size_t j = 0; j < N; j++) {
        zr[j] = d[j] * da(hr[j]);
        d[j] = T(0);
      }
    }
    if (db) addColumnSums(zs, B, N, N, db);
    if (s) gemmLd(false, true, B, N, N, 1.0, zs, N, U, N, 1.0, dh, N);
  }
}

template <typename T>
void simpleRnnBackward(T* xT, const T* W, const T* U, const T* mask, T* z, const T* hs, const T* dySeq, const T* dyLast,
                       T* dK, T* dU, T* db, T* dx, T* dh, size_t B, size_t S, size_t I, size_t N, int act, bool back) {
  if (dyLast) std::memcpy(dh, dyLast, B * N * sizeof(T));
  else std::fill(dh, dh + B * N, T(0));
  if (db) std::fill(db, db + N, T(0));
  withDerivative(act, [&](auto da) { simpleRnnBackwardSteps(U, mask, z, hs, dySeq, dh, db, B, S, N, back, da); });
  weightGradients(xT, hs, z, dK, dU, B, S, I, N, N);
  if (dx) inputGradient(z, W, xT, dx, B, S, I, N, back);
}

template <typename T>
BP_SEQ_CLONES void lstmForward(const T* x, const T* W, const T* U, const T* bias, const T* mask, T* xT, T* gates, T* cells,
                           T* hs, T* y, size_t B, size_t S, size_t I, size_t N, int act, int rec, bool back) {
  const size_t G = 4 * N;
  toTimeMajor(x, xT, B, S, I, back);
  gemmLd(false, false, S * B, G, I, 1.0, xT, I, W, G, 0.0, gates, G);
  for (size_t s = 0; s < S; s++) {
    size_t t = back ? S - 1 - s : s;
    T* g = gates + s * B * G;
    T* cs = cells + s * B * N;
    T* h = hs + s * B * N;
    if (s) gemmLd(false, false, B, G, N, 1.0, h - B * N, N, U, G, 1.0, g, G);
    for (size_t b = 0; b < B; b++) {
      T* gr = g + b * G;
      if (bias) for (size_t j = 0; j < G; j++) gr[j] += bias[j];
      activateInPlace(rec, gr, 2 * N);
      activateInPlace(act, gr + 2 * N, N);
      activateInPlace(rec, gr + 3 * N, N);
      T* c = cs + b * N;
      T* hr = h + b * N;
      const T* cp = s ? c - B * N : nullptr;
      if (!keeps(mask, b, S, t)) {
        if (cp) {
          std::memcpy(c, cp, N * sizeof(T));
          std::memcpy(hr, hr - B * N, N * sizeof(T));
        } else {
          std::fill(c, c + N, T(0));
          std::fill(hr, hr + N, T(0));
        }
        continue;
      }
      const T *ig = gr, *fg = gr + N, *cg = gr + 2 * N, *og = gr + 3 * N;
      if (cp) for (size_t j = 0; j < N; j++) c[j] = fg[j] * cp[j] + ig[j] * cg[j];
      else for (size_t j = 0; j < N; j++) c[j] = fg[j] * T(0) + ig[j] * cg[j];
      std::memcpy(hr, c, N * sizeof(T));
      activateInPlace(act, hr, N);
      for (size_t j = 0; j < N; j++) hr[j] *= og[j];
    }
    if (y) storeStep(hs, y, s, B, S, N);
  }
}

template <typename T, typename DA, typename DR>
BP_SEQ_CLONES void lstmBackwardSteps(const T* U, const T* mask, T* gates, T* cells, const T* dySeq, T* dh, T* dc, T* db,
                                 size_t B, size_t S, size_t N, int act, bool back, DA da, DR dr) {
  const size_t G = 4 * N;
  for (size_t s = S; s-- > 0;) {
    size_t t = back ? S - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, B, S, N);
    T* g = gates + s * B * G;
    T* cs = cells + s * B * N;
    // c_s is needed from here on only as act(c_s) (c_{s-1} stays as it is for this step).
    activateInPlace(act, cs, B * N);
    for (size_t b = 0; b < B; b++) {
      T* gr = g + b * G;
      if (!keeps(mask, b, S, t)) {
        std::fill(gr, gr + G, T(0));
        continue;
      }
      const T* tc = cs + b * N;
      const T* cp = s ? cells + ((s - 1) * B + b) * N : nullptr;
      T* dhr = dh + b * N;
      T* dcr = dc + b * N;
      T *ig = gr, *fg = gr + N, *cg = gr + 2 * N, *og = gr + 3 * N;
      for (size_t j = 0; j < N; j++) {
        T i = ig[j], f = fg[j], c = cg[j], o = og[j], th = tc[j], dhv = dhr[j];
        T cpv = cp ? cp[j] : T(0);
        T dcv = dcr[j] + dhv * o * da(th);
        ig[j] = dcv * c * dr(i);
        fg[j] = dcv * cpv * dr(f);
        cg[j] = dcv * i * da(c);
        og[j] = dhv * th * dr(o);
        dcr[j] = dcv * f;
        dhr[j] = T(0);
      }
    }
    if (db) addColumnSums(g, B, G, G, db);
    if (s) gemmLd(false, true, B, N, G, 1.0, g, G, U, G, 1.0, dh, N);
  }
}

template <typename T>
void lstmBackward(T* xT, const T* W, const T* U, const T* mask, T* gates, T* cells, const T* hs, const T* dySeq,
                  const T* dyLast, T* dK, T* dU, T* db, T* dx, T* dh, T* dc, size_t B, size_t S, size_t I, size_t N,
                  int act, int rec, bool back) {
  const size_t G = 4 * N;
  if (dyLast) std::memcpy(dh, dyLast, B * N * sizeof(T));
  else std::fill(dh, dh + B * N, T(0));
  std::fill(dc, dc + B * N, T(0));
  if (db) std::fill(db, db + G, T(0));
  withDerivative(act, [&](auto da) {
    withDerivative(rec, [&](auto dr) {
      lstmBackwardSteps(U, mask, gates, cells, dySeq, dh, dc, db, B, S, N, act, back, da, dr);
    });
  });
  weightGradients(xT, hs, gates, dK, dU, B, S, I, N, G);
  if (dx) inputGradient(gates, W, xT, dx, B, S, I, G, back);
}

}  // namespace rnn
}  // namespace bp
