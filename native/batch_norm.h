// Batch normalization (formulas in src/backend/ops.ts), the same passes as the JS reference: per-column
// statistics and gradient sums in float64, the variance from a second pass over the deviations. Large calls split
// their rows into chunks run by the thread pool (thread_pool.h): each chunk sums its rows in row order into its
// own float64 partial sums, added over chunks in chunk order, so results depend on the thread count only (with one
// thread: one chunk, the JS reference's order). Each value is computed from its sums by the reference's formula.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "conv_geometry.h"
#include "simd.h"
#include "thread_pool.h"

namespace bp {

// Values below which a call runs as one chunk (the pool's hand-off would cost more than it saves).
constexpr size_t kBatchNormParallelValues = size_t(1) << 16;

inline size_t batchNormChunks(size_t rows, size_t cols) {
  return rows * cols < kBatchNormParallelValues ? 1 : chunkCount(rows);
}

namespace bn {

// s[j] = Σ_r x[r, j] over rows [r0, r1), from 0, in row order.
template <typename T>
BP_CLONES void columnSums(const T* x, size_t r0, size_t r1, size_t cols, double* s) {
  std::fill(s, s + cols, 0.0);
  for (size_t r = r0; r < r1; r++) {
    const T* xr = x + r * cols;
    for (size_t j = 0; j < cols; j++) s[j] += xr[j];
  }
}

// s[j] = Σ_r (x[r, j] − mu[j])² over rows [r0, r1), from 0, in row order.
template <typename T>
BP_CLONES void squaredDeviations(const T* x, const double* mu, size_t r0, size_t r1, size_t cols, double* s) {
  std::fill(s, s + cols, 0.0);
  for (size_t r = r0; r < r1; r++) {
    const T* xr = x + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double d = xr[j] - mu[j];
      s[j] += d * d;
    }
  }
}

// y = γ·(x − mu)·istd + β for rows [r0, r1); g[j] is γ (1 without scale: 1·v = v exactly), b[j] β (or 0).
template <typename T>
BP_CLONES void normalizeRows(const T* x, const double* mu, const double* istd, const double* g, const double* b,
                             T* y, size_t r0, size_t r1, size_t cols) {
  for (size_t r = r0; r < r1; r++) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double v = (xr[j] - mu[j]) * istd[j];
      yr[j] = static_cast<T>(g[j] * v + b[j]);
    }
  }
}

// sDy[j] = Σ dy, sDyXhat[j] = Σ dy·(x − mean)·invStd over rows [r0, r1), from 0, in row order.
template <typename T>
BP_CLONES void gradientSums(const T* x, const T* mean, const T* invStd, const T* dy, size_t r0, size_t r1,
                            size_t cols, double* sDy, double* sDyXhat) {
  std::fill(sDy, sDy + cols, 0.0);
  std::fill(sDyXhat, sDyXhat + cols, 0.0);
  for (size_t r = r0; r < r1; r++) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double g = dyr[j];
      sDy[j] += g;
      sDyXhat[j] += g * (static_cast<double>(xr[j]) - mean[j]) * invStd[j];
    }
  }
}

// dx = γ·invStd/n · (n·dy − ΣDy − x̂·ΣDyX̂) for rows [r0, r1); scale[j] = γ·invStd/n.
template <typename T>
BP_CLONES void gradientRows(const T* x, const T* mean, const T* invStd, const T* dy, const double* scale,
                            const double* sDy, const double* sDyXhat, double n, T* dx, size_t r0, size_t r1,
                            size_t cols) {
  for (size_t r = r0; r < r1; r++) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    T* dxr = dx + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double xhat = (static_cast<double>(xr[j]) - mean[j]) * invStd[j];
      dxr[j] = static_cast<T>(scale[j] * (n * dyr[j] - sDy[j] - xhat * sDyXhat[j]));
    }
  }
}

// out[j] = Σ_c parts[c·cols + j], added in chunk order (one chunk: its sums as they are).
inline void sumChunks(const double* parts, size_t chunks, size_t cols, double* out) {
  for (size_t j = 0; j < cols; j++) {
    double s = parts[j];
    for (size_t c = 1; c < chunks; c++) s += parts[c * cols + j];
    out[j] = s;
  }
}

}  // namespace bn

