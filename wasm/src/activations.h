// Activation kernels (float32). Codes are the indices of src/backend/activations.ts's table (the loader refuses a
// module whose bp_activation_count differs) and formulas those of src/backend/ops.ts; as in native/activations.h,
// every element is computed in double and rounded once on store, except the exact ones (linear, relu) which run
// four lanes at a time.
#pragma once
#include "base.h"
#include "math.h"

namespace bp {

enum Act {
  LINEAR = 0,
  SIGMOID,
  TANH,
  RELU,
  LEAKY_RELU,
  ELU,
  SELU,
  SOFTPLUS,
  SOFTSIGN,
  HARD_SIGMOID,
  SWISH,
  GELU,
  SOFTMAX,
  ACT_COUNT
};

constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

inline double sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + m::exp(-z));
  const double e = m::exp(z);
  return e / (1.0 + e);
}

// The JS backend's Chebyshev erfc (relative error < 1.2e-7), so gelu agrees across backends.
inline double erfcApprox(double x) {
  const double z = m::fabs(x);
  const double t = 1.0 / (1.0 + 0.5 * z);
  const double r =
      t * m::exp(-z * z - 1.26551223 +
                 t * (1.00002368 +
                      t * (0.37409196 +
                           t * (0.09678418 +
                                t * (-0.18628806 +
                                     t * (0.27886807 +
                                          t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2.0 - r;
}

inline double activate(int act, double alpha, double z) {
  switch (act) {
    case LINEAR: return z;
    case SIGMOID: return sigmoid(z);
    case TANH: return m::tanh(z);
    case RELU: return z < 0 ? 0.0 : z;
    case LEAKY_RELU: return z < 0 ? alpha * z : z;
    case ELU: return z > 0 ? z : alpha * m::expm1(z);
    case SELU: return z > 0 ? kSeluScale * z : kSeluScale * kSeluAlpha * m::expm1(z);
    case SOFTPLUS: return (z > 0 ? z : 0.0) + m::log1p(m::exp(-m::fabs(z)));
    case SOFTSIGN: return z / (1.0 + m::fabs(z));
    case HARD_SIGMOID: {
      const double h = 0.2 * z + 0.5;
      return h < 0 ? 0.0 : h > 1 ? 1.0 : h;
    }
    case SWISH: return z * sigmoid(z);
    case GELU: return 0.5 * z * erfcApprox(-z * kInvSqrt2);
    default: return z;
  }
}

inline double derivative(int act, double alpha, double z, double y) {
  switch (act) {
    case LINEAR: return 1.0;
    case SIGMOID: return y * (1.0 - y);
    case TANH: return 1.0 - y * y;
    case RELU: return z > 0 ? 1.0 : 0.0;
    case LEAKY_RELU: return z > 0 ? 1.0 : alpha;
    case ELU: return z > 0 ? 1.0 : y + alpha;
    case SELU: return z > 0 ? kSeluScale : y + kSeluScale * kSeluAlpha;
    case SOFTPLUS: return sigmoid(z);
    case SOFTSIGN: {
      const double d = 1.0 + m::fabs(z);
      return 1.0 / (d * d);
    }
    case HARD_SIGMOID: return z > -2.5 && z < 2.5 ? 0.2 : 0.0;
    case SWISH: {
      const double s = sigmoid(z);
      return s * (1.0 + z * (1.0 - s));
    }
    case GELU: return 0.5 * erfcApprox(-z * kInvSqrt2) + z * kInvSqrt2Pi * m::exp(-0.5 * z * z);
    default: return 1.0;
  }
}

// y[i] = f(z[i]) for i in [0, n) (not softmax); y may be z.
inline void forwardRange(int act, double alpha, const float* z, float* y, size_t n) {
  size_t i = 0;
  switch (act) {
    case LINEAR: copy(y, z, n); return;
    case RELU:
      for (; i + 4 <= n; i += 4) store4(y + i, relu4(load4(z + i)));
      for (; i < n; i++) y[i] = z[i] < 0.0f ? 0.0f : z[i];
      return;
    default:
      for (; i < n; i++) y[i] = static_cast<float>(activate(act, alpha, static_cast<double>(z[i])));
  }
}

// max_j x_j (NaN entries skipped; -inf for an empty or all -inf row).
inline double rowMax(const float* x, size_t n) {
  double mx = -m::kInf;
  for (size_t j = 0; j < n; j++)
    if (x[j] > mx) mx = x[j];
  return mx;
}

// Σ_j e^(x_j - shift) in double, each term stored in out unless null (out may alias x: x_j is read first).
inline double expShiftedSum(const float* x, float* out, size_t n, double shift) {
  double sum = 0;
  for (size_t j = 0; j < n; j++) {
    const double e = m::exp(static_cast<double>(x[j]) - shift);
    sum += e;
    if (out) out[j] = static_cast<float>(e);
  }
  return sum;
}

inline void softmaxRows(const float* z, float* y, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float* zr = z + r * cols;
    float* yr = y + r * cols;
    double mx = rowMax(zr, cols);
    if (mx == -m::kInf || m::isnan(mx)) mx = 0;
    const double inv = 1.0 / expShiftedSum(zr, yr, cols, mx);
    for (size_t j = 0; j < cols; j++) yr[j] = static_cast<float>(static_cast<double>(yr[j]) * inv);
  }
}

inline void activationForward(int act, double alpha, const float* z, float* y, size_t rows, size_t cols) {
  if (act == SOFTMAX) softmaxRows(z, y, rows, cols);
  else forwardRange(act, alpha, z, y, rows * cols);
}

// dz = f'(z)·dy over rows×cols (softmax: its Jacobian-vector product per row); dz may be dy.
inline void activationBackward(int act, double alpha, const float* z, const float* y, const float* dy, float* dz,
                               size_t rows, size_t cols) {
  const size_t n = rows * cols;
  size_t i = 0;
  switch (act) {
    case LINEAR: copy(dz, dy, n); return;
    case RELU:
      for (; i + 4 <= n; i += 4) {
        const i4 pos = load4(z + i) > f4{};
        store4(dz + i, (f4)((i4)load4(dy + i) & pos));
      }
      for (; i < n; i++) dz[i] = z[i] > 0.0f ? dy[i] : 0.0f;
      return;
    case SOFTMAX:
      for (size_t r = 0; r < rows; r++) {
        const float* yr = y + r * cols;
        const float* dyr = dy + r * cols;
        float* dzr = dz + r * cols;
        double s = 0;
        for (size_t j = 0; j < cols; j++) s += static_cast<double>(dyr[j]) * yr[j];
        for (size_t j = 0; j < cols; j++) {
          dzr[j] = static_cast<float>(static_cast<double>(yr[j]) * (static_cast<double>(dyr[j]) - s));
        }
      }
      return;
    default:
      for (; i < n; i++) dz[i] = static_cast<float>(derivative(act, alpha, z[i], y[i]) * static_cast<double>(dy[i]));
  }
}

}  // namespace bp
