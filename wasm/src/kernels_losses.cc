// Exports: the losses (value and gradient in one pass; formulas in src/backend/ops.ts, arithmetic as
// native/losses.h: sums in double, each gradient element rounded once). The gradient may alias the prediction.
#include "activations.h"
#include "base.h"
#include "math.h"

using namespace bp;

namespace {

constexpr double kEps = 1e-7;

double mse(const float* p, const float* t, float* g, size_t n) {
  if (n == 0) return 0;
  double s = 0;
  const double k = 2.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    const double e = static_cast<double>(p[i]) - t[i];
    s += e * e;
    if (g) g[i] = static_cast<float>(k * e);
  }
  return s / static_cast<double>(n);
}

double mae(const float* p, const float* t, float* g, size_t n) {
  if (n == 0) return 0;
  double s = 0;
  const double k = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    const double e = static_cast<double>(p[i]) - t[i];
    s += m::fabs(e);
    if (g) g[i] = static_cast<float>(e > 0 ? k : e < 0 ? -k : e == 0 ? 0.0 : m::kNaN);
  }
  return s / static_cast<double>(n);
}

double huber(const float* p, const float* t, float* g, size_t n, double delta) {
  if (n == 0) return 0;
  double s = 0;
  const double k = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    const double e = static_cast<double>(p[i]) - t[i], a = m::fabs(e);
    if (a <= delta) {
      s += 0.5 * e * e;
      if (g) g[i] = static_cast<float>(k * e);
    } else {
      s += delta * (a - 0.5 * delta);
      if (g) g[i] = static_cast<float>(k * (e > 0 ? delta : -delta));
    }
  }
  return s / static_cast<double>(n);
}

double bce(const float* p, const float* t, float* g, size_t n) {
  if (n == 0) return 0;
  double s = 0;
  const double k = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    const double pi = p[i], ti = t[i];
    const bool inside = pi > kEps && pi < 1 - kEps;
    const double pc = pi < kEps ? kEps : pi > 1 - kEps ? 1 - kEps : pi;
    s -= ti * m::log(pc) + (1 - ti) * m::log(1 - pc);
    if (g) g[i] = static_cast<float>(inside ? (k * (pc - ti)) / (pc * (1 - pc)) : (pi == pi ? 0.0 : m::kNaN));
  }
  return s / static_cast<double>(n);
}

double bceLogits(const float* x, const float* t, float* g, size_t n) {
  if (n == 0) return 0;
  double s = 0;
  const double k = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    const double xi = x[i], ti = t[i];
    s += (xi > 0 ? xi : 0.0) - xi * ti + m::log1p(m::exp(-m::fabs(xi)));
    if (g) g[i] = static_cast<float>(k * (sigmoid(xi) - ti));
  }
  return s / static_cast<double>(n);
}

double cce(const float* p, const float* t, float* g, size_t rows, size_t cols) {
  if (rows == 0 || cols == 0) return 0;
  double s = 0;
  const double k = 1.0 / static_cast<double>(rows);
  const size_t n = rows * cols;
  for (size_t i = 0; i < n; i++) {
    const double pi = p[i], ti = t[i];
    const bool inside = pi > kEps && pi < 1 - kEps;
    const double pc = pi < kEps ? kEps : pi > 1 - kEps ? 1 - kEps : pi;
    s -= ti * m::log(pc);
    if (g) g[i] = static_cast<float>(inside ? (-k * ti) / pc : (pi == pi ? 0.0 : m::kNaN));
  }
  return s / static_cast<double>(rows);
}

// One exp per element: a row's e^(x-max) are parked in the gradient (read before written, so g may alias x).
double softmaxCe(const float* x, const float* t, float* g, size_t rows, size_t cols) {
  if (rows == 0 || cols == 0) return 0;
  double s = 0;
  const double k = 1.0 / static_cast<double>(rows);
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    const float* tr = t + r * cols;
    float* gr = g ? g + r * cols : nullptr;
    double mx = rowMax(xr, cols), tsum = 0, tdiff = 0;
    for (size_t j = 0; j < cols; j++) {
      const double tj = tr[j];
      tsum += tj;
      if (tj != 0) tdiff += tj * (mx - xr[j]);
    }
    const double sum = expShiftedSum(xr, gr, cols, mx);
    s += tdiff + tsum * m::log(sum);
    if (gr) {
      const double scale = tsum / sum;
      for (size_t j = 0; j < cols; j++) gr[j] = static_cast<float>(k * (static_cast<double>(gr[j]) * scale - tr[j]));
    }
  }
  return s / static_cast<double>(rows);
}

// Labels come from the module's own copy (read once, checked, used); a bad one stops the op: status = row + 1.
double softmaxCeSparse(const float* x, const int32_t* labels, float* g, size_t rows, size_t cols, int32_t* status) {
  if (rows == 0) return 0;
  double s = 0;
  const double k = 1.0 / static_cast<double>(rows);
  for (size_t r = 0; r < rows; r++) {
    const int32_t label = labels[r];
    if (label < 0 || static_cast<size_t>(label) >= cols) {
      *status = static_cast<int32_t>(r) + 1;
      return 0;
    }
    const float* xr = x + r * cols;
    float* gr = g ? g + r * cols : nullptr;
    const double mx = rowMax(xr, cols), xl = xr[label];
    const double sum = expShiftedSum(xr, gr, cols, mx);
    s += (mx - xl) + m::log(sum);
    if (gr) {
      const double scale = k / sum;
      for (size_t j = 0; j < cols; j++) gr[j] = static_cast<float>(static_cast<double>(gr[j]) * scale);
      gr[label] = static_cast<float>(static_cast<double>(gr[label]) - k);
    }
  }
  return s / static_cast<double>(rows);
}

}  // namespace

BP_EXPORT("meanSquaredError")
double bpMse(int32_t*, int, const float* p, const float* t, float* g, int rows, int cols) {
  return mse(p, t, g, static_cast<size_t>(rows) * cols);
}
BP_EXPORT("meanAbsoluteError")
double bpMae(int32_t*, int, const float* p, const float* t, float* g, int rows, int cols) {
  return mae(p, t, g, static_cast<size_t>(rows) * cols);
}
BP_EXPORT("huber")
double bpHuber(int32_t*, int, const float* p, const float* t, float* g, int rows, int cols, double delta) {
  return huber(p, t, g, static_cast<size_t>(rows) * cols, delta);
}
BP_EXPORT("binaryCrossentropy")
double bpBce(int32_t*, int, const float* p, const float* t, float* g, int rows, int cols) {
  return bce(p, t, g, static_cast<size_t>(rows) * cols);
}
BP_EXPORT("sigmoidCrossEntropyWithLogits")
double bpBceLogits(int32_t*, int, const float* x, const float* t, float* g, int rows, int cols) {
  return bceLogits(x, t, g, static_cast<size_t>(rows) * cols);
}
BP_EXPORT("categoricalCrossentropy")
double bpCce(int32_t*, int, const float* p, const float* t, float* g, int rows, int cols) {
  return cce(p, t, g, rows, cols);
}
BP_EXPORT("softmaxCrossEntropy")
double bpSoftmaxCe(int32_t*, int, const float* x, const float* t, float* g, int rows, int cols) {
  return softmaxCe(x, t, g, rows, cols);
}
BP_EXPORT("softmaxCrossEntropySparse")
double bpSoftmaxCeSparse(int32_t* status, int, const float* x, const int32_t* labels, float* g, int rows, int cols) {
  return softmaxCeSparse(x, labels, g, rows, cols, status);
}
