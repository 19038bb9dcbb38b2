// Export of the reduce op (bp.ops' sum, mean, max, min, logSumExp over axes; formulas in src/backend/ops.ts). It
// follows the JS reference (src/backend/js/reduce.ts) step for step: x's dims are coalesced (size-1 dims dropped,
// neighbours both reduced or both kept merged), then x is read once in order, each contiguous run combined into
// double accumulators of the outputs, so sums add the same numbers in the same order as the reference. Where the
// innermost dim is kept, the accumulators of a run are updated two doubles at a time (each still in x's order).
// logSumExp reads x twice (the max, then Σ e^(x − max)).
#include "base.h"
#include "elementwise.h"
#include "math.h"

using namespace bp;

namespace {

struct Plan {
  int rank = 0;
  size_t dims[kMaxKernelRank] = {};
  bool reduced[kMaxKernelRank] = {};
  size_t yStrides[kMaxKernelRank] = {};
};

// acc[i] += x[i] for i < n, in double.
void addRun(double* acc, const float* x, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(acc + i, wasm_f64x2_add(wasm_v128_load(acc + i), wasm_f64x2_promote_low_f32x4(v)));
    const v128_t hi = wasm_i32x4_shuffle(v, v, 2, 3, 0, 1);
    wasm_v128_store(acc + i + 2, wasm_f64x2_add(wasm_v128_load(acc + i + 2), wasm_f64x2_promote_low_f32x4(hi)));
  }
  for (; i < n; i++) acc[i] += x[i];
}

// pass 0: combine into acc (sum, max or min); pass 1: add e^(x − acc[j]) into acc2 (logSumExp).
void walk(int code, int pass, const Plan& pl, const float* x, double* acc, double* acc2) {
  const int r = pl.rank;
  const size_t inner = r ? pl.dims[r - 1] : 1;
  const bool innerReduced = r ? pl.reduced[r - 1] : true;
  size_t total = 1;
  for (int d = 0; d < r; d++) total *= pl.dims[d];
  const size_t rows = total / inner;
  size_t index[kMaxKernelRank] = {};
  size_t yo = 0;
  const bool isMax = code == R_MAX || code == R_LOG_SUM_EXP;
  for (size_t row = 0, xo = 0; row < rows; row++, xo += inner) {
    const float* xr = x + xo;
    if (pass == 1) {
      if (innerReduced) {
        const double mx = acc[yo];
        double s = 0;
        for (size_t i = 0; i < inner; i++) s += m::exp(static_cast<double>(xr[i]) - mx);
        acc2[yo] += s;
      } else {
        for (size_t i = 0; i < inner; i++) acc2[yo + i] += m::exp(static_cast<double>(xr[i]) - acc[yo + i]);
      }
    } else if (code == R_SUM || code == R_MEAN) {
      if (innerReduced) {
        double s = acc[yo];
        for (size_t i = 0; i < inner; i++) s += xr[i];
        acc[yo] = s;
      } else {
        addRun(acc + yo, xr, inner);
      }
    } else {
      for (size_t i = 0; i < inner; i++) {
        double& a = acc[yo + (innerReduced ? 0 : i)];
        const double v = xr[i];
        if (m::isnan(a) || m::isnan(v)) a = m::kNaN;
        else if (isMax ? v > a : v < a) a = v;
      }
    }
    for (int d = r - 2; d >= 0; d--) {  // the outer dims (none when r < 2)
      index[d]++;
      yo += pl.yStrides[d];
      if (index[d] < pl.dims[d]) break;
      yo -= pl.yStrides[d] * pl.dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace

BP_EXPORT("reduce")
double bpReduce(int32_t* status, int, int code, int rank, const int32_t* xShape, const int32_t* yShape,
                const float* x, float* y) {
  size_t xTotal = 1, yTotal = 1, count = 1;
  for (int d = 0; d < rank; d++) {
    xTotal *= static_cast<size_t>(xShape[d]);
    yTotal *= static_cast<size_t>(yShape[d]);
    if (yShape[d] == 1) count *= static_cast<size_t>(xShape[d]);
  }
  if (yTotal == 0) return 0;
  const double init = code == R_SUM || code == R_MEAN ? 0.0 : code == R_MIN ? m::kInf : -m::kInf;
  if (xTotal == 0) {
    fill(y, yTotal, static_cast<float>(code == R_MEAN ? m::kNaN : init));
    return 0;
  }
  Plan pl;
  for (int d = 0; d < rank; d++) {
    const size_t size = static_cast<size_t>(xShape[d]);
    if (size == 1) continue;
    const bool red = yShape[d] == 1;
    if (pl.rank > 0 && pl.reduced[pl.rank - 1] == red) {
      pl.dims[pl.rank - 1] *= size;
    } else {
      pl.dims[pl.rank] = size;
      pl.reduced[pl.rank] = red;
      pl.rank++;
    }
  }
  size_t p = 1;
  for (int d = pl.rank - 1; d >= 0; d--) {
    pl.yStrides[d] = pl.reduced[d] ? 0 : p;
    if (!pl.reduced[d]) p *= pl.dims[d];
  }
  Scratch<double> acc(yTotal), acc2(code == R_LOG_SUM_EXP ? yTotal : 0);
  if (!acc || !acc2) {
    *status = kOutOfMemory;
    return 0;
  }
  for (size_t j = 0; j < yTotal; j++) acc.p[j] = init;
  walk(code, 0, pl, x, acc.p, acc.p);
  if (code == R_LOG_SUM_EXP) {
    // A max of ±∞ or NaN is the answer itself (e^(x − max) would be NaN).
    for (size_t j = 0; j < yTotal; j++) acc2.p[j] = m::isnan(acc.p[j] - acc.p[j]) ? m::kNaN : 0.0;
    walk(code, 1, pl, x, acc.p, acc2.p);
    for (size_t j = 0; j < yTotal; j++) {
      const double a = acc.p[j];
      y[j] = static_cast<float>(m::isnan(a - a) ? a : a + m::log(acc2.p[j]));
    }
    return 0;
  }
  if (code == R_MEAN) {
    for (size_t j = 0; j < yTotal; j++) y[j] = static_cast<float>(acc.p[j] / static_cast<double>(count));
  } else {
    for (size_t j = 0; j < yTotal; j++) y[j] = static_cast<float>(acc.p[j]);
  }
  return 0;
}
