// Convolution forward/backward over OpenBLAS (formulas in src/backend/ops.ts). Output rows (n, oy, ox) are
// processed in panels that fit in L2: im2col copies a panel's input windows into per-thread scratch
// (rows × kH·kW·inC/groups), one sgemm per group multiplies it with the group's kernel columns straight into
// z, and bias + activation run on the panel while it is still in cache. Backward rebuilds the same panels for
// dW += colᵀ·dz and scatters dcol = dz·Wᵀ back into dx (col2im). A 1×1 convolution at stride 1 is one gemm;
// depthwise convolutions (one group per channel) take their own kernels (conv_depthwise.h).
#pragma once
#include <algorithm>
#include <cstring>

#include "activations.h"
#include "blas.h"
#include "conv_depthwise.h"
#include "conv_direct.h"
#include "conv_geometry.h"
#include "simd.h"
#include "winograd.h"

#include <type_traits>

namespace bp {

// Bytes of one im2col panel: with the kernel and the panel's outputs it stays within a 2 MB L2.
constexpr size_t kPanelBytes = 256 * 1024;

inline size_t panelRows(const ConvGeom& g, size_t elemSize) {
  size_t perRow = std::max<size_t>(1, g.kg() * elemSize);
  return std::max<size_t>(1, std::min(g.rows(), kPanelBytes / perRow));
}

// col[r·kg + (ky·kW + kx)·cg + c] = x[n, iy, ix, c0 + c] for the panel's rows (0 outside the input), or with
// Scatter the reverse: x[n, iy, ix, c0 + c] += col[...] for positions inside the input (col2im).
template <bool Scatter, typename T>
BP_CLONES void im2col(T* x, T* col, size_t r0, size_t count, size_t c0, const ConvGeom& g) {
  const size_t cg = g.cg(), rowLen = g.kW * cg;
  const int64_t inH = static_cast<int64_t>(g.inH), inW = static_cast<int64_t>(g.inW);
  size_t ox = r0 % g.outW, t = r0 / g.outW, oy = t % g.outH, n = t / g.outH;
  T* c = col;
  for (size_t r = 0; r < count; r++) {
    const int64_t iy0 = g.rowStart(oy), ix0 = g.colStart(ox);
    // The common case: a whole window row inside the input, contiguous when dilationW = 1 and one group.
    const bool rowInside = g.dW == 1 && cg == g.inC && ix0 >= 0 && ix0 + static_cast<int64_t>(g.kW) <= inW;
    for (size_t ky = 0; ky < g.kH; ky++, c += rowLen) {
      const int64_t iy = iy0 + static_cast<int64_t>(ky * g.dH);
      if (iy < 0 || iy >= inH) {
        if (!Scatter) std::fill(c, c + rowLen, T(0));
        continue;
      }
      T* src = x + (n * g.inH + static_cast<size_t>(iy)) * g.inW * g.inC + c0;
      if (rowInside) {
        T* s = src + static_cast<size_t>(ix0) * g.inC;
        if (Scatter) for (size_t i = 0; i < rowLen; i++) s[i] += c[i];
        else std::memcpy(c, s, rowLen * sizeof(T));
        continue;
      }
      for (size_t kx = 0; kx < g.kW; kx++) {
        const int64_t ix = ix0 + static_cast<int64_t>(kx * g.dW);
        T* ck = c + kx * cg;
        if (ix < 0 || ix >= inW) {
          if (!Scatter) std::fill(ck, ck + cg, T(0));
          continue;
        }
        T* s = src + static_cast<size_t>(ix) * g.inC;
        if (Scatter) for (size_t i = 0; i < cg; i++) s[i] += ck[i];
        else std::memcpy(ck, s, cg * sizeof(T));
      }
    }
    if (++ox == g.outW) {
      ox = 0;
      if (++oy == g.outH) {
        oy = 0;
        n++;
      }
    }
  }
}

// Bias and activation over output rows [r0, r0 + count).
template <typename T>
BP_CLONES void convEpilogue(const T* b, T* z, T* y, size_t r0, size_t count, size_t outC, int act, double alpha) {
  for (size_t r = r0; r < r0 + count; r++) {
    T* zr = z + r * outC;
    if (b) for (size_t j = 0; j < outC; j++) zr[j] += b[j];
    forwardRange(act, alpha, zr, y + r * outC, outC);
  }
}

// Rows per gemm when a pointwise convolution's rows are used directly: a BLAS dimension is an int.
constexpr size_t kMaxGemmRows = size_t(1) << 30;

template <typename T>
void conv2dForward(const T* x, const T* w, const T* b, T* z, T* y, const ConvGeom& g, int act, double alpha) {
  const size_t rows = g.rows(), outC = g.outC, total = rows * outC;
  if (total == 0) return;
  const size_t kg = g.kg(), fg = g.fg(), cg = g.cg();
  if (kg == 0) {
    std::fill(z, z + total, T(0));
    convEpilogue(b, z, y, 0, rows, outC, act, alpha);
    return;
  }
  if (g.pointwise()) {
    for (size_t r0 = 0; r0 < rows; r0 += kMaxGemmRows) {
      size_t count = std::min(kMaxGemmRows, rows - r0);
      gemm(false, false, count, outC, g.inC, 1.0, x + r0 * g.inC, w, 0.0, z + r0 * outC);
      convEpilogue(b, z, y, r0, count, outC, act, alpha);
    }
    return;
  }
  if (depthwiseSupported(g)) {
    depthwiseForward(x, w, b, z, y, g, act, alpha);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (winogradSupported(g)) {
      winogradForward(x, w, b, z, y, g, act, alpha);
      return;
    }
    if (directConvSupported(g)) {
      directConvForward(x, w, b, z, y, g, act, alpha);
      return;
    }
  }
  const size_t pr = panelRows(g, sizeof(T));
  T* col = scratch<T>(kSlotCol, pr * kg);
  for (size_t r0 = 0; r0 < rows; r0 += pr) {
    const size_t count = std::min(pr, rows - r0);
    for (size_t grp = 0; grp < g.groups; grp++) {
      im2col<false>(const_cast<T*>(x), col, r0, count, grp * cg, g);
      cblasGemm(false, false, static_cast<int>(count), static_cast<int>(fg), static_cast<int>(kg), 1.0, col,
                static_cast<int>(kg), w + grp * fg, static_cast<int>(outC), 0.0, z + r0 * outC + grp * fg,
                static_cast<int>(outC));
    }
    convEpilogue(b, z, y, r0, count, outC, act, alpha);
  }
}

template <typename T>
void conv2dBackward(const T* x, const T* w, const T* z, const T* y, const T* dy, T* dz, T* dw, T* db, T* dx,
                    const ConvGeom& g, int act, double alpha) {
  const size_t rows = g.rows(), outC = g.outC, total = rows * outC;
  const size_t kg = g.kg(), fg = g.fg(), cg = g.cg();
  if (total > 0 && kg > 0 && depthwiseSupported(g)) {
    depthwiseBackward(x, w, z, y, dy, dz, dw, db, dx, g, act, alpha);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (total > 0 && kg > 0 && winogradSupported(g)) {
      winogradBackward(x, w, z, y, dy, dz, dw, db, dx, g, act, alpha);
      return;
    }
    if (total > 0 && kg > 0 && directConvSupported(g)) {
      if (dx) std::fill(dx, dx + g.batch * g.inH * g.inW * g.inC, T(0));
      directConvBackward(x, w, z, y, dy, dz, dw, db, dx, g, act, alpha);
      return;
    }
  }
  activationBackward(act, alpha, z, y, dy, dz, rows, outC);
  if (db) {
    double* sums = scratch<double>(kSlotAcc, outC);
    std::fill(sums, sums + outC, 0.0);
    for (size_t r = 0; r < rows; r++) {
      const T* d = dz + r * outC;
      for (size_t j = 0; j < outC; j++) sums[j] += d[j];
    }
    for (size_t j = 0; j < outC; j++) db[j] = static_cast<T>(sums[j]);
  }
  if (dx) std::fill(dx, dx + g.batch * g.inH * g.inW * g.inC, T(0));
  if (total == 0 || kg == 0) {
    std::fill(dw, dw + kg * outC, T(0));
    return;
  }
  if (g.pointwise()) {
    for (size_t r0 = 0; r0 < rows; r0 += kMaxGemmRows) {
      size_t count = std::min(kMaxGemmRows, rows - r0);
      gemm(true, false, g.inC, outC, count, 1.0, x + r0 * g.inC, dz + r0 * outC, r0 == 0 ? 0.0 : 1.0, dw);
      if (dx) gemm(false, true, count, g.inC, outC, 1.0, dz + r0 * outC, w, 0.0, dx + r0 * g.inC);
    }
    return;
  }
  const size_t pr = panelRows(g, sizeof(T));
  T* col = scratch<T>(kSlotCol, pr * kg);
  T* dcol = dx ? scratch<T>(kSlotDcol, pr * kg) : nullptr;
  for (size_t r0 = 0; r0 < rows; r0 += pr) {
    const size_t count = std::min(pr, rows - r0);
    for (size_t grp = 0; grp < g.groups; grp++) {
      const T* dzp = dz + r0 * outC + grp * fg;
      im2col<false>(const_cast<T*>(x), col, r0, count, grp * cg, g);
      cblasGemm(true, false, static_cast<int>(kg), static_cast<int>(fg), static_cast<int>(count), 1.0, col,
                static_cast<int>(kg), dzp, static_cast<int>(outC), r0 == 0 ? 0.0 : 1.0, dw + grp * fg,
                static_cast<int>(outC));
      if (dx) {
        cblasGemm(false, true, static_cast<int>(count), static_cast<int>(kg), static_cast<int>(fg), 1.0, dzp,
                  static_cast<int>(outC), w + grp * fg, static_cast<int>(outC), 0.0, dcol, static_cast<int>(kg));
        im2col<true>(dx, dcol, r0, count, grp * cg, g);
      }
    }
  }
}

}  // namespace bp
