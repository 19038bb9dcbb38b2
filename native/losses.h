// Fused loss + gradient kernels (formulas in src/backend/ops.ts). Sums run in double; the gradient is
// already divided by the element (or row) count so it feeds the dense backward directly.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "activations.h"
#include "indices.h"

namespace bp {

constexpr double kEps = 1e-7;

template <typename T>
double mse(const T* p, const T* t, T* g, size_t n) {
  if (n == 0) return 0;
  double s = 0, k = 2.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    double e = static_cast<double>(p[i]) - t[i];
    s += e * e;
    if (g) g[i] = static_cast<T>(k * e);
  }
  return s / static_cast<double>(n);
}

template <typename T>
double mae(const T* p, const T* t, T* g, size_t n) {
  if (n == 0) return 0;
  double s = 0, k = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    double e = static_cast<double>(p[i]) - t[i];
    s += std::fabs(e);
    if (g) g[i] = static_cast<T>(e > 0 ? k : e < 0 ? -k : e == 0 ? 0.0 : NAN);
  }
  return s / static_cast<double>(n);
}

template <typename T>
double huber(const T* p, const T* t, T* g, size_t n, double delta) {
  if (n == 0) return 0;
  double s = 0, k = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    double e = static_cast<double>(p[i]) - t[i], a = std::fabs(e);
    if (a <= delta) {
      s += 0.5 * e * e;
      if (g) g[i] = static_cast<T>(k * e);
    } else {
      s += delta * (a - 0.5 * delta);
      if (g) g[i] = static_cast<T>(k * (e > 0 ? delta : -delta));
    }
  }
  return s / static_cast<double>(n);
}

template <typename T>
double bce(const T* p, const T* t, T* g, size_t n) {
  if (n == 0) return 0;
  double s = 0, k = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    double pi = p[i], ti = t[i];
    bool inside = pi > kEps && pi < 1 - kEps;
    double pc = pi < kEps ? kEps : pi > 1 - kEps ? 1 - kEps : pi;
    s -= ti * std::log(pc) + (1 - ti) * std::log(1 - pc);
    if (g) g[i] = static_cast<T>(inside ? (k * (pc - ti)) / (pc * (1 - pc)) : (pi == pi ? 0.0 : NAN));
  }
  return s / static_cast<double>(n);
}

template <typename T>
double bceLogits(const T* x, const T* t, T* g, size_t n) {
  if (n == 0) return 0;
  double s = 0, k = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    double xi = x[i], ti = t[i];
    s += (xi > 0 ? xi : 0.0) - xi * ti + std::log1p(std::exp(-std::fabs(xi)));
    if (g) g[i] = static_cast<T>(k * (sigmoid(xi) - ti));
  }
  return s / static_cast<double>(n);
}

template <typename T>
double cce(const T* p, const T* t, T* g, size_t rows, size_t cols) {
  if (rows == 0 || cols == 0) return 0;
  double s = 0, k = 1.0 / static_cast<double>(rows);
  size_t n = rows * cols;
  for (size_t i = 0; i < n; i++) {
    double pi = p[i], ti = t[i];
    bool inside = pi > kEps && pi < 1 - kEps;
    double pc = pi < kEps ? kEps : pi > 1 - kEps ? 1 - kEps : pi;
    s -= ti * std::log(pc);
    if (g) g[i] = static_cast<T>(inside ? (-k * ti) / pc : (pi == pi ? 0.0 : NAN));
  }
  return s / static_cast<double>(rows);
}

// One exp per element: the row's e^(x-max) values are parked in the gradient buffer (read before
// written, so g may alias x) and scaled by 1/Σ afterwards; the loss uses Σ_j t_j(max - x_j) + tsum·log Σ.
template <typename T>
double softmaxCe(const T* x, const T* t, T* g, size_t rows, size_t cols) {
  if (rows == 0 || cols == 0) return 0;
  double s = 0, k = 1.0 / static_cast<double>(rows);
  for (size_t r = 0; r < rows; r++) {
    const T* xr = x + r * cols; const T* tr = t + r * cols;
    T* gr = g ? g + r * cols : nullptr;
    double mx = rowMax(xr, cols), tsum = 0, tdiff = 0;
    for (size_t j = 0; j < cols; j++) {
      double tj = tr[j];
      tsum += tj;
      if (tj != 0) tdiff += tj * (mx - xr[j]);
    }
    double sum = expShiftedSum(xr, gr, cols, mx);  // after the loop above: gr may alias x
    s += tdiff + tsum * std::log(sum);
    if (gr) {
      double scale = tsum / sum;
      for (size_t j = 0; j < cols; j++) gr[j] = static_cast<T>(k * (static_cast<double>(gr[j]) * scale - tr[j]));
    }
  }
  return s / static_cast<double>(rows);
}

// Each label is read once, checked and used from that one read (indices.h). A label outside [0, cols)
// stops the op with *bad set; the gradient rows before it have been written by then.
template <typename T>
double softmaxCeSparse(const T* x, const int32_t* labels, T* g, size_t rows, size_t cols, BadIndex* bad) {
  if (rows == 0) return 0;
  double s = 0, k = 1.0 / static_cast<double>(rows);
  for (size_t r = 0; r < rows; r++) {
    size_t label = 0;
    if (!readIndex(labels, r, cols, &label, bad)) return NAN;
    const T* xr = x + r * cols;
    T* gr = g ? g + r * cols : nullptr;
    double mx = rowMax(xr, cols), xl = xr[label];
    double sum = expShiftedSum(xr, gr, cols, mx);  // read x[label] first: gr may alias x
    s += (mx - xl) + std::log(sum);
    if (gr) {
      double scale = k / sum;
      for (size_t j = 0; j < cols; j++) gr[j] = static_cast<T>(static_cast<double>(gr[j]) * scale);
      gr[label] = static_cast<T>(static_cast<double>(gr[label]) - k);
    }
  }
  return s / static_cast<double>(rows);
}

}  // namespace bp
