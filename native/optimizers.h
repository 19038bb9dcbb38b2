// Fused optimizer steps, one pass over the parameters each (formulas in src/backend/ops.ts). Element
// arithmetic in double, rounded on store, as the JS reference does; denormals flush to zero (denormals.h).
#pragma once
#include <cmath>
#include <cstddef>

#include "denormals.h"
#include "simd.h"

namespace bp {


template <typename T>
BP_CLONES void sgd(T* w, const T* g, size_t n, double lr, double wd) {
  FlushDenormals ftz;
  if (wd == 0) for (size_t i = 0; i < n; i++) w[i] = static_cast<T>(w[i] - lr * g[i]);
  else for (size_t i = 0; i < n; i++) w[i] = static_cast<T>(w[i] - lr * (g[i] + wd * w[i]));
}

template <typename T>
BP_CLONES void momentum(T* w, const T* g, T* v, size_t n, double lr, double mu, bool nesterov, double wd) {
  FlushDenormals ftz;
  for (size_t i = 0; i < n; i++) {
    double gi = g[i] + wd * w[i];
    double vi = mu * v[i] - lr * gi;
    v[i] = static_cast<T>(vi);
    w[i] = static_cast<T>(w[i] + (nesterov ? mu * vi - lr * gi : vi));
  }
}

template <typename T>
BP_CLONES void rmsprop(T* w, const T* g, T* ms, size_t n, double lr, double rho, double eps, double wd) {
  FlushDenormals ftz;
  for (size_t i = 0; i < n; i++) {
    double gi = g[i] + wd * w[i];
    double m = rho * ms[i] + (1 - rho) * gi * gi;
    ms[i] = static_cast<T>(m);
    w[i] = static_cast<T>(w[i] - (lr * gi) / std::sqrt(m + eps));
  }
}

template <typename T>
BP_CLONES void adagrad(T* w, const T* g, T* acc, size_t n, double lr, double eps, double wd) {
  FlushDenormals ftz;
  for (size_t i = 0; i < n; i++) {
    double gi = g[i] + wd * w[i];
    double a = acc[i] + gi * gi;
    acc[i] = static_cast<T>(a);
    w[i] = static_cast<T>(w[i] - (lr * gi) / std::sqrt(a + eps));
  }
}

template <typename T>
BP_CLONES void adam(T* w, const T* g, T* m, T* v, size_t n, double lr, double b1, double b2, double eps, double t,
          double wd, bool decoupled) {
  FlushDenormals ftz;
  // Element math in T: for float32 that is twice the SIMD width of double, and sqrt/divide dominate
  // this loop. It agrees with the double-precision JS reference to a few float32 ulps.
  const T c1 = static_cast<T>(1.0 / (1.0 - std::pow(b1, t))), c2 = static_cast<T>(1.0 / (1.0 - std::pow(b2, t)));
  const T fold = static_cast<T>(decoupled ? 0.0 : wd), shrink = static_cast<T>(decoupled ? 1.0 - lr * wd : 1.0);
  const T B1 = static_cast<T>(b1), B2 = static_cast<T>(b2), A1 = static_cast<T>(1 - b1), A2 = static_cast<T>(1 - b2);
  const T LR = static_cast<T>(lr), EPS = static_cast<T>(eps);
  for (size_t i = 0; i < n; i++) {
    T wi = w[i] * shrink;
    T gi = g[i] + fold * w[i];
    T mi = B1 * m[i] + A1 * gi;
    T vi = B2 * v[i] + A2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - (LR * mi * c1) / (std::sqrt(vi * c2) + EPS);
  }
}

}  // namespace bp
