// Embedding lookups (and their sparse SGD step) and layer normalization (formulas in src/backend/ops.ts; the
// JS reference is src/backend/js/sequence.ts). Token ids are read once each, checked, and only the checked
// local is used (indices.h); an id out of range stops the op and is reported with its position.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstring>

#include "denormals.h"
#include "indices.h"
#include "simd.h"

namespace bp {

template <typename T>
BadIndex embeddingForward(const int32_t* ids, const T* table, T* out, size_t n, size_t vocab, size_t dim) {
  BadIndex bad;
  for (size_t i = 0; i < n; i++) {
    size_t id;
    if (!readIndex(ids, i, vocab, &id, &bad)) return bad;
    std::memcpy(out + i * dim, table + id * dim, dim * sizeof(T));
  }
  return bad;
}

template <typename T>
BP_CLONES BadIndex embeddingBackward(const int32_t* ids, const T* dy, T* dTable, size_t n, size_t vocab, size_t dim) {
  BadIndex bad;
  for (size_t i = 0; i < n; i++) {
    size_t id;
    if (!readIndex(ids, i, vocab, &id, &bad)) return bad;
    T* row = dTable + id * dim;
    const T* d = dy + i * dim;
    for (size_t j = 0; j < dim; j++) row[j] += d[j];
  }
  return bad;
}

// Same arithmetic as sgd() in optimizers.h (double, rounded on store, denormals flushed), so the rows it
// updates come out bit-identical to a dense sgdStep.
template <typename T>
BP_CLONES BadIndex sparseSgd(const int32_t* ids, T* w, T* g, size_t n, size_t vocab, size_t dim, double lr) {
  FlushDenormals ftz;
  BadIndex bad;
  for (size_t i = 0; i < n; i++) {
    size_t id;
    if (!readIndex(ids, i, vocab, &id, &bad)) return bad;
    T* wr = w + id * dim;
    T* gr = g + id * dim;
    for (size_t j = 0; j < dim; j++) {
      wr[j] = static_cast<T>(wr[j] - lr * gr[j]);
      gr[j] = T(0);
    }
  }
  return bad;
}

template <typename T>
BP_CLONES void layerNormForward(const T* x, const T* gamma, const T* beta, T* y, T* stats, size_t rows, size_t cols,
                                double eps) {
  if (cols == 0) return;
  for (size_t r = 0; r < rows; r++) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    double sum = 0;
    for (size_t j = 0; j < cols; j++) sum += xr[j];
    double mean = sum / static_cast<double>(cols);
    double sq = 0;
    for (size_t j = 0; j < cols; j++) {
      double d = xr[j] - mean;
      sq += d * d;
    }
    double rstd = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps);
    stats[2 * r] = static_cast<T>(mean);
    stats[2 * r + 1] = static_cast<T>(rstd);
    for (size_t j = 0; j < cols; j++) {
      double v = (xr[j] - mean) * rstd;
      if (gamma) v *= gamma[j];
      if (beta) v += beta[j];
      yr[j] = static_cast<T>(v);
    }
  }
}

template <typename T>
BP_CLONES void layerNormBackward(const T* x, const T* gamma, const T* stats, const T* dy, T* dx, T* dGamma, T* dBeta,
                                 size_t rows, size_t cols) {
  if (dGamma) std::fill(dGamma, dGamma + cols, T(0));
  if (dBeta) std::fill(dBeta, dBeta + cols, T(0));
  if (cols == 0) return;
  for (size_t r = 0; r < rows; r++) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    double mean = stats[2 * r], rstd = stats[2 * r + 1];
    double sg = 0, sgx = 0;
    for (size_t j = 0; j < cols; j++) {
      double xhat = (xr[j] - mean) * rstd;
      double g = gamma ? dyr[j] * static_cast<double>(gamma[j]) : static_cast<double>(dyr[j]);
      sg += g;
      sgx += g * xhat;
      if (dGamma) dGamma[j] = static_cast<T>(dGamma[j] + dyr[j] * xhat);
      if (dBeta) dBeta[j] = static_cast<T>(dBeta[j] + dyr[j]);
    }
    if (!dx) continue;
    double mg = sg / static_cast<double>(cols), mgx = sgx / static_cast<double>(cols);
    T* dxr = dx + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double xhat = (xr[j] - mean) * rstd;
      double g = gamma ? dyr[j] * static_cast<double>(gamma[j]) : static_cast<double>(dyr[j]);
      dxr[j] = static_cast<T>(rstd * (g - mg - xhat * mgx));
    }
  }
}

}  // namespace bp
