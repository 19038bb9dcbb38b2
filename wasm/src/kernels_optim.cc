// Exports: the optimizer steps and the helpers of clipping and regularisation. Element arithmetic as
// native/optimizers.h (double, rounded on store; Adam in float32, four lanes at a time). Large arrays are split
// into spans of a fixed length run on the pool: every element gets the same arithmetic whatever the threads.
// Optimizer state that decays into float32's denormal range is flushed to zero, as the native backend does
// (ops.ts allows it): x86 cores compute on denormals up to 100× slower, and WebAssembly cannot set FTZ. The ops
// without dims get their arrays' length as the last argument (src/backend/wasm/calls.ts).
#include "base.h"
#include "math.h"

using namespace bp;

namespace {

constexpr size_t kSpan = size_t(1) << 14;

template <typename F>
void bySpans(const Exec& ex, size_t n, const F& update) {
  const size_t spans = (n + kSpan - 1) / kSpan;
  if (spans <= 1) {
    update(size_t(0), n);
    return;
  }
  parallel(ex, static_cast<int>(spans), [&](int s, int) { update(s * kSpan, min(n, (s + 1) * kSpan)); });
}

constexpr float kMinNormal = 1.17549435e-38f;

BP_INLINE float flush(double v) {
  const float f = static_cast<float>(v);
  return m::fabs(f) < kMinNormal ? 0.0f : f;
}

BP_INLINE f4 flush4(f4 v) {
  const i4 normal = (f4)wasm_f32x4_abs((v128_t)v) >= splat4(kMinNormal);
  const i4 nan = v != v;  // NaN compares false: keep it (it is not denormal)
  return (f4)((i4)v & (normal | nan));
}

}  // namespace

BP_EXPORT("sgdStep")
double bpSgd(int32_t*, int pooled, float* w, const float* g, double lr, double wd, int n) {
  bySpans(execOf(pooled), n, [&](size_t i0, size_t i1) {
    if (wd == 0)
      for (size_t i = i0; i < i1; i++) w[i] = flush(w[i] - lr * g[i]);
    else
      for (size_t i = i0; i < i1; i++) w[i] = flush(w[i] - lr * (g[i] + wd * w[i]));
  });
  return 0;
}

BP_EXPORT("momentumStep")
double bpMomentum(int32_t*, int pooled, float* w, const float* g, float* v, double lr, double mu, int nesterov,
                  double wd, int n) {
  bySpans(execOf(pooled), n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) {
      const double gi = g[i] + wd * w[i];
      const double vi = mu * v[i] - lr * gi;
      v[i] = flush(vi);
      w[i] = flush(w[i] + (nesterov ? mu * vi - lr * gi : vi));
    }
  });
  return 0;
}

BP_EXPORT("rmspropStep")
double bpRmsprop(int32_t*, int pooled, float* w, const float* g, float* ms, double lr, double rho, double eps,
                 double wd, int n) {
  bySpans(execOf(pooled), n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) {
      const double gi = g[i] + wd * w[i];
      const double mv = rho * ms[i] + (1 - rho) * gi * gi;
      ms[i] = flush(mv);
      w[i] = flush(w[i] - (lr * gi) / m::sqrt(mv + eps));
    }
  });
  return 0;
}

BP_EXPORT("adagradStep")
double bpAdagrad(int32_t*, int pooled, float* w, const float* g, float* acc, double lr, double eps, double wd, int n) {
  bySpans(execOf(pooled), n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) {
      const double gi = g[i] + wd * w[i];
      const double a = acc[i] + gi * gi;
      acc[i] = flush(a);
      w[i] = flush(w[i] - (lr * gi) / m::sqrt(a + eps));
    }
  });
  return 0;
}

BP_EXPORT("adamStep")
double bpAdam(int32_t*, int pooled, float* w, const float* g, float* mo, float* v, double lr, double b1, double b2,
              double eps, double t, double wd, int decoupled, int n) {
  const float c1 = static_cast<float>(1.0 / (1.0 - m::powInt(b1, t)));
  const float c2 = static_cast<float>(1.0 / (1.0 - m::powInt(b2, t)));
  const float fold = static_cast<float>(decoupled ? 0.0 : wd);
  const float shrink = static_cast<float>(decoupled ? 1.0 - lr * wd : 1.0);
  const float B1 = static_cast<float>(b1), B2 = static_cast<float>(b2);
  const float A1 = static_cast<float>(1 - b1), A2 = static_cast<float>(1 - b2);
  const float LR = static_cast<float>(lr), EPS = static_cast<float>(eps);
  bySpans(execOf(pooled), n, [&](size_t i0, size_t i1) {
    size_t i = i0;
    for (; i + 4 <= i1; i += 4) {
      const f4 wi = load4(w + i), gi = load4(g + i) + splat4(fold) * wi;
      const f4 mi = flush4(splat4(B1) * load4(mo + i) + splat4(A1) * gi);
      const f4 vi = flush4(splat4(B2) * load4(v + i) + splat4(A2) * gi * gi);
      store4(mo + i, mi);
      store4(v + i, vi);
      const f4 den = (f4)wasm_f32x4_sqrt((v128_t)(vi * splat4(c2))) + splat4(EPS);
      store4(w + i, flush4(wi * splat4(shrink) - (splat4(LR) * mi * splat4(c1)) / den));
    }
    for (; i < i1; i++) {
      const float wi = w[i], gi = g[i] + fold * wi;
      const float mi = flush(B1 * mo[i] + A1 * gi);
      const float vi = flush(B2 * v[i] + A2 * gi * gi);
      mo[i] = mi;
      v[i] = vi;
      w[i] = flush(wi * shrink - (LR * mi * c1) / (__builtin_sqrtf(vi * c2) + EPS));
    }
  });
  return 0;
}

BP_EXPORT("sumSquares") double bpSumSquares(int32_t*, int, const float* x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += static_cast<double>(x[i]) * x[i];
  return s;
}

BP_EXPORT("scale") double bpScale(int32_t*, int, float* x, double s, int n) {
  for (int i = 0; i < n; i++) x[i] = static_cast<float>(x[i] * s);
  return 0;
}

BP_EXPORT("clip") double bpClip(int32_t*, int, float* x, double lo, double hi, int n) {
  for (int i = 0; i < n; i++) {
    const double v = x[i];
    x[i] = static_cast<float>(v < lo ? lo : v > hi ? hi : v);
  }
  return 0;
}

BP_EXPORT("l1l2") double bpL1l2(int32_t*, int, const float* w, float* g, double l1, double l2, int n) {
  double s1 = 0, s2 = 0;
  for (int i = 0; i < n; i++) {
    const double v = w[i];
    s1 += m::fabs(v);
    s2 += v * v;
    g[i] = static_cast<float>(g[i] + l1 * (v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0) + 2 * l2 * v);
  }
  return l1 * s1 + l2 * s2;
}
