// Exports: embedding lookups, their sparse SGD step, and layer normalization (native/sequence.h). Token ids come
// from the module's own copy of the array: each is read once, checked, and only that read is used; an id out of
// range stops the op with its position + 1 in the status (the JS side then raises the JS backend's error).
#include "base.h"
#include "math.h"

using namespace bp;

namespace {

BP_INLINE bool idAt(const int32_t* ids, size_t i, size_t vocab, size_t* id) {
  const int32_t v = ids[i];
  if (v < 0 || static_cast<size_t>(v) >= vocab) return false;
  *id = static_cast<size_t>(v);
  return true;
}

}  // namespace

BP_EXPORT("embeddingForward")
double bpEmbeddingForward(int32_t* status, int, const int32_t* ids, const float* table, float* out, int n, int vocab,
                          int dim) {
  for (size_t i = 0; i < static_cast<size_t>(n); i++) {
    size_t id;
    if (!idAt(ids, i, vocab, &id)) {
      *status = static_cast<int32_t>(i) + 1;
      return 0;
    }
    copy(out + i * dim, table + id * dim, dim);
  }
  return 0;
}

BP_EXPORT("embeddingBackward")
double bpEmbeddingBackward(int32_t* status, int, const int32_t* ids, const float* dy, float* dTable, int n, int vocab,
                           int dim) {
  for (size_t i = 0; i < static_cast<size_t>(n); i++) {
    size_t id;
    if (!idAt(ids, i, vocab, &id)) {
      *status = static_cast<int32_t>(i) + 1;
      return 0;
    }
    float* row = dTable + id * dim;
    const float* d = dy + i * dim;
    for (int j = 0; j < dim; j++) row[j] += d[j];
  }
  return 0;
}

// The arithmetic of sgdStep (double, rounded on store), so the rows it updates match a dense step.
BP_EXPORT("sparseSgdStep")
double bpSparseSgd(int32_t* status, int, const int32_t* ids, float* w, float* g, int n, int vocab, int dim, double lr) {
  for (size_t i = 0; i < static_cast<size_t>(n); i++) {
    size_t id;
    if (!idAt(ids, i, vocab, &id)) {
      *status = static_cast<int32_t>(i) + 1;
      return 0;
    }
    float* wr = w + id * dim;
    float* gr = g + id * dim;
    for (int j = 0; j < dim; j++) {
      const float v = static_cast<float>(wr[j] - lr * gr[j]);
      wr[j] = m::fabs(v) < 1.17549435e-38f ? 0.0f : v;
      gr[j] = 0.0f;
    }
  }
  return 0;
}

BP_EXPORT("layerNormForward")
double bpLayerNormForward(int32_t*, int, const float* x, const float* gamma, const float* beta, float* y, float* stats,
                          int rows, int cols, double eps) {
  if (cols == 0) return 0;
  for (size_t r = 0; r < static_cast<size_t>(rows); r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double sum = 0;
    for (int j = 0; j < cols; j++) sum += xr[j];
    const double mean = sum / cols;
    double sq = 0;
    for (int j = 0; j < cols; j++) {
      const double d = xr[j] - mean;
      sq += d * d;
    }
    const double rstd = 1.0 / m::sqrt(sq / cols + eps);
    stats[2 * r] = static_cast<float>(mean);
    stats[2 * r + 1] = static_cast<float>(rstd);
    for (int j = 0; j < cols; j++) {
      double v = (xr[j] - mean) * rstd;
      if (gamma) v *= gamma[j];
      if (beta) v += beta[j];
      yr[j] = static_cast<float>(v);
    }
  }
  return 0;
}

BP_EXPORT("layerNormBackward")
double bpLayerNormBackward(int32_t*, int, const float* x, const float* gamma, const float* stats, const float* dy,
                           float* dx, float* dGamma, float* dBeta, int rows, int cols) {
  if (dGamma) fill(dGamma, cols, 0.0f);
  if (dBeta) fill(dBeta, cols, 0.0f);
  if (cols == 0) return 0;
  for (size_t r = 0; r < static_cast<size_t>(rows); r++) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    const double mean = stats[2 * r], rstd = stats[2 * r + 1];
    double sg = 0, sgx = 0;
    for (int j = 0; j < cols; j++) {
      const double xhat = (xr[j] - mean) * rstd;
      const double g = gamma ? dyr[j] * static_cast<double>(gamma[j]) : static_cast<double>(dyr[j]);
      sg += g;
      sgx += g * xhat;
      if (dGamma) dGamma[j] = static_cast<float>(dGamma[j] + dyr[j] * xhat);
      if (dBeta) dBeta[j] = static_cast<float>(dBeta[j] + dyr[j]);
    }
    if (!dx) continue;
    const double mg = sg / cols, mgx = sgx / cols;
    float* dxr = dx + r * cols;
    for (int j = 0; j < cols; j++) {
      const double xhat = (xr[j] - mean) * rstd;
      const double g = gamma ? dyr[j] * static_cast<double>(gamma[j]) : static_cast<double>(dyr[j]);
      dxr[j] = static_cast<float>(rstd * (g - mg - xhat * mgx));
    }
  }
  return 0;
}
