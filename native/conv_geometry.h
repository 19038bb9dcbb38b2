// The geometry of a convolution or pooling call (formulas in src/backend/ops.ts), checked by the exports
// before any kernel sees it, and the per-thread scratch memory of the kernels.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace bp {

// NHWC input [batch, inH, inW, inC], kernel [kH, kW, inC/groups, outC], output [batch, outH, outW, outC].
// Pooling uses the same fields with outC = inC, groups = 1 and dilation 1. Every field is < 2^31, so the
// products of two fields used in index arithmetic below stay under 2^62 and fit in int64.
struct ConvGeom {
  size_t batch = 0, inH = 0, inW = 0, inC = 0, kH = 0, kW = 0, outC = 0;
  size_t sH = 1, sW = 1, pT = 0, pL = 0, dH = 1, dW = 1, outH = 0, outW = 0, groups = 1;
  size_t cg() const { return inC / groups; }
  size_t fg() const { return outC / groups; }
  // im2col columns of one group: kH·kW·inC/groups (checked to fit in an int: it is a BLAS dimension).
  size_t kg() const { return kH * kW * cg(); }
  size_t rows() const { return batch * outH * outW; }
  int64_t rowStart(size_t oy) const { return static_cast<int64_t>(oy * sH) - static_cast<int64_t>(pT); }
  int64_t colStart(size_t ox) const { return static_cast<int64_t>(ox * sW) - static_cast<int64_t>(pL); }
  // A 1×1 convolution at stride 1 without padding over the whole input: x is already the im2col matrix.
  bool pointwise() const {
    return kH == 1 && kW == 1 && sH == 1 && sW == 1 && pT == 0 && pL == 0 && groups == 1 && outH == inH &&
           outW == inW;
  }
};

// A failure found while a kernel runs (an index out of range): thrown on the thread that called the kernel,
// turned into a RangeError by the export (synchronous) or by AsyncJob (off the main thread).
struct KernelRangeError : std::runtime_error {
  explicit KernelRangeError(const std::string& m) : std::runtime_error(m) {}
};

// Scratch memory per thread and slot, grown when a larger shape first needs it and reused after, so a kernel
// allocates only the first time a thread meets a size. Its size is bounded by the arrays of the call.
template <typename T>
T* scratch(int slot, size_t n) {
  thread_local std::vector<T> slots[10];
  std::vector<T>& v = slots[slot];
  if (v.size() < n) v.resize(n);
  return v.data();
}

constexpr int kSlotCol = 0, kSlotDcol = 1, kSlotAcc = 2, kSlotAcc2 = 3;
// The direct kernels' per-chunk copies of a padded sample and of its padded input gradient; the Winograd kernels'
// transformed input patches, products, and padded output gradient.
constexpr int kSlotPadded = 4, kSlotPaddedGrad = 5, kSlotWinoV = 6, kSlotWinoM = 7, kSlotWinoDz = 8;
// graph-model layers: a transposed convolution's flipped kernel, which the convolution it calls then reads.
constexpr int kSlotFlip = 9;

}  // namespace bp
