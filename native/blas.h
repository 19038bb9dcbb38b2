// Row-major gemm over OpenBLAS, plus the fused dense forward/backward built on it.
#pragma once
#include <cblas.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "activations.h"
#include "blas_threads.h"
#include "simd.h"
#include "thread_pool.h"

namespace bp {

inline void cblasGemm(bool ta, bool tb, int m, int n, int k, double alpha, const float* a, int lda,
                      const float* b, int ldb, double beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
              static_cast<float>(alpha), a, lda, b, ldb, static_cast<float>(beta), c, ldc);
}
inline void cblasGemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda,
                      const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
}

// How many blocks a product is split into over the thread pool (blas_threads.h), 1 for OpenBLAS's own threading:
// products of at least 2²¹ multiply-adds with a side of at most 512 (the thin products of transformer and MLP
// steps; large square ones OpenBLAS threads well itself), at least 64 rows (or columns) per block.
inline size_t gemmParts(size_t m, size_t n, size_t k) {
  if (!gemmSplitSupported()) return 1;
  const size_t threads = static_cast<size_t>(poolThreads());
  if (threads < 2 || m * n * k < (size_t(1) << 21) || std::min({m, n, k}) > 512) return 1;
  return std::min(threads, std::max(m, n) / 64);
}

// Where block p of `parts` starts along a side of `along` rows (or columns): cut at multiples of 16.
inline size_t blockStart(size_t along, size_t p, size_t parts) {
  return p >= parts ? along : std::min(along, (along * p / parts + 8) / 16 * 16);
}

// c = alpha·op(a)·op(b) + beta·c; dims already checked to fit in int. Zero sizes never reach BLAS
// (OpenBLAS rejects lda = 0).
template <typename T>
void gemm(bool ta, bool tb, size_t m, size_t n, size_t k, double alpha, const T* a, const T* b, double beta, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0) {
    size_t len = m * n;
    if (beta == 0) std::fill(c, c + len, T(0));
    else if (beta != 1) for (size_t i = 0; i < len; i++) c[i] = static_cast<T>(beta * c[i]);
    return;
  }
  // With beta = 0 OpenBLAS overwrites c without reading it (NaN in c does not propagate; tested).
  const int lda = static_cast<int>(ta ? m : k), ldb = static_cast<int>(tb ? k : n), ldc = static_cast<int>(n);
  const size_t parts = gemmParts(m, n, k);
  if (parts < 2) {
    cblasGemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a, lda, b, ldb, beta, c,
              ldc);
    return;
  }
  // Blocks of whole rows of C (or of columns, when C is wider than tall), cut at multiples of 16, one per thread;
  // each is op(a)'s rows times op(b), or op(a) times op(b)'s columns: the same products, element by element.
  const bool byRows = m >= n;
  const size_t along = byRows ? m : n;
  SingleThreadedBlas single;
  parallelChunks(parts, [&](size_t p) {
    const size_t i0 = blockStart(along, p, parts), i1 = blockStart(along, p + 1, parts);
    if (i1 <= i0) return;
    const int len = static_cast<int>(i1 - i0);
    if (byRows) {
      cblasGemm(ta, tb, len, static_cast<int>(n), static_cast<int>(k), alpha, a + (ta ? i0 : i0 * k), lda, b, ldb,
                beta, c + i0 * n, ldc);
    } else {
      cblasGemm(ta, tb, static_cast<int>(m), len, static_cast<int>(k), alpha, a, lda, b + (tb ? i0 * k : i0), ldb,
                beta, c + i0, ldc);
    }
  });
}

// Rows [r0, r1) of the dense forward's pass after the gemm: z += b, y = f(z) (softmax: per row).
template <typename T>
BP_CLONES void biasActivateRows(const T* b, T* z, T* y, size_t r0, size_t r1, size_t n, int act, double alpha) {
  for (size_t r = r0; r < r1; r++) {
    T* zr = z + r * n;
    T* yr = y + r * n;
    if (b) for (size_t j = 0; j < n; j++) zr[j] += b[j];
    if (act != SOFTMAX) forwardRange(act, alpha, zr, yr, n);
  }
  if (act == SOFTMAX) softmaxRows(z + r0 * n, y + r0 * n, r1 - r0, n);
}

// The elementwise passes around the gemms are memory-bound: large ones are split over the thread pool by rows
// (or columns, for the bias gradient), which changes no element's arithmetic: the same bits at any thread count.
constexpr size_t kDenseSplit = size_t(1) << 15;

template <typename F>
void denseSplit(size_t items, size_t work, F fn) {
  if (work < kDenseSplit || items < 2) {
    fn(size_t(0), items);
    return;
  }
  const size_t chunks = chunkCount(items);
  parallelChunks(chunks, [&](size_t c) { fn(items * c / chunks, items * (c + 1) / chunks); });
}

// z[r0..r1) = the bias in every row.
template <typename T>
void biasRows(const T* b, T* z, size_t r0, size_t r1, size_t n) {
  for (size_t r = r0; r < r1; r++) std::memcpy(z + r * n, b, n * sizeof(T));
}

