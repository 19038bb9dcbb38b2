// Exports of the autodiff ops that move data or multiply matrices (formulas in src/backend/ops.ts; the JS reference
// is src/backend/js/strided.ts and matmul.ts): batched matMul over the blocked sgemm (gemm.cc); the strided copy
// behind transpose, slice, tile, broadcast, concat and pad; gather / scatterAdd / oneHot, whose indices are read
// once each from the module's copy, checked, and used only as that read (an index out of range stops the op with its
// position + 1 in the status: the JS side then raises the JS backend's error).
#include "base.h"
#include "elementwise.h"
#include "gemm.h"

using namespace bp;

namespace {

BP_INLINE bool indexAt(const int32_t* indices, size_t c, size_t bound, size_t* v) {
  const int32_t i = indices[c];
  if (i < 0 || static_cast<size_t>(i) >= bound) return false;
  *v = static_cast<size_t>(i);
  return true;
}

// The largest position a strided walk reaches (-1 when the shape is empty), in 64 bits: at most 8 terms < 2^62.
int64_t stridedReach(int rank, const int32_t* shape, const int32_t* strides, int64_t offset) {
  int64_t reach = offset;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return -1;
    reach += static_cast<int64_t>(shape[d] - 1) * strides[d];
  }
  return reach;
}

}  // namespace

// c = a·b per batch matrix (a m×k or, transposed, k×m; b k×n or n×k), the batch dims broadcast. One gemm in all
// when every batch multiplies the same b by its own a (a not transposed: its batches stack into one tall matrix).
// gemm sums every element of c in one fixed order whatever the threads, so splitting the batches over the pool
// (each gemm on one thread) or each gemm over the pool gives the same bits.
BP_EXPORT("matMul")
double bpMatMul(int32_t* status, int pooled, int transA, int transB, int rank, const int32_t* outBatch,
                const int32_t* aBatch, const int32_t* bBatch, int mi, int ni, int ki, const float* a, const float* b,
                float* c) {
  const Exec ex = execOf(pooled);
  const size_t m = mi, n = ni, k = ki;
  size_t batch = 1, pa = m * k, pb = k * n;
  size_t as[kMaxKernelRank] = {}, bs[kMaxKernelRank] = {};
  bool bShared = true, aFull = true;
  for (int d = rank - 1; d >= 0; d--) {
    batch *= static_cast<size_t>(outBatch[d]);
    as[d] = aBatch[d] == 1 ? 0 : pa;
    bs[d] = bBatch[d] == 1 ? 0 : pb;
    pa *= static_cast<size_t>(aBatch[d]);
    pb *= static_cast<size_t>(bBatch[d]);
    if (bBatch[d] != 1) bShared = false;
    if (aBatch[d] != outBatch[d]) aFull = false;
  }
  if (batch == 0 || m == 0 || n == 0) return 0;
  const size_t lda = transA ? m : k, ldb = transB ? k : n;
  if (batch == 1 || (bShared && aFull && !transA)) {
    if (!gemm(ex, batch * m, n, k, 1.0f, rowMajor(a, lda, transA), rowMajor(b, ldb, transB), 0.0f, c, n)) {
      *status = kOutOfMemory;
    }
    return 0;
  }
  // Each batch matrix's offsets into a and b (the odometer over the batch dims).
  Scratch<size_t> offsets(2 * batch);
  if (!offsets) {
    *status = kOutOfMemory;
    return 0;
  }
  size_t index[kMaxKernelRank] = {}, ao = 0, bo = 0;
  for (size_t i = 0; i < batch; i++) {
    offsets.p[2 * i] = ao;
    offsets.p[2 * i + 1] = bo;
    for (int d = rank - 1; d >= 0; d--) {
      index[d]++;
      ao += as[d];
      bo += bs[d];
      if (index[d] < static_cast<size_t>(outBatch[d])) break;
      ao -= as[d] * static_cast<size_t>(outBatch[d]);
      bo -= bs[d] * static_cast<size_t>(outBatch[d]);
      index[d] = 0;
    }
  }
  const auto one = [&](const Exec& e, size_t i) {
    return gemm(e, m, n, k, 1.0f, rowMajor(a + offsets.p[2 * i], lda, transA),
                rowMajor(b + offsets.p[2 * i + 1], ldb, transB), 0.0f, c + i * m * n, n);
  };
  // Many or small matrices: a task per batch matrix; few large ones: each over the pool in turn.
  const bool perBatch =
      batch >= static_cast<size_t>(2 * ex.threads()) || uint64_t(m) * n * k <= (uint64_t(1) << 18);
  if (perBatch) {
    int32_t failed = 0;
    parallel(ex, static_cast<int>(batch), [&](int i, int) {
      if (!one(Exec{nullptr, 0}, static_cast<size_t>(i))) __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
    });
    if (failed) *status = kOutOfMemory;
    return 0;
  }
  for (size_t i = 0; i < batch; i++) {
    if (!one(ex, i)) {
      *status = kOutOfMemory;
      return 0;
    }
  }
  return 0;
}

