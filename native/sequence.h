// Embedding lookups (and their sparse SGD step) and layer normalization (formulas in src/backend/ops.ts; the
// JS reference is src/backend/js/sequence.ts). Token ids are read once each, checked, and only the checked
// local is used (indices.h); an id out of range stops the op and is reported with its position.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "denormals.h"
#include "indices.h"
#include "simd.h"
#include "thread_pool.h"

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

// Σ x[j]·(x[j] − shift)ᵏ⁻¹ in double over 8 interleaved partial sums added in a fixed order: the compiler
// vectorizes it (one running sum is a chain of dependent adds, ~4 cycles per value), and the AVX2 and baseline
// clones compute the same bits. k = 1: Σ x; k = 2: Σ (x − shift)².
template <typename T, int K>
inline double rowSum(const T* x, size_t n, double shift) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int l = 0; l < 8; l++) {
      const double d = K == 1 ? static_cast<double>(x[j + l]) : x[j + l] - shift;
      acc[l] += K == 1 ? d : d * d;
    }
  }
  for (int l = 0; j < n; j++, l++) {
    const double d = K == 1 ? static_cast<double>(x[j]) : x[j] - shift;
    acc[l] += K == 1 ? d : d * d;
  }
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// Rows [r0, r1) of layerNormForward.
template <typename T>
BP_CLONES void layerNormRows(const T* x, const T* gamma, const T* beta, T* y, T* stats, size_t r0, size_t r1,
                             size_t cols, double eps) {
  for (size_t r = r0; r < r1; r++) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const double mean = rowSum<T, 1>(xr, cols, 0) / static_cast<double>(cols);
    const double rstd = 1.0 / std::sqrt(rowSum<T, 2>(xr, cols, mean) / static_cast<double>(cols) + eps);
    stats[2 * r] = static_cast<T>(mean);
    stats[2 * r + 1] = static_cast<T>(rstd);
    // Every branch outside the loop, so that each loop vectorizes.
    if (gamma && beta) {
      for (size_t j = 0; j < cols; j++) yr[j] = static_cast<T>((xr[j] - mean) * rstd * gamma[j] + beta[j]);
    } else if (gamma) {
      for (size_t j = 0; j < cols; j++) yr[j] = static_cast<T>((xr[j] - mean) * rstd * gamma[j]);
    } else if (beta) {
      for (size_t j = 0; j < cols; j++) yr[j] = static_cast<T>((xr[j] - mean) * rstd + beta[j]);
    } else {
      for (size_t j = 0; j < cols; j++) yr[j] = static_cast<T>((xr[j] - mean) * rstd);
    }
  }
}

// Runs fn(r0, r1) over [0, rows) on the thread pool when the op is large enough to gain from it (the split does
// not change any row's arithmetic).
template <typename F>
void overRows(size_t rows, size_t cols, F fn) {
  if (rows * cols < (size_t(1) << 15) || rows < 2) {
    fn(size_t(0), rows);
    return;
  }
  const size_t chunks = chunkCount(rows);
  parallelChunks(chunks, [&](size_t c) { fn(rows * c / chunks, rows * (c + 1) / chunks); });
}

template <typename T>
void layerNormForward(const T* x, const T* gamma, const T* beta, T* y, T* stats, size_t rows, size_t cols,
                      double eps) {
  if (cols == 0) return;
  overRows(rows, cols, [&](size_t r0, size_t r1) { layerNormRows(x, gamma, beta, y, stats, r0, r1, cols, eps); });
}

