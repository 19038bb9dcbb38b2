// Exports: gemm, activationForward/Backward, denseForward/Backward. Each checks every argument through
// Args before any pointer is dereferenced, then dispatches on the float kind. The async twins check the
// same arguments and, before queueing, that every array is backed by a non-growable SharedArrayBuffer.
#include "args.h"
#include "blas.h"
#include "exports.h"
#include "async_job.h"
#include "thread_pool.h"

namespace bp {

// Elementwise activations over at least this many values run in chunks on the convolution thread pool (the
// activation layers of CNNs: a pass over a whole feature map). Each value's result is what one pass gives.
constexpr uint64_t kParallelActivationValues = uint64_t(1) << 16;

// fn(first, count) over [0, n) in chunks (one when n is small or the activation is softmax, which is row-wise).
template <typename Fn>
static void activationChunks(int act, uint64_t n, const Fn& fn) {
  if (act == SOFTMAX || n < kParallelActivationValues) {
    fn(0, n);
    return;
  }
  const size_t chunks = chunkCount(static_cast<size_t>(n / 4096));
  parallelChunks(chunks, [&](size_t c) {
    const uint64_t a = n * c / chunks, b = n * (c + 1) / chunks;
    fn(a, b - a);
  });
}

static Job prepareGemm(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 10);
  bool ta = g.boolean(0, "transA"), tb = g.boolean(1, "transB");
  uint64_t m = g.dim(2, "m"), n = g.dim(3, "n"), k = g.dim(4, "k");
  double alpha = g.num(5, "alpha");
  Arr a = g.floats(6, "a"), b = g.floats(7, "b", a);
  double beta = g.num(8, "beta");
  Arr c = g.floats(9, "c", a);
  g.lengthIs(a, g.product("m*k", m, k), "m*k");
  g.lengthIs(b, g.product("k*n", k, n), "k*n");
  g.lengthIs(c, g.product("m*n", m, n), "m*n");
  g.product("m*n*k", m, n, k);
  g.noOverlap(c, a);
  g.noOverlap(c, b);
  if (offThread) g.requireSharedBuffers();
  if (a.kind == Kind::F32) return [=] { gemm(ta, tb, m, n, k, alpha, a.as<float>(), b.as<float>(), beta, c.as<float>()); };
  return [=] { gemm(ta, tb, m, n, k, alpha, a.as<double>(), b.as<double>(), beta, c.as<double>()); };
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  prepareGemm(info, "gemm", false)();
  return info.Env().Undefined();
}
Napi::Value GemmAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareGemm(info, "gemmAsync", true)); }

Napi::Value ActivationForward(const Napi::CallbackInfo& info) {
  Args g(info, "activationForward", 6);
  int act = g.act(0);
  double alpha = g.num(1, "alpha");
  Arr z = g.floats(2, "z"), y = g.floats(3, "y", z);
  uint64_t rows = g.dim(4, "rows"), cols = g.dim(5, "cols");
  uint64_t len = g.product("rows*cols", rows, cols);
  g.lengthIs(z, len, "rows*cols");
  g.lengthIs(y, len, "rows*cols");
  g.sameOrDisjoint(y, z);
  activationChunks(act, len, [&](uint64_t a, uint64_t n) {
    const uint64_t r = n == len ? rows : 1, c = n == len ? cols : n;
    if (z.kind == Kind::F32) activationForward(act, alpha, z.as<float>() + a, y.as<float>() + a, r, c);
    else activationForward(act, alpha, z.as<double>() + a, y.as<double>() + a, r, c);
  });
  return info.Env().Undefined();
}

Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
  Args g(info, "activationBackward", 8);
  int act = g.act(0);
  double alpha = g.num(1, "alpha");
  Arr z = g.floats(2, "z"), y = g.floats(3, "y", z), dy = g.floats(4, "dy", z), dz = g.floats(5, "dz", z);
  uint64_t rows = g.dim(6, "rows"), cols = g.dim(7, "cols");
  uint64_t len = g.product("rows*cols", rows, cols);
  for (const Arr* a : {&z, &y, &dy, &dz}) g.lengthIs(*a, len, "rows*cols");
  g.sameOrDisjoint(dz, dy);
  g.noOverlap(dz, z);
  g.noOverlap(dz, y);
  activationChunks(act, len, [&](uint64_t a, uint64_t n) {
    const uint64_t r = n == len ? rows : 1, c = n == len ? cols : n;
    if (z.kind == Kind::F32) {
      activationBackward(act, alpha, z.as<float>() + a, y.as<float>() + a, dy.as<float>() + a, dz.as<float>() + a, r, c);
    } else {
      activationBackward(act, alpha, z.as<double>() + a, y.as<double>() + a, dy.as<double>() + a, dz.as<double>() + a,
                         r, c);
    }
  });
  return info.Env().Undefined();
}