// y[yOffset + Σ i_d·yStrides_d] = x[xOffset + Σ i_d·xStrides_d] over the shape. The JS side checked that every
// position reached lies in x and y; the module checks it again on its copies (a broken promise traps).
BP_EXPORT("stridedCopy")
double bpStridedCopy(int32_t*, int, int rank, const int32_t* shape, const int32_t* xStrides, int xOffset,
                     const int32_t* yStrides, int yOffset, const float* x, float* y, int xLen, int yLen) {
  const int64_t xReach = stridedReach(rank, shape, xStrides, xOffset);
  const int64_t yReach = stridedReach(rank, shape, yStrides, yOffset);
  if (xReach >= xLen || yReach >= yLen) __builtin_trap();
  if (xReach < 0) return 0;  // an empty shape
  // Coalesce: size-1 dims dropped, neighbours merged where both strides continue across them.
  size_t dims[kMaxKernelRank], xs[kMaxKernelRank], ys[kMaxKernelRank];
  int r = 0;
  size_t total = 1;
  for (int d = 0; d < rank; d++) {
    const size_t size = static_cast<size_t>(shape[d]);
    total *= size;
    if (size == 1) continue;
    const size_t sx = static_cast<size_t>(xStrides[d]), sy = static_cast<size_t>(yStrides[d]);
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
  const size_t inner = r ? dims[r - 1] : 1, sx = r ? xs[r - 1] : 0, sy = r ? ys[r - 1] : 0;
  const size_t rows = total / inner;
  size_t index[kMaxKernelRank] = {};
  size_t xo = static_cast<size_t>(xOffset), yo = static_cast<size_t>(yOffset);
  for (size_t row = 0; row < rows; row++) {
    if (sx == 1 && sy == 1) {
      copy(y + yo, x + xo, inner);
    } else if (sy == 1 && sx == 0) {
      fill(y + yo, inner, x[xo]);
    } else {
      for (size_t i = 0; i < inner; i++) y[yo + i * sy] = x[xo + i * sx];
    }
    for (int d = r - 2; d >= 0; d--) {
      index[d]++;
      xo += xs[d];
      yo += ys[d];
      if (index[d] < dims[d]) break;
      xo -= xs[d] * dims[d];
      yo -= ys[d] * dims[d];
      index[d] = 0;
    }
  }
  return 0;
}

// y[o, c, :] = x[o, indices[c], :].
BP_EXPORT("gather")
double bpGather(int32_t* status, int, const float* x, const int32_t* indices, float* y, int outer, int n, int inner,
                int count) {
  if (outer == 0 || inner == 0) return 0;
  const size_t O = outer, N = n, I = inner, C = count;
  for (size_t c = 0; c < C; c++) {
    size_t v;
    if (!indexAt(indices, c, N, &v)) {
      *status = static_cast<int32_t>(c) + 1;
      return 0;
    }
    for (size_t o = 0; o < O; o++) copy(y + (o * C + c) * I, x + (o * N + v) * I, I);
  }
  return 0;
}

// dx[o, indices[c], :] += dy[o, c, :] (repeated indices add up, in c's order).
BP_EXPORT("scatterAdd")
double bpScatterAdd(int32_t* status, int, const float* dy, const int32_t* indices, float* dx, int outer, int n,
                    int inner, int count) {
  if (outer == 0 || inner == 0) return 0;
  const size_t O = outer, N = n, I = inner, C = count;
  for (size_t c = 0; c < C; c++) {
    size_t v;
    if (!indexAt(indices, c, N, &v)) {
      *status = static_cast<int32_t>(c) + 1;
      return 0;
    }
    for (size_t o = 0; o < O; o++) {
      float* to = dx + (o * N + v) * I;
      const float* from = dy + (o * C + c) * I;
      binaryRun(B_ADD, to, 1, from, 1, to, I);
    }
  }
  return 0;
}

// y[c, :] = off, then y[c, indices[c]] = on.
BP_EXPORT("oneHot")
double bpOneHot(int32_t* status, int, const int32_t* indices, float* y, int count, int depth, double on, double off) {
  const size_t C = count, D = depth;
  for (size_t c = 0; c < C; c++) {
    size_t v;
    if (!indexAt(indices, c, D, &v)) {
      *status = static_cast<int32_t>(c) + 1;
      return 0;
    }
    fill(y + c * D, D, static_cast<float>(off));
    y[c * D + v] = static_cast<float>(on);
  }
  return 0;
}
