// Exports: gemm, the activations and the fused dense layer. Every export of the module takes a status slot and
// a flag saying whether it may use the thread pool, then the op's arguments in the op table's order (arrays as
// pointers into this memory, null for null; dims and activation codes as int; numbers as double; booleans as
// int), and returns a double: the op's value, or 0. The JS side has checked every argument (the same checks as
// the JS backend) and copied the arrays in; a failure here is reported through *status (base.h).
#include "activations.h"
#include "base.h"
#include "gemm.h"

namespace bp {

namespace {

void addBiasActivate(const Exec& ex, const float* b, float* z, float* y, size_t m, size_t n, int act, double alpha) {
  if (act == SOFTMAX) {
    if (b)
      for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++) z[r * n + j] += b[j];
    softmaxRows(z, y, m, n);
    return;
  }
  // Rows in fixed blocks: elementwise, so any split gives the same values.
  const size_t rowsPer = max<size_t>(1, 16384 / max<size_t>(1, n));
  const int tasks = static_cast<int>((m + rowsPer - 1) / rowsPer);
  parallel(ex, tasks, [&](int t, int) {
    const size_t r1 = min(m, (t + 1) * rowsPer);
    for (size_t r = t * rowsPer; r < r1; r++) {
      float* zr = z + r * n;
      if (b) {
        size_t j = 0;
        for (; j + 4 <= n; j += 4) store4(zr + j, load4(zr + j) + load4(b + j));
        for (; j < n; j++) zr[j] += b[j];
      }
      forwardRange(act, alpha, zr, y + r * n, n);
    }
  });
}

// Σ over rows of dz into db (n), in double, rows in order.
void columnSums(const float* dz, size_t m, size_t n, float* db) {
  constexpr size_t kCols = 256;
  double sums[kCols];
  for (size_t j0 = 0; j0 < n; j0 += kCols) {
    const size_t w = min(kCols, n - j0);
    for (size_t j = 0; j < w; j++) sums[j] = 0;
    for (size_t r = 0; r < m; r++) {
      const float* d = dz + r * n + j0;
      for (size_t j = 0; j < w; j++) sums[j] += d[j];
    }
    for (size_t j = 0; j < w; j++) db[j0 + j] = static_cast<float>(sums[j]);
  }
}

}  // namespace
}  // namespace bp

using namespace bp;

BP_EXPORT("gemm")
double bpGemm(int32_t* status, int pooled, int transA, int transB, int m, int n, int k, double alpha, const float* a,
              const float* b, double beta, float* c) {
  const Exec ex = execOf(pooled);
  if (!gemm(ex, m, n, k, static_cast<float>(alpha), rowMajor(a, transA ? m : k, transA),
            rowMajor(b, transB ? k : n, transB), static_cast<float>(beta), c, n))
    *status = kOutOfMemory;
  return 0;
}

BP_EXPORT("activationForward")
double bpActivationForward(int32_t*, int, int act, double alpha, const float* z, float* y, int rows, int cols) {
  activationForward(act, alpha, z, y, rows, cols);
  return 0;
}

BP_EXPORT("activationBackward")
double bpActivationBackward(int32_t*, int, int act, double alpha, const float* z, const float* y, const float* dy,
                            float* dz, int rows, int cols) {
  activationBackward(act, alpha, z, y, dy, dz, rows, cols);
  return 0;
}

BP_EXPORT("denseForward")
double bpDenseForward(int32_t* status, int pooled, const float* x, const float* w, const float* b, float* z, float* y,
                      int m, int k, int n, int act, double alpha) {
  const Exec ex = execOf(pooled);
  if (!gemm(ex, m, n, k, 1.0f, Mat{x, static_cast<size_t>(k), 1}, Mat{w, static_cast<size_t>(n), 1}, 0.0f, z, n)) {
    *status = kOutOfMemory;
    return 0;
  }
  addBiasActivate(ex, b, z, y, m, n, act, alpha);
  return 0;
}

BP_EXPORT("denseBackward")
double bpDenseBackward(int32_t* status, int pooled, const float* x, const float* w, const float* z, const float* y,
                       const float* dy, float* dz, float* dw, float* db, float* dx, int m, int k, int n, int act,
                       double alpha) {
  const Exec ex = execOf(pooled);
  activationBackward(act, alpha, z, y, dy, dz, m, n);
  const size_t M = m, K = k, N = n;
  // dw = xᵀ·dz (k×n), db = Σ_rows dz, dx = dz·wᵀ (m×k).
  if (!gemm(ex, K, N, M, 1.0f, Mat{x, 1, K}, Mat{dz, N, 1}, 0.0f, dw, N)) {
    *status = kOutOfMemory;
    return 0;
  }
  if (db) columnSums(dz, M, N, db);
  if (dx && !gemm(ex, M, K, N, 1.0f, Mat{dz, N, 1}, Mat{w, 1, N}, 0.0f, dx, K)) *status = kOutOfMemory;
  return 0;
}

BP_EXPORT("bp_activation_count") int bpActivationCount() { return ACT_COUNT; }
