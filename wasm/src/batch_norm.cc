// Batch normalization (native/batch_norm.h: per-column statistics and gradient sums in float64, the variance from
// a second pass over the deviations). The rows go in a fixed number of blocks run by the pool; each block's sums
// are added in block order, so the results do not depend on the threads.
#include "base.h"
#include "math.h"

namespace bp {

namespace {

constexpr size_t kMaxBlocks = 16;

size_t blockCount(size_t rows) { return rows == 0 ? 1 : min<size_t>(kMaxBlocks, (rows + 63) / 64); }

// part[b·cols + j] = Σ over block b's rows of f(r, j); then out[j] = Σ_b part[b·cols + j] in block order.
template <typename F>
void columnSums(const Exec& ex, size_t rows, size_t cols, double* part, double* out, const F& term) {
  const size_t blocks = blockCount(rows);
  parallel(ex, static_cast<int>(blocks), [&](int b, int) {
    double* s = part + b * cols;
    for (size_t j = 0; j < cols; j++) s[j] = 0;
    const size_t r1 = rows * (b + 1) / blocks;
    for (size_t r = rows * b / blocks; r < r1; r++) term(r, s);
  });
  for (size_t j = 0; j < cols; j++) out[j] = 0;
  for (size_t b = 0; b < blocks; b++)
    for (size_t j = 0; j < cols; j++) out[j] += part[b * cols + j];
}

template <typename F>
void byRows(const Exec& ex, size_t rows, const F& f) {
  const size_t blocks = blockCount(rows);
  parallel(ex, static_cast<int>(blocks), [&](int b, int) {
    const size_t r1 = rows * (b + 1) / blocks;
    for (size_t r = rows * b / blocks; r < r1; r++) f(r);
  });
}

}  // namespace

int batchNormForward(const Exec& ex, const float* x, const float* gamma, const float* beta, float* movingMean,
                     float* movingVariance, float* mean, float* invStd, float* y, size_t rows, size_t cols,
                     double epsilon, double momentum, bool training) {
  Scratch<double> mu(cols), istd(cols), part(blockCount(rows) * cols);
  if (!mu || !istd || !part) return kOutOfMemory;
  if (training && rows > 0) {
    columnSums(ex, rows, cols, part.p, mu.p, [&](size_t r, double* s) {
      const float* xr = x + r * cols;
      for (size_t j = 0; j < cols; j++) s[j] += xr[j];
    });
    for (size_t j = 0; j < cols; j++) mu.p[j] /= static_cast<double>(rows);
    const double* m = mu.p;
    columnSums(ex, rows, cols, part.p, istd.p, [&](size_t r, double* s) {
      const float* xr = x + r * cols;
      for (size_t j = 0; j < cols; j++) {
        const double d = xr[j] - m[j];
        s[j] += d * d;
      }
    });
    for (size_t j = 0; j < cols; j++) {
      const double variance = istd.p[j] / static_cast<double>(rows);
      istd.p[j] = 1.0 / m::sqrt(variance + epsilon);
      movingMean[j] = static_cast<float>(movingMean[j] - (movingMean[j] - mu.p[j]) * (1.0 - momentum));
      movingVariance[j] = static_cast<float>(movingVariance[j] - (movingVariance[j] - variance) * (1.0 - momentum));
    }
  } else {
    for (size_t j = 0; j < cols; j++) {
      mu.p[j] = movingMean[j];
      istd.p[j] = 1.0 / m::sqrt(static_cast<double>(movingVariance[j]) + epsilon);
    }
  }
  for (size_t j = 0; j < cols; j++) {
    mean[j] = static_cast<float>(mu.p[j]);
    invStd[j] = static_cast<float>(istd.p[j]);
  }
  const double* m = mu.p;
  const double* is = istd.p;
  byRows(ex, rows, [&](size_t r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    for (size_t j = 0; j < cols; j++) {
      const double v = (xr[j] - m[j]) * is[j];
      yr[j] = static_cast<float>((gamma ? gamma[j] * v : v) + (beta ? static_cast<double>(beta[j]) : 0.0));
    }
  });
  return kOk;
}

int batchNormBackward(const Exec& ex, const float* x, const float* gamma, const float* mean, const float* invStd,
                      const float* dy, float* dx, float* dgamma, float* dbeta, size_t rows, size_t cols) {
  const size_t blocks = blockCount(rows);
  Scratch<double> sumDy(cols), sumDyXhat(cols), part(2 * blocks * cols), both(2 * cols);
  if (!sumDy || !sumDyXhat || !part || !both) return kOutOfMemory;
  // Both sums in one pass: a block's partials are [Σ dy | Σ dy·x̂], 2·cols wide.
  columnSums(ex, rows, 2 * cols, part.p, both.p, [&](size_t r, double* s) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    for (size_t j = 0; j < cols; j++) {
      const double g = dyr[j];
      s[j] += g;
      s[cols + j] += g * (static_cast<double>(xr[j]) - mean[j]) * invStd[j];
    }
  });
  for (size_t j = 0; j < cols; j++) {
    sumDy.p[j] = both.p[j];
    sumDyXhat.p[j] = both.p[cols + j];
  }
  const double n = static_cast<double>(rows);
  const double* sd = sumDy.p;
  const double* sdx = sumDyXhat.p;
  byRows(ex, rows, [&](size_t r) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    for (size_t j = 0; j < cols; j++) {
      const double xhat = (static_cast<double>(xr[j]) - mean[j]) * invStd[j];
      const double scale = ((gamma ? static_cast<double>(gamma[j]) : 1.0) * invStd[j]) / n;
      dxr[j] = static_cast<float>(scale * (n * dyr[j] - sd[j] - xhat * sdx[j]));
    }
  });
  for (size_t j = 0; j < cols; j++) {
    if (dgamma) dgamma[j] = static_cast<float>(sumDyXhat.p[j]);
    if (dbeta) dbeta[j] = static_cast<float>(sumDy.p[j]);
  }
  return kOk;
}

}  // namespace bp
