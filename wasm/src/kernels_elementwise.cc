// Exports of the elementwise autodiff ops (bp.ops): unary (a chain of unary steps), binary (NumPy broadcasting, then
// an optional chain of unary steps over its output) and select. The JS side checked every argument (the JS
// backend's checks: shapes broadcast, codes in range, lengths) and passes the module its own copies of the checked
// shapes and codes. Large outputs split over the pool in runs fixed by the shapes: elementwise, so the values are the
// same whatever thread computes a run.
#include "base.h"
#include "elementwise.h"

using namespace bp;

namespace {

// Chain steps [0, chain) in place over y[0 .. n).
void runChain(const int32_t* codes, const float* params, int chain, float* y, size_t n) {
  for (int s = 0; s < chain; s++) unaryRange(codes[s], params[2 * s], params[2 * s + 1], y, y, n);
}

// Runs f(u0, u1) over [0, units) in tasks of `per` units (one task, on this thread, when per covers them all).
template <typename F>
void overUnits(const Exec& ex, size_t units, size_t per, const F& f) {
  if (units <= per) {
    f(size_t(0), units);
    return;
  }
  const int tasks = static_cast<int>((units + per - 1) / per);
  parallel(ex, tasks, [&](int t, int) { f(t * per, min(units, (t + 1) * per)); });
}

}  // namespace

BP_EXPORT("unary")
double bpUnary(int32_t*, int pooled, const int32_t* codes, const float* params, const float* x, float* y, int len,
               int chain) {
  const size_t n = static_cast<size_t>(len);
  if (chain == 0) {
    copy(y, x, n);
    return 0;
  }
  // The first step reads x and writes y; the rest run in place over y, one block at a time.
  const size_t blocks = (n + kBlock - 1) / kBlock;
  overUnits(execOf(pooled), blocks, unitsPerTask(kBlock, n), [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; b++) {
      const size_t o = b * kBlock, run = min(kBlock, n - o);
      unaryRange(codes[0], params[0], params[1], x + o, y + o, run);
      runChain(codes + 1, params + 2, chain - 1, y + o, run);
    }
  });
  return 0;
}

BP_EXPORT("binary")
double bpBinary(int32_t*, int pooled, int code, int rank, const int32_t* outShape, const int32_t* aShape,
                const int32_t* bShape, const float* a, const float* b, float* out, const int32_t* post,
                const float* postParams, int chain) {
  const int32_t* shapes[2] = {aShape, bShape};
  const Broadcast w(rank, outShape, 2, shapes);
  overUnits(execOf(pooled), w.units, unitsPerTask(min(kBlock, w.innerSize), w.total), [&](size_t u0, size_t u1) {
    w.forUnits(u0, u1, [&](const size_t* off, size_t o, size_t n) {
      binaryRun(code, a + off[0], w.inner[0], b + off[1], w.inner[1], out + o, n);
      if (chain) runChain(post, postParams, chain, out + o, n);
    });
  });
  return 0;
}

BP_EXPORT("select")
double bpSelect(int32_t*, int pooled, int rank, const int32_t* outShape, const int32_t* condShape,
                const int32_t* aShape, const int32_t* bShape, const float* cond, const float* a, const float* b,
                float* out) {
  const int32_t* shapes[3] = {condShape, aShape, bShape};
  const Broadcast w(rank, outShape, 3, shapes);
  overUnits(execOf(pooled), w.units, unitsPerTask(min(kBlock, w.innerSize), w.total), [&](size_t u0, size_t u1) {
    w.forUnits(u0, u1, [&](const size_t* off, size_t o, size_t n) {
      const float* c = cond + off[0];
      const float* x = a + off[1];
      const float* y = b + off[2];
      float* r = out + o;
      const size_t sc = w.inner[0], sa = w.inner[1], sb = w.inner[2];
      size_t i = 0;
      if (sc == 1 && sa == 1 && sb == 1) {
        // cond != 0 picks a (NaN is not 0: it picks a too).
        for (; i + 4 <= n; i += 4) store4(r + i, select4(load4(c + i) != f4{}, load4(x + i), load4(y + i)));
      }
      for (; i < n; i++) r[i] = c[i * sc] != 0.0f ? x[i * sa] : y[i * sb];
    });
  });
  return 0;
}

BP_EXPORT("bp_elementwise_counts") int bpElementwiseCounts() {
  return UNARY_COUNT | (BINARY_COUNT << 8) | (REDUCE_COUNT << 16);
}
