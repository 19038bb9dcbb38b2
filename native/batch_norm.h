// Batch normalization (formulas in src/backend/ops.ts), the same passes as the JS reference: per-column
// statistics and gradient sums in float64 scratch, the variance from a second pass over the deviations.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "conv_geometry.h"

namespace bp {

template <typename T>
void batchNormForward(const T* x, const T* gamma, const T* beta, T* movingMean, T* movingVariance, T* mean,
                      T* invStd, T* y, size_t rows, size_t cols, double epsilon, double momentum, bool training) {
  double* mu = scratch<double>(kSlotAcc, cols);
  double* istd = scratch<double>(kSlotAcc2, cols);
  if (training && rows > 0) {
    std::fill(mu, mu + cols, 0.0);
    for (size_t r = 0; r < rows; r++) {
      const T* xr = x + r * cols;
      for (size_t j = 0; j < cols; j++) mu[j] += xr[j];
    }
    for (size_t j = 0; j < cols; j++) mu[j] /= static_cast<double>(rows);
    std::fill(istd, istd + cols, 0.0);
    for (size_t r = 0; r < rows; r++) {
      const T* xr = x + r * cols;
      for (size_t j = 0; j < cols; j++) {
        double d = xr[j] - mu[j];
        istd[j] += d * d;
      }
    }
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
  }
  for (size_t r = 0; r < rows; r++) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double v = (xr[j] - mu[j]) * istd[j];
      yr[j] = static_cast<T>((gamma ? gamma[j] * v : v) + (beta ? static_cast<double>(beta[j]) : 0.0));
    }
  }
}

template <typename T>
void batchNormBackward(const T* x, const T* gamma, const T* mean, const T* invStd, const T* dy, T* dx, T* dgamma,
                       T* dbeta, size_t rows, size_t cols) {
  double* sumDy = scratch<double>(kSlotAcc, cols);
  double* sumDyXhat = scratch<double>(kSlotAcc2, cols);
  std::fill(sumDy, sumDy + cols, 0.0);
  std::fill(sumDyXhat, sumDyXhat + cols, 0.0);
  for (size_t r = 0; r < rows; r++) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double g = dyr[j];
      sumDy[j] += g;
      sumDyXhat[j] += g * (static_cast<double>(xr[j]) - mean[j]) * invStd[j];
    }
  }
  const double n = static_cast<double>(rows);
  for (size_t r = 0; r < rows; r++) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    T* dxr = dx + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double xhat = (static_cast<double>(xr[j]) - mean[j]) * invStd[j];
      double scale = ((gamma ? static_cast<double>(gamma[j]) : 1.0) * invStd[j]) / n;
      dxr[j] = static_cast<T>(scale * (n * dyr[j] - sumDy[j] - xhat * sumDyXhat[j]));
    }
  }
  for (size_t j = 0; j < cols; j++) {
    if (dgamma) dgamma[j] = static_cast<T>(sumDyXhat[j]);
    if (dbeta) dbeta[j] = static_cast<T>(sumDy[j]);
  }
}

}  // namespace bp
