// The data-movement kernels of the autodiff ops (formulas in src/backend/ops.ts; the JS reference is
// src/backend/js/strided.ts and matmul.ts): the strided copy behind transpose, slice, tile, broadcast, concat and
// pad; gather / scatterAdd / oneHot, whose indices are read once each, checked, and used only as that local
// (indices.h); and batched matMul, one gemm per batch matrix through blas.h.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "blas.h"
#include "elementwise.h"
#include "indices.h"

namespace bp {

// The largest position a strided walk reaches, or -1 when the shape is empty. Strides and dims are below 2^31
// and there are at most 8 of them, so the sum fits easily in 64 bits.
inline int64_t stridedReach(size_t rank, const int64_t* shape, const int64_t* strides, int64_t offset) {
  int64_t reach = offset;
  for (size_t d = 0; d < rank; d++) {
    if (shape[d] == 0) return -1;
    reach += (shape[d] - 1) * strides[d];
  }
  return reach;
}

// Every position reached must already be checked to lie in x and in y.
template <typename T>
void stridedCopyKernel(size_t rank, const int64_t* shape, const int64_t* xStrides, size_t xOffset,
                       const int64_t* yStrides, size_t yOffset, const T* x, T* y) {
  size_t dims[kMaxKernelRank], xs[kMaxKernelRank], ys[kMaxKernelRank];
  size_t r = 0, total = 1;
  for (size_t d = 0; d < rank; d++) {
    size_t size = static_cast<size_t>(shape[d]);
    total *= size;
    if (size == 1) continue;
    size_t sx = static_cast<size_t>(xStrides[d]), sy = static_cast<size_t>(yStrides[d]);
    if (r > 0 && xs[r - 1] == sx * size && ys[r - 1] == sy * size) {
      dims[r - 1] *= size;
      xs[r - 1] = sx;
      ys[r - 1] = sy;
    } else {
      dims[r] = size;
      xs[r] = sx;
      ys[r] = sy;
      r++;
    }
  }
  if (total == 0) return;
  size_t inner = r ? dims[r - 1] : 1, sx = r ? xs[r - 1] : 0, sy = r ? ys[r - 1] : 0;
  size_t rows = total / inner;
  size_t index[kMaxKernelRank] = {};
  size_t xo = xOffset, yo = yOffset;
  for (size_t row = 0; row < rows; row++) {
    if (sx == 1 && sy == 1) std::memcpy(y + yo, x + xo, inner * sizeof(T));
    else for (size_t i = 0; i < inner; i++) y[yo + i * sy] = x[xo + i * sx];
    for (size_t d = r ? r - 1 : 0; d-- > 0;) {  // the outer dims (none when r < 2)
      index[d]++;
      xo += xs[d];
      yo += ys[d];
      if (index[d] < dims[d]) break;
      xo -= xs[d] * dims[d];
      yo -= ys[d] * dims[d];
      index[d] = 0;
    }
  }
}

template <typename T>
BadIndex gatherKernel(const T* x, const int32_t* indices, T* y, size_t outer, size_t n, size_t inner, size_t count) {
  BadIndex bad;
  if (outer == 0 || inner == 0) return bad;
  for (size_t c = 0; c < count; c++) {
    size_t v;
    if (!readIndex(indices, c, n, &v, &bad)) return bad;
    for (size_t o = 0; o < outer; o++) std::memcpy(y + (o * count + c) * inner, x + (o * n + v) * inner, inner * sizeof(T));
  }
  return bad;
}

template <typename T>
BP_CLONES BadIndex scatterAddKernel(const T* dy, const int32_t* indices, T* dx, size_t outer, size_t n, size_t inner,
                                    size_t count) {
  BadIndex bad;
  if (outer == 0 || inner == 0) return bad;
  for (size_t c = 0; c < count; c++) {
    size_t v;
    if (!readIndex(indices, c, n, &v, &bad)) return bad;
    for (size_t o = 0; o < outer; o++) {
      T* to = dx + (o * n + v) * inner;
      const T* from = dy + (o * count + c) * inner;
      for (size_t i = 0; i < inner; i++) to[i] = static_cast<T>(double(to[i]) + double(from[i]));
    }
  }
  return bad;
}

template <typename T>
BadIndex oneHotKernel(const int32_t* indices, T* y, size_t count, size_t depth, double on, double off) {
  BadIndex bad;
  for (size_t c = 0; c < count; c++) {
    size_t v;
    if (!readIndex(indices, c, depth, &v, &bad)) return bad;
    std::fill(y + c * depth, y + (c + 1) * depth, static_cast<T>(off));
    y[c * depth + v] = static_cast<T>(on);
  }
  return bad;
}

// Batched matMul: one gemm per batch matrix, or one in all when every batch multiplies the same b by its own a (a
// not transposed, and batch·m fits BLAS's int): the batches of a then stack into one tall matrix.
template <typename T>
void matMulKernel(bool transA, bool transB, size_t rank, const int64_t* outBatch, const int64_t* aBatch,
                  const int64_t* bBatch, size_t m, size_t n, size_t k, const T* a, const T* b, T* c) {
  size_t batch = 1, pa = m * k, pb = k * n;
  size_t as[kMaxKernelRank] = {}, bs[kMaxKernelRank] = {};
  bool bShared = true, aFull = true;
  for (size_t d = rank; d-- > 0;) {
    batch *= static_cast<size_t>(outBatch[d]);
    as[d] = aBatch[d] == 1 ? 0 : pa;
    bs[d] = bBatch[d] == 1 ? 0 : pb;
    pa *= static_cast<size_t>(aBatch[d]);
    pb *= static_cast<size_t>(bBatch[d]);
    if (bBatch[d] != 1) bShared = false;
    if (aBatch[d] != outBatch[d]) aFull = false;
  }
  if (batch == 0) return;
  if (batch == 1 || (bShared && aFull && !transA && batch * m <= 2147483647ULL)) {
    gemm(transA, transB, batch * m, n, k, 1.0, a, b, 0.0, c);
    return;
  }
  size_t index[kMaxKernelRank] = {};
  size_t ao = 0, bo = 0;
  for (size_t i = 0; i < batch; i++) {
    gemm(transA, transB, m, n, k, 1.0, a + ao, b + bo, 0.0, c + i * m * n);
    for (size_t d = rank; d-- > 0;) {
      index[d]++;
      ao += as[d];
      bo += bs[d];
      if (index[d] < static_cast<size_t>(outBatch[d])) break;
      ao -= as[d] * static_cast<size_t>(outBatch[d]);
      bo -= bs[d] * static_cast<size_t>(outBatch[d]);
      index[d] = 0;
    }
  }
}

}  // namespace bp
