// Row-major gemm over OpenBLAS, plus the fused dense forward/backward built on it.
#pragma once
#include <cblas.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "activations.h"
#include "simd.h"

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
  int lda = static_cast<int>(ta ? m : k), ldb = static_cast<int>(tb ? k : n);
  cblasGemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a, lda, b, ldb,
            beta, c, static_cast<int>(n));
}

template <typename T>
BP_CLONES void denseForward(const T* x, const T* w, const T* b, T* z, T* y, size_t m, size_t k, size_t n, int act, double alpha) {
  gemm(false, false, m, n, k, 1.0, x, w, 0.0, z);
  for (size_t r = 0; r < m; r++) {
    T* zr = z + r * n;
    T* yr = y + r * n;
    if (b) for (size_t j = 0; j < n; j++) zr[j] += b[j];
    if (act != SOFTMAX) forwardRange(act, alpha, zr, yr, n);
  }
  if (act == SOFTMAX) softmaxRows(z, y, m, n);
}

template <typename T>
BP_CLONES void denseBackward(const T* x, const T* w, const T* z, const T* y, const T* dy, T* dz, T* dw, T* db, T* dx,
                   size_t m, size_t k, size_t n, int act, double alpha) {
  activationBackward(act, alpha, z, y, dy, dz, m, n);
  gemm(true, false, k, n, m, 1.0, x, dz, 0.0, dw);
  if (db) {
    std::fill(db, db + n, T(0));
    for (size_t r = 0; r < m; r++) {
      const T* dzr = dz + r * n;
      for (size_t j = 0; j < n; j++) db[j] += dzr[j];
    }
  }
  if (dx) gemm(false, true, m, k, n, 1.0, dz, w, 0.0, dx);
}

}  // namespace bp