// Rows [r0, r1) of layerNormBackward: dx (unless null), and Σ_rows dy·x̂ and Σ_rows dy into pg and pb (double,
// overwritten; null to skip).
template <typename T>
BP_CLONES void layerNormBackRows(const T* x, const T* gamma, const T* stats, const T* dy, T* dx, double* pg,
                                 double* pb, size_t r0, size_t r1, size_t cols) {
  if (pg) std::fill(pg, pg + cols, 0.0);
  if (pb) std::fill(pb, pb + cols, 0.0);
  for (size_t r = r0; r < r1; r++) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    const double mean = stats[2 * r], rstd = stats[2 * r + 1];
    if (pg)
      for (size_t j = 0; j < cols; j++) pg[j] += dyr[j] * ((xr[j] - mean) * rstd);
    if (pb)
      for (size_t j = 0; j < cols; j++) pb[j] += dyr[j];
    if (!dx) continue;
    double sg[8] = {0, 0, 0, 0, 0, 0, 0, 0}, sgx[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= cols; j += 8) {
      for (int l = 0; l < 8; l++) {
        const double xhat = (xr[j + l] - mean) * rstd;
        const double g = gamma ? dyr[j + l] * static_cast<double>(gamma[j + l]) : static_cast<double>(dyr[j + l]);
        sg[l] += g;
        sgx[l] += g * xhat;
      }
    }
    for (int l = 0; j < cols; j++, l++) {
      const double xhat = (xr[j] - mean) * rstd;
      const double g = gamma ? dyr[j] * static_cast<double>(gamma[j]) : static_cast<double>(dyr[j]);
      sg[l] += g;
      sgx[l] += g * xhat;
    }
    const double n = static_cast<double>(cols);
    const double mg = (((sg[0] + sg[4]) + (sg[1] + sg[5])) + ((sg[2] + sg[6]) + (sg[3] + sg[7]))) / n;
    const double mgx = (((sgx[0] + sgx[4]) + (sgx[1] + sgx[5])) + ((sgx[2] + sgx[6]) + (sgx[3] + sgx[7]))) / n;
    T* dxr = dx + r * cols;
    if (gamma) {
      for (size_t k = 0; k < cols; k++)
        dxr[k] = static_cast<T>(rstd * (dyr[k] * static_cast<double>(gamma[k]) - mg - (xr[k] - mean) * rstd * mgx));
    } else {
      for (size_t k = 0; k < cols; k++)
        dxr[k] = static_cast<T>(rstd * (static_cast<double>(dyr[k]) - mg - (xr[k] - mean) * rstd * mgx));
    }
  }
}

// dGamma and dBeta are summed over fixed blocks of rows, then over the blocks in order: the blocks depend only on
// the shape, so the bits are the same at any thread count. At most 2¹⁶ partial values per sum (bounded scratch).
template <typename T>
void layerNormBackward(const T* x, const T* gamma, const T* stats, const T* dy, T* dx, T* dGamma, T* dBeta,
                       size_t rows, size_t cols) {
  if (dGamma) std::fill(dGamma, dGamma + cols, T(0));
  if (dBeta) std::fill(dBeta, dBeta + cols, T(0));
  if (cols == 0 || rows == 0) return;
  const size_t most = std::max<size_t>(1, (size_t(1) << 16) / cols);
  const size_t blocks = std::min((rows + 63) / 64, most), per = (rows + blocks - 1) / blocks;
  const size_t used = (rows + per - 1) / per;
  thread_local std::vector<double> scratch;
  const bool sums = dGamma || dBeta;
  if (sums && scratch.size() < 2 * used * cols) scratch.resize(2 * used * cols);
  double* pg = dGamma ? scratch.data() : nullptr;
  double* pb = dBeta ? scratch.data() + used * cols : nullptr;
  auto block = [&](size_t i) {
    layerNormBackRows(x, gamma, stats, dy, dx, pg ? pg + i * cols : nullptr, pb ? pb + i * cols : nullptr, i * per,
                      std::min(rows, (i + 1) * per), cols);
  };
  if (rows * cols < (size_t(1) << 15) || used < 2) {
    for (size_t i = 0; i < used; i++) block(i);
  } else {
    const size_t chunks = chunkCount(used);
    parallelChunks(chunks, [&](size_t c) {
      for (size_t i = used * c / chunks; i < used * (c + 1) / chunks; i++) block(i);
    });
  }
  // The blocks' sums in block order, into the first block's row (vectorized over the columns).
  for (double* p : {pg, pb}) {
    if (!p) continue;
    for (size_t i = 1; i < used; i++)
      for (size_t j = 0; j < cols; j++) p[j] += p[i * cols + j];
    T* out = p == pg ? dGamma : dBeta;
    for (size_t j = 0; j < cols; j++) out[j] = static_cast<T>(p[j]);
  }
}

}  // namespace bp
