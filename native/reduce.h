// The reduce kernel (formulas in src/backend/ops.ts; the JS reference is src/backend/js/reduce.ts, which this
// follows step for step). x's dims are coalesced (size-1 dims dropped, neighbours that are both reduced or both kept
// merged), then x is read once in order, each contiguous run added into double accumulators of the outputs: sums add
// in x's order, the same numbers in the same order as the reference. logSumExp reads x twice.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "elementwise.h"

namespace bp {

namespace reduce_detail {
struct Plan {
  size_t rank = 0;
  size_t dims[kMaxKernelRank] = {};
  bool reduced[kMaxKernelRank] = {};
  size_t yStrides[kMaxKernelRank] = {};
};

// pass 0: combine into acc (sum, max or min); pass 1: add e^(x − acc[j]) into acc2 (logSumExp).
template <typename T>
void walk(int code, int pass, const Plan& pl, const T* x, double* acc, double* acc2) {
  size_t r = pl.rank;
  size_t inner = r ? pl.dims[r - 1] : 1;
  bool innerReduced = r ? pl.reduced[r - 1] : true;
  size_t total = 1;
  for (size_t d = 0; d < r; d++) total *= pl.dims[d];
  size_t rows = total / inner;
  size_t index[kMaxKernelRank] = {};
  size_t yo = 0;
  bool isMax = code == R_MAX || code == R_LOG_SUM_EXP;
  for (size_t row = 0, xo = 0; row < rows; row++, xo += inner) {
    const T* xr = x + xo;
    if (pass == 1) {
      if (innerReduced) {
        double m = acc[yo], s = 0;
        for (size_t i = 0; i < inner; i++) s += std::exp(static_cast<double>(xr[i]) - m);
        acc2[yo] += s;
      } else {
        for (size_t i = 0; i < inner; i++) acc2[yo + i] += std::exp(static_cast<double>(xr[i]) - acc[yo + i]);
      }
    } else if (code == R_SUM || code == R_MEAN) {
      if (innerReduced) {
        double s = acc[yo];
        for (size_t i = 0; i < inner; i++) s += xr[i];
        acc[yo] = s;
      } else {
        for (size_t i = 0; i < inner; i++) acc[yo + i] += xr[i];
      }
    } else {
      for (size_t i = 0; i < inner; i++) {
        double& a = acc[yo + (innerReduced ? 0 : i)];
        double v = xr[i];
        if (std::isnan(a) || std::isnan(v)) a = NAN;
        else if (isMax ? v > a : v < a) a = v;
      }
    }
    for (size_t d = r ? r - 1 : 0; d-- > 0;) {  // the outer dims (none when r < 2)
      index[d]++;
      yo += pl.yStrides[d];
      if (index[d] < pl.dims[d]) break;
      yo -= pl.yStrides[d] * pl.dims[d];
      index[d] = 0;
    }
  }
}
}  // namespace reduce_detail

template <typename T>
void reduceKernel(int code, size_t rank, const int64_t* xShape, const int64_t* yShape, const T* x, T* y) {
  using namespace reduce_detail;
  size_t xTotal = 1, yTotal = 1, count = 1;
  for (size_t d = 0; d < rank; d++) {
    xTotal *= static_cast<size_t>(xShape[d]);
    yTotal *= static_cast<size_t>(yShape[d]);
    if (yShape[d] == 1) count *= static_cast<size_t>(xShape[d]);
  }
  if (yTotal == 0) return;
  double init = code == R_SUM || code == R_MEAN ? 0.0 : code == R_MIN ? INFINITY : -INFINITY;
  if (xTotal == 0) {
    double empty = code == R_MEAN ? NAN : init;
    for (size_t j = 0; j < yTotal; j++) y[j] = static_cast<T>(empty);
    return;
  }
  Plan pl;
  for (size_t d = 0; d < rank; d++) {
    size_t size = static_cast<size_t>(xShape[d]);
    if (size == 1) continue;
    bool red = yShape[d] == 1;
    if (pl.rank > 0 && pl.reduced[pl.rank - 1] == red) pl.dims[pl.rank - 1] *= size;
    else {
      pl.dims[pl.rank] = size;
      pl.reduced[pl.rank] = red;
      pl.rank++;
    }
  }
  size_t p = 1;
  for (size_t d = pl.rank; d-- > 0;) {
    pl.yStrides[d] = pl.reduced[d] ? 0 : p;
    if (!pl.reduced[d]) p *= pl.dims[d];
  }
  // Accumulators for every output: per thread, grown when a larger reduction first needs them.
  thread_local std::vector<double> accStore, acc2Store;
  if (accStore.size() < yTotal) accStore.resize(yTotal);
  double* acc = accStore.data();
  std::fill(acc, acc + yTotal, init);
  walk(code, 0, pl, x, acc, acc);
  if (code == R_LOG_SUM_EXP) {
    if (acc2Store.size() < yTotal) acc2Store.resize(yTotal);
    double* acc2 = acc2Store.data();
    std::fill(acc2, acc2 + yTotal, 0.0);
    walk(code, 1, pl, x, acc, acc2);
    for (size_t j = 0; j < yTotal; j++) {
      y[j] = static_cast<T>(std::isfinite(acc[j]) ? acc[j] + std::log(acc2[j]) : acc[j]);
    }
    return;
  }
  if (code == R_MEAN) for (size_t j = 0; j < yTotal; j++) y[j] = static_cast<T>(acc[j] / static_cast<double>(count));
  else for (size_t j = 0; j < yTotal; j++) y[j] = static_cast<T>(acc[j]);
}

}  // namespace bp
