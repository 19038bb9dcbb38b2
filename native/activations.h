// Activation kernels. Codes are the indices of src/backend/activations.ts's table (the loader refuses an
// addon whose ACT_COUNT differs from it) and formulas those of src/backend/ops.ts; every element is computed in
// double and rounded once on store, exactly as the JS reference does, so the two backends agree to
// rounding of the libm functions.
#pragma once
#include <cmath>
#include <cstddef>

namespace bp {

// Same names, same order as ACTIVATION_TABLE; ACT_COUNT is the sentinel (the number of activations).
enum Act { LINEAR = 0, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SELU, SOFTPLUS, SOFTSIGN, HARD_SIGMOID,
           SWISH, GELU, SOFTMAX, ACT_COUNT };

constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

inline double sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  double e = std::exp(z);
  return e / (1.0 + e);
}

// Same Chebyshev erfc as the JS backend (relative error < 1.2e-7), so gelu agrees across backends.
inline double erfcApprox(double x) {
  double z = std::fabs(x);
  double t = 1.0 / (1.0 + 0.5 * z);
  double r = t * std::exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
             t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
             t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2.0 - r;
}

inline double activate(int act, double alpha, double z) {
  switch (act) {
    case LINEAR: return z;
    case SIGMOID: return sigmoid(z);
    case TANH: return std::tanh(z);
    case RELU: return z < 0 ? 0.0 : z;
    case LEAKY_RELU: return z < 0 ? alpha * z : z;
    case ELU: return z > 0 ? z : alpha * std::expm1(z);
    case SELU: return z > 0 ? kSeluScale * z : kSeluScale * kSeluAlpha * std::expm1(z);
    case SOFTPLUS: return (z > 0 ? z : 0.0) + std::log1p(std::exp(-std::fabs(z)));
    case SOFTSIGN: return z / (1.0 + std::fabs(z));
    case HARD_SIGMOID: { double h = 0.2 * z + 0.5; return h < 0 ? 0.0 : h > 1 ? 1.0 : h; }
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
    case SOFTSIGN: { double d = 1.0 + std::fabs(z); return 1.0 / (d * d); }
    case HARD_SIGMOID: return z > -2.5 && z < 2.5 ? 0.2 : 0.0;
    case SWISH: { double s = sigmoid(z); return s * (1.0 + z * (1.0 - s)); }
    case GELU: return 0.5 * erfcApprox(-z * kInvSqrt2) + z * kInvSqrt2Pi * std::exp(-0.5 * z * z);
    default: return 1.0;
  }
}

// y[i] = f(z[i]) for i in [0, n); the common cases get tight loops the compiler vectorises.
template <typename T>
void forwardRange(int act, double alpha, const T* z, T* y, size_t n) {
  switch (act) {
    case LINEAR: if (y != z) for (size_t i = 0; i < n; i++) y[i] = z[i]; return;
    case RELU: for (size_t i = 0; i < n; i++) { T v = z[i]; y[i] = v < T(0) ? T(0) : v; } return;
    default: for (size_t i = 0; i < n; i++) y[i] = static_cast<T>(activate(act, alpha, static_cast<double>(z[i])));
  }
}

// max_j x_j (NaN entries are skipped; -inf for an empty or all -inf row).
template <typename T>
double rowMax(const T* x, size_t n) {
  double mx = -INFINITY;
  for (size_t j = 0; j < n; j++) if (x[j] > mx) mx = x[j];
  return mx;
}

// Σ_j e^(x_j - shift) in double, also storing each term in out unless it is null. out may alias x: each
// x_j is read before out_j is written. Shared by softmax and the softmax cross-entropy losses.
template <typename T>
double expShiftedSum(const T* x, T* out, size_t n, double shift) {
  double sum = 0;
  for (size_t j = 0; j < n; j++) {
    double e = std::exp(static_cast<double>(x[j]) - shift);
    sum += e;
    if (out) out[j] = static_cast<T>(e);
  }
  return sum;
}

template <typename T>
void softmaxRows(const T* z, T* y, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const T* zr = z + r * cols;
    T* yr = y + r * cols;
    double mx = rowMax(zr, cols);
    if (mx == -INFINITY || std::isnan(mx)) mx = 0;
    double sum = expShiftedSum(zr, yr, cols, mx);
    double inv = 1.0 / sum;
    for (size_t j = 0; j < cols; j++) yr[j] = static_cast<T>(static_cast<double>(yr[j]) * inv);
  }
}

template <typename T>
void activationForward(int act, double alpha, const T* z, T* y, size_t rows, size_t cols) {
  if (act == SOFTMAX) softmaxRows(z, y, rows, cols);
  else forwardRange(act, alpha, z, y, rows * cols);
}

template <typename T>
void activationBackward(int act, double alpha, const T* z, const T* y, const T* dy, T* dz, size_t rows, size_t cols) {
  size_t n = rows * cols;
  switch (act) {
    case LINEAR: if (dz != dy) for (size_t i = 0; i < n; i++) dz[i] = dy[i]; return;
    // dy is read whatever the sign of z, so the select needs no branch and vectorizes (a branch on the sign of
    // z is mispredicted half the time in training: ~3 ns per element instead of a fraction of one).
    case RELU: for (size_t i = 0; i < n; i++) { T d = dy[i]; dz[i] = z[i] > T(0) ? d : T(0); } return;
    case SOFTMAX:
      for (size_t r = 0; r < rows; r++) {
        const T* yr = y + r * cols; const T* dyr = dy + r * cols; T* dzr = dz + r * cols;
        double s = 0;
        for (size_t j = 0; j < cols; j++) s += static_cast<double>(dyr[j]) * yr[j];
        for (size_t j = 0; j < cols; j++) dzr[j] = static_cast<T>(static_cast<double>(yr[j]) * (static_cast<double>(dyr[j]) - s));
      }
      return;
    default:
      for (size_t i = 0; i < n; i++) {
        dz[i] = static_cast<T>(derivative(act, alpha, z[i], y[i]) * static_cast<double>(dy[i]));
      }
  }
}

}  // namespace bp