// With a bias, z starts as the bias in every row and the gemm adds x·w to it (beta = 1): BLAS then neither zeroes
// z first nor needs a pass to add the bias after (x·w is summed onto b: the last bits may differ from x·w, then + b).
template <typename T>
void denseForward(const T* x, const T* w, const T* b, T* z, T* y, size_t m, size_t k, size_t n, int act, double alpha) {
  // A product split by rows (gemm): each block's bias rows, product and activation in one run of the pool, while
  // the block is in cache; every element computed as in the passes below.
  const size_t parts = k && n ? gemmParts(m, n, k) : 1;
  if (parts >= 2 && m >= n) {
    SingleThreadedBlas single;
    parallelChunks(parts, [&](size_t p) {
      const size_t r0 = blockStart(m, p, parts), r1 = blockStart(m, p + 1, parts);
      if (r1 <= r0) return;
      if (b) biasRows(b, z, r0, r1, n);
      cblasGemm(false, false, static_cast<int>(r1 - r0), static_cast<int>(n), static_cast<int>(k), 1.0, x + r0 * k,
                static_cast<int>(k), w, static_cast<int>(n), b ? 1.0 : 0.0, z + r0 * n, static_cast<int>(n));
      if (!(act == LINEAR && y == z)) biasActivateRows<T>(nullptr, z, y, r0, r1, n, act, alpha);
    });
    return;
  }
  if (b && n) {
    denseSplit(m, m * n, [&](size_t r0, size_t r1) { biasRows(b, z, r0, r1, n); });
    gemm(false, false, m, n, k, 1.0, x, w, 1.0, z);
  } else {
    gemm(false, false, m, n, k, 1.0, x, w, 0.0, z);
  }
  if (act == LINEAR && y == z) return;
  denseSplit(m, m * n, [&](size_t r0, size_t r1) { biasActivateRows<T>(nullptr, z, y, r0, r1, n, act, alpha); });
}

// db[j0..j1) = Σ_rows dz[·, j], each column summed over the rows in order.
template <typename T>
BP_CLONES void biasGradColumns(const T* dz, T* db, size_t m, size_t n, size_t j0, size_t j1) {
  std::fill(db + j0, db + j1, T(0));
  for (size_t r = 0; r < m; r++) {
    const T* dzr = dz + r * n;
    for (size_t j = j0; j < j1; j++) db[j] += dzr[j];
  }
}

template <typename T>
BP_CLONES void activationBackwardRows(int act, double alpha, const T* z, const T* y, const T* dy, T* dz, size_t r0,
                                      size_t r1, size_t n) {
  const size_t o = r0 * n;
  activationBackward(act, alpha, z + o, y + o, dy + o, dz + o, r1 - r0, n);
}

template <typename T>
void denseBackward(const T* x, const T* w, const T* z, const T* y, const T* dy, T* dz, T* dw, T* db, T* dx,
                   size_t m, size_t k, size_t n, int act, double alpha) {
  const bool passes = !(act == LINEAR && dz == dy);
  // dx's product split by rows (gemm): each block's activation gradient and its rows of dx in one run of the pool.
  const size_t parts = dx && k && n ? gemmParts(m, k, n) : 1;
  if (parts >= 2 && m >= k) {
    SingleThreadedBlas single;
    parallelChunks(parts, [&](size_t p) {
      const size_t r0 = blockStart(m, p, parts), r1 = blockStart(m, p + 1, parts);
      if (r1 <= r0) return;
      if (passes) activationBackwardRows(act, alpha, z, y, dy, dz, r0, r1, n);
      cblasGemm(false, true, static_cast<int>(r1 - r0), static_cast<int>(k), static_cast<int>(n), 1.0, dz + r0 * n,
                static_cast<int>(n), w, static_cast<int>(n), 0.0, dx + r0 * k, static_cast<int>(k));
    });
    dx = nullptr;
  } else if (passes) {
    denseSplit(m, m * n, [&](size_t r0, size_t r1) { activationBackwardRows(act, alpha, z, y, dy, dz, r0, r1, n); });
  }
  gemm(true, false, k, n, m, 1.0, x, dz, 0.0, dw);
  // Columns in groups of 16 (a cache line of float32 per row), so that no two threads write one line of db; one
  // block of groups per thread (not the pool's four chunks per thread): each chunk walks all m rows, and the wider
  // its columns, the more of each row's lines it reads at once.
  if (db) {
    const size_t groups = (n + 15) / 16;
    const size_t chunks = m * n < kDenseSplit ? 1 : std::min(groups, static_cast<size_t>(poolThreads()));
    parallelChunks(chunks, [&](size_t c) {
      biasGradColumns(dz, db, m, n, groups * c / chunks * 16, std::min(n, groups * (c + 1) / chunks * 16));
    });
  }
  if (dx) gemm(false, true, m, k, n, 1.0, dz, w, 0.0, dx);
}

}  // namespace bp
