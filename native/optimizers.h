// Fused optimizer steps, one pass over the parameters each (formulas in src/backend/ops.ts). Element
// arithmetic in double, rounded on store, as the JS reference does.
#pragma once
#include <cmath>
#include <cstddef>

namespace bp {

template <typename T>
void sgd(T* w, const T* g, size_t n, double lr, double wd) {
  if (wd == 0) for (size_t i = 0; i < n; i++) w[i] = static_cast<T>(w[i] - lr * g[i]);
  else for (size_t i = 0; i < n; i++) w[i] = static_cast<T>(w[i] - lr * (g[i] + wd * w[i]));
}

template <typename T>
void momentum(T* w, const T* g, T* v, size_t n, double lr, double mu, bool nesterov, double wd) {
  for (size_t i = 0; i < n; i++) {
    double gi = g[i] + wd * w[i];
    double vi = mu * v[i] - lr * gi;
    v[i] = static_cast<T>(vi);
    w[i] = static_cast<T>(w[i] + (nesterov ? mu * vi - lr * gi : vi));
  }
}

template <typename T>
void rmsprop(T* w, const T* g, T* ms, size_t n, double lr, double rho, double eps, double wd) {
  for (size_t i = 0; i < n; i++) {
    double gi = g[i] + wd * w[i];
    double m = rho * ms[i] + (1 - rho) * gi * gi;
    ms[i] = static_cast<T>(m);
    w[i] = static_cast<T>(w[i] - (lr * gi) / std::sqrt(m + eps));
  }
}

template <typename T>
void adagrad(T* w, const T* g, T* acc, size_t n, double lr, double eps, double wd) {
  for (size_t i = 0; i < n; i++) {
    double gi = g[i] + wd * w[i];
    double a = acc[i] + gi * gi;
    acc[i] = static_cast<T>(a);
    w[i] = static_cast<T>(w[i] - (lr * gi) / std::sqrt(a + eps));
  }
}

template <typename T>
void adam(T* w, const T* g, T* m, T* v, size_t n, double lr, double b1, double b2, double eps, double t,
          double wd, bool decoupled) {
  const double c1 = 1.0 / (1.0 - std::pow(b1, t)), c2 = 1.0 / (1.0 - std::pow(b2, t));
  const double fold = decoupled ? 0.0 : wd, shrink = decoupled ? 1.0 - lr * wd : 1.0;
  for (size_t i = 0; i < n; i++) {
    double wi = w[i] * shrink;
    double gi = g[i] + fold * w[i];
    double mi = b1 * m[i] + (1 - b1) * gi;
    double vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    w[i] = static_cast<T>(wi - (lr * mi * c1) / (std::sqrt(vi * c2) + eps));
  }
}

}  // namespace bp