static Job prepareDenseForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 10);
  Arr x = g.floats(0, "x"), w = g.floats(1, "w", x), b = g.optFloats(2, "b", x);
  Arr z = g.floats(3, "z", x), y = g.floats(4, "y", x);
  uint64_t m = g.dim(5, "m"), k = g.dim(6, "k"), n = g.dim(7, "n");
  int act = g.act(8);
  double alpha = g.num(9, "alpha");
  g.product("m*n*k", m, n, k);
  g.lengthIs(x, m * k, "m*k");
  g.lengthIs(w, k * n, "k*n");
  if (b.present) g.lengthIs(b, n, "n");
  g.lengthIs(z, m * n, "m*n");
  g.lengthIs(y, m * n, "m*n");
  for (const Arr* o : {&z, &y}) {
    g.noOverlap(*o, x);
    g.noOverlap(*o, w);
    g.noOverlap(*o, b);
  }
  if (act == LINEAR) g.sameOrDisjoint(y, z);
  else g.noOverlap(y, z);
  if (offThread) g.requireSharedBuffers();
  if (x.kind == Kind::F32) {
    return [=] { denseForward(x.as<float>(), w.as<float>(), b.as<float>(), z.as<float>(), y.as<float>(), m, k, n, act, alpha); };
  }
  return [=] { denseForward(x.as<double>(), w.as<double>(), b.as<double>(), z.as<double>(), y.as<double>(), m, k, n, act, alpha); };
}

Napi::Value DenseForward(const Napi::CallbackInfo& info) {
  prepareDenseForward(info, "denseForward", false)();
  return info.Env().Undefined();
}
Napi::Value DenseForwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareDenseForward(info, "denseForwardAsync", true)); }

static Job prepareDenseBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 14);
  Arr x = g.floats(0, "x"), w = g.floats(1, "w", x), z = g.floats(2, "z", x), y = g.floats(3, "y", x);
  Arr dy = g.floats(4, "dy", x), dz = g.floats(5, "dz", x), dw = g.floats(6, "dw", x);
  Arr db = g.optFloats(7, "db", x), dx = g.optFloats(8, "dx", x);
  uint64_t m = g.dim(9, "m"), k = g.dim(10, "k"), n = g.dim(11, "n");
  int act = g.act(12);
  double alpha = g.num(13, "alpha");
  g.product("m*n*k", m, n, k);
  g.lengthIs(x, m * k, "m*k");
  g.lengthIs(w, k * n, "k*n");
  for (const Arr* a : {&z, &y, &dy, &dz}) g.lengthIs(*a, m * n, "m*n");
  g.lengthIs(dw, k * n, "k*n");
  if (db.present) g.lengthIs(db, n, "n");
  if (dx.present) g.lengthIs(dx, m * k, "m*k");
  g.sameOrDisjoint(dz, dy);
  const Arr* outs[] = {&dz, &dw, &db, &dx};
  const Arr* ins[] = {&x, &w, &z, &y};
  for (const Arr* o : outs) {
    for (const Arr* i : ins) g.noOverlap(*o, *i);
    for (const Arr* o2 : outs) if (o2 != o && o != &dz && o2 != &dz) g.noOverlap(*o, *o2);
    if (o != &dz) { g.noOverlap(*o, dz); g.noOverlap(*o, dy); }
  }
  if (offThread) g.requireSharedBuffers();
  if (x.kind == Kind::F32) {
    return [=] {
      denseBackward(x.as<float>(), w.as<float>(), z.as<float>(), y.as<float>(), dy.as<float>(), dz.as<float>(),
                    dw.as<float>(), db.as<float>(), dx.as<float>(), m, k, n, act, alpha);
    };
  }
  return [=] {
    denseBackward(x.as<double>(), w.as<double>(), z.as<double>(), y.as<double>(), dy.as<double>(), dz.as<double>(),
                  dw.as<double>(), db.as<double>(), dx.as<double>(), m, k, n, act, alpha);
  };
}

Napi::Value DenseBackward(const Napi::CallbackInfo& info) {
  prepareDenseBackward(info, "denseBackward", false)();
  return info.Env().Undefined();
}
Napi::Value DenseBackwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareDenseBackward(info, "denseBackwardAsync", true)); }

}  // namespace bp
