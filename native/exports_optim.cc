// Exports: optimizer steps and the small helpers used by clipping and regularisation.
#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "args.h"
#include "exports.h"
#include "async_job.h"
#include "optimizers.h"
#include "thread_pool.h"

namespace bp {

namespace {
// The parameter arrays of a step: same kind, same length, pairwise disjoint.
void checkSet(const Args& a, std::initializer_list<const Arr*> arrs) {
  const Arr* first = *arrs.begin();
  for (const Arr* x : arrs) {
    if (x == first) continue;
    a.sameLength(*x, *first);
    for (const Arr* y : arrs) {
      if (y == x) break;
      a.noOverlap(*x, *y);
    }
  }
}
// Optimizer updates are elementwise and memory-bound (Adam reads and writes ~28 bytes per float32 weight): a
// large layer's update is split into spans of a fixed length run on the thread pool. The spans do not depend on
// the thread count, so every weight gets the same arithmetic whether they run in parallel or one by one.
constexpr size_t kUpdateSpan = size_t(1) << 15;
template <typename F>
void bySpans(size_t n, F&& update) {
  const size_t spans = (n + kUpdateSpan - 1) / kUpdateSpan;
  if (spans <= 1) {
    update(size_t(0), n);
    return;
  }
  parallelChunks(spans, [&](size_t s) { update(s * kUpdateSpan, std::min(n, (s + 1) * kUpdateSpan)); });
}
#define BP_DISPATCH(arr, CALL) \
  if ((arr).kind == Kind::F32) { using T = float; CALL; } else { using T = double; CALL; }
}  // namespace

Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Args a(info, "sgdStep", 4);
  Arr w = a.floats(0, "w"), g = a.floats(1, "g", w);
  checkSet(a, {&w, &g});
  double lr = a.num(2, "lr"), wd = a.num(3, "weightDecay");
  BP_DISPATCH(w, bySpans(w.len, [&](size_t i, size_t e) { sgd(w.as<T>() + i, g.as<T>() + i, e - i, lr, wd); }));
  return info.Env().Undefined();
}

Napi::Value MomentumStep(const Napi::CallbackInfo& info) {
  Args a(info, "momentumStep", 7);
  Arr w = a.floats(0, "w"), g = a.floats(1, "g", w), v = a.floats(2, "velocity", w);
  checkSet(a, {&w, &g, &v});
  double lr = a.num(3, "lr"), mu = a.num(4, "momentum");
  bool nesterov = a.boolean(5, "nesterov");
  double wd = a.num(6, "weightDecay");
  BP_DISPATCH(w, bySpans(w.len, [&](size_t i, size_t e) {
    momentum(w.as<T>() + i, g.as<T>() + i, v.as<T>() + i, e - i, lr, mu, nesterov, wd);
  }));
  return info.Env().Undefined();
}

Napi::Value RmspropStep(const Napi::CallbackInfo& info) {
  Args a(info, "rmspropStep", 7);
  Arr w = a.floats(0, "w"), g = a.floats(1, "g", w), ms = a.floats(2, "meanSquare", w);
  checkSet(a, {&w, &g, &ms});
  double lr = a.num(3, "lr"), rho = a.num(4, "rho"), eps = a.num(5, "epsilon"), wd = a.num(6, "weightDecay");
  BP_DISPATCH(w, bySpans(w.len, [&](size_t i, size_t e) {
    rmsprop(w.as<T>() + i, g.as<T>() + i, ms.as<T>() + i, e - i, lr, rho, eps, wd);
  }));
  return info.Env().Undefined();
}

Napi::Value AdagradStep(const Napi::CallbackInfo& info) {
  Args a(info, "adagradStep", 6);
  Arr w = a.floats(0, "w"), g = a.floats(1, "g", w), acc = a.floats(2, "accumulator", w);
  checkSet(a, {&w, &g, &acc});
  double lr = a.num(3, "lr"), eps = a.num(4, "epsilon"), wd = a.num(5, "weightDecay");
  BP_DISPATCH(w, bySpans(w.len, [&](size_t i, size_t e) { adagrad(w.as<T>() + i, g.as<T>() + i, acc.as<T>() + i, e - i, lr, eps, wd); }));
  return info.Env().Undefined();
}

static Job prepareAdam(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args a(info, op, 11);
  Arr w = a.floats(0, "w"), g = a.floats(1, "g", w), m = a.floats(2, "m", w), v = a.floats(3, "v", w);
  checkSet(a, {&w, &g, &m, &v});
  double lr = a.num(4, "lr"), b1 = a.num(5, "beta1"), b2 = a.num(6, "beta2"), eps = a.num(7, "epsilon");
  double t = a.num(8, "t");
  if (!(t >= 1 && std::floor(t) == t)) a.rangeError("'t' must be an integer >= 1, got " + std::to_string(t));
  double wd = a.num(9, "weightDecay");
  bool decoupled = a.boolean(10, "decoupled");
  if (offThread) a.requireSharedBuffers();
  return [=] {
    BP_DISPATCH(w, bySpans(w.len, [&](size_t i, size_t e) {
      adam(w.as<T>() + i, g.as<T>() + i, m.as<T>() + i, v.as<T>() + i, e - i, lr, b1, b2, eps, t, wd, decoupled);
    }));
  };
}

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  prepareAdam(info, "adamStep", false)();
  return info.Env().Undefined();
}
Napi::Value AdamStepAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareAdam(info, "adamStepAsync", true)); }

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Args a(info, "sumSquares", 1);
  Arr x = a.floats(0, "x");
  double s = 0;
  BP_DISPATCH(x, { const T* p = x.as<T>(); for (size_t i = 0; i < x.len; i++) s += static_cast<double>(p[i]) * p[i]; });
  return Napi::Number::New(info.Env(), s);
}

Napi::Value Scale(const Napi::CallbackInfo& info) {
  Args a(info, "scale", 2);
  Arr x = a.floats(0, "x");
  double f = a.num(1, "s");
  BP_DISPATCH(x, { T* p = x.as<T>(); for (size_t i = 0; i < x.len; i++) p[i] = static_cast<T>(p[i] * f); });
  return info.Env().Undefined();
}

Napi::Value Clip(const Napi::CallbackInfo& info) {
  Args a(info, "clip", 3);
  Arr x = a.floats(0, "x");
  double lo = a.num(1, "lo"), hi = a.num(2, "hi");
  if (!(lo <= hi)) a.rangeError("'lo' must be <= 'hi'");
  BP_DISPATCH(x, {
    T* p = x.as<T>();
    for (size_t i = 0; i < x.len; i++) { double v = p[i]; p[i] = static_cast<T>(v < lo ? lo : v > hi ? hi : v); }
  });
  return info.Env().Undefined();
}

Napi::Value L1l2(const Napi::CallbackInfo& info) {
  Args a(info, "l1l2", 4);
  Arr w = a.floats(0, "w"), g = a.floats(1, "g", w);
  checkSet(a, {&w, &g});
  double l1 = a.num(2, "l1"), l2 = a.num(3, "l2");
  double s1 = 0, s2 = 0;
  BP_DISPATCH(w, {
    const T* pw = w.as<T>();
    T* pg = g.as<T>();
    for (size_t i = 0; i < w.len; i++) {
      double v = pw[i];
      s1 += std::fabs(v);
      s2 += v * v;
      pg[i] = static_cast<T>(pg[i] + (l1 * (v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0) + 2 * l2 * v));
    }
  });
  return Napi::Number::New(info.Env(), l1 * s1 + l2 * s2);
}

}  // namespace bp