template <typename T>
void batchNormForward(const T* x, const T* gamma, const T* beta, T* movingMean, T* movingVariance, T* mean,
                      T* invStd, T* y, size_t rows, size_t cols, double epsilon, double momentum, bool training) {
  const size_t chunks = batchNormChunks(rows, cols);
  double* mu = scratch<double>(kSlotAcc, cols);
  double* istd = scratch<double>(kSlotAcc2, cols);
  // Per-column γ and β, then each chunk's partial sums.
  double* gb = scratch<double>(kSlotCol, (2 + chunks) * cols);
  double *g = gb, *b = gb + cols, *parts = gb + 2 * cols;
  auto range = [&](size_t c) { return std::make_pair(rows * c / chunks, rows * (c + 1) / chunks); };
  if (training && rows > 0) {
    parallelChunks(chunks, [&](size_t c) {
      auto [r0, r1] = range(c);
      bn::columnSums(x, r0, r1, cols, parts + c * cols);
    });
    bn::sumChunks(parts, chunks, cols, mu);
    for (size_t j = 0; j < cols; j++) mu[j] /= static_cast<double>(rows);
    parallelChunks(chunks, [&](size_t c) {
      auto [r0, r1] = range(c);
      bn::squaredDeviations(x, mu, r0, r1, cols, parts + c * cols);
    });
    bn::sumChunks(parts, chunks, cols, istd);
    for (size_t j = 0; j < cols; j++) {
      double variance = istd[j] / static_cast<double>(rows);
      istd[j] = 1.0 / std::sqrt(variance + epsilon);
      movingMean[j] = static_cast<T>(movingMean[j] - (movingMean[j] - mu[j]) * (1.0 - momentum));
      movingVariance[j] = static_cast<T>(movingVariance[j] - (movingVariance[j] - variance) * (1.0 - momentum));
    }
  } else {
    for (size_t j = 0; j < cols; j++) {
      mu[j] = movingMean[j];
      istd[j] = 1.0 / std::sqrt(static_cast<double>(movingVariance[j]) + epsilon);
    }
  }
  for (size_t j = 0; j < cols; j++) {
    mean[j] = static_cast<T>(mu[j]);
    invStd[j] = static_cast<T>(istd[j]);
    g[j] = gamma ? static_cast<double>(gamma[j]) : 1.0;
    b[j] = beta ? static_cast<double>(beta[j]) : 0.0;
  }
  parallelChunks(chunks, [&](size_t c) {
    auto [r0, r1] = range(c);
    bn::normalizeRows(x, mu, istd, g, b, y, r0, r1, cols);
  });
}

template <typename T>
void batchNormBackward(const T* x, const T* gamma, const T* mean, const T* invStd, const T* dy, T* dx, T* dgamma,
                       T* dbeta, size_t rows, size_t cols) {
  const size_t chunks = batchNormChunks(rows, cols);
  double* sumDy = scratch<double>(kSlotAcc, cols);
  double* sumDyXhat = scratch<double>(kSlotAcc2, cols);
  double* parts = scratch<double>(kSlotCol, (1 + 2 * chunks) * cols);
  double *scale = parts, *dyParts = parts + cols, *xhatParts = parts + (1 + chunks) * cols;
  auto range = [&](size_t c) { return std::make_pair(rows * c / chunks, rows * (c + 1) / chunks); };
  parallelChunks(chunks, [&](size_t c) {
    auto [r0, r1] = range(c);
    bn::gradientSums(x, mean, invStd, dy, r0, r1, cols, dyParts + c * cols, xhatParts + c * cols);
  });
  bn::sumChunks(dyParts, chunks, cols, sumDy);
  bn::sumChunks(xhatParts, chunks, cols, sumDyXhat);
  const double n = static_cast<double>(rows);
  for (size_t j = 0; j < cols; j++) scale[j] = ((gamma ? static_cast<double>(gamma[j]) : 1.0) * invStd[j]) / n;
  // dx may be dy itself: each chunk reads its own rows of dy before writing them.
  parallelChunks(chunks, [&](size_t c) {
    auto [r0, r1] = range(c);
    bn::gradientRows(x, mean, invStd, dy, scale, sumDy, sumDyXhat, n, dx, r0, r1, cols);
  });
  for (size_t j = 0; j < cols; j++) {
    if (dgamma) dgamma[j] = static_cast<T>(sumDyXhat[j]);
    if (dbeta) dbeta[j] = static_cast<T>(sumDy[j]);
  }
}

}  // namespace bp
