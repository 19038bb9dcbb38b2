// graph-model layers: the transposed convolution (formulas in src/backend/ops.ts), computed as the adjoint of
// the convolution of an [outH, outW, outC] image by the same kernel (read as [kH, kW, outC, inC]): its forward is
// that convolution's input gradient, its backward that convolution's forward (dx) and weight gradient (dw). Those
// reuse the convolution's paths (conv.h: Winograd, the direct register tiles, im2col + OpenBLAS) and thread pool.
// At stride 1 the forward is itself a convolution, of x by the kernel flipped in space with its channel axes
// swapped, padded by (k − 1)·dilation − pad: it then takes the convolution forward's fast paths and fused epilogue.
#pragma once
#include <algorithm>

#include "conv.h"
#include "thread_pool.h"

namespace bp {

// A transposed convolution's dims, in ConvGeom's fields (inH..inC: its input x; outH..outC: its output; groups 1).
using TransposeGeom = ConvGeom;

// The convolution whose input gradient the transposed convolution t is.
inline ConvGeom adjointConv(const TransposeGeom& t) {
  ConvGeom c = t;
  c.inH = t.outH;
  c.inW = t.outW;
  c.inC = t.outC;
  c.outC = t.inC;
  c.outH = t.inH;
  c.outW = t.inW;
  c.groups = 1;
  return c;
}

// Whether t's forward is the convolution of x by the flipped kernel: stride 1, padding within the dilated kernel.
inline bool flippedApplies(const TransposeGeom& t) {
  return t.sH == 1 && t.sW == 1 && t.kH > 0 && t.kW > 0 && t.pT <= (t.kH - 1) * t.dH && t.pL <= (t.kW - 1) * t.dW;
}

inline ConvGeom flippedConv(const TransposeGeom& t) {
  ConvGeom f = t;
  f.pT = (t.kH - 1) * t.dH - t.pT;
  f.pL = (t.kW - 1) * t.dW - t.pL;
  f.groups = 1;
  return f;
}

// dx = the input gradient of convolution c given dz (overwritten), through im2col panels: dcol = dz·Wᵀ (one gemm
// per panel) scattered back into dx (col2im), as conv2dBackward computes it.
template <typename T>
void convInputGrad(const T* dz, const T* w, T* dx, const ConvGeom& c) {
  std::fill(dx, dx + c.batch * c.inH * c.inW * c.inC, T(0));
  const size_t rows = c.rows(), kg = c.kg(), outC = c.outC;
  if (rows == 0 || kg == 0 || outC == 0) return;
  const size_t pr = panelRows(c, sizeof(T));
  T* dcol = scratch<T>(kSlotDcol, pr * kg);
  for (size_t r0 = 0; r0 < rows; r0 += pr) {
    const size_t count = std::min(pr, rows - r0);
    cblasGemm(false, true, static_cast<int>(count), static_cast<int>(kg), static_cast<int>(outC), 1.0, dz + r0 * outC,
              static_cast<int>(outC), w, static_cast<int>(outC), 0.0, dcol, static_cast<int>(kg));
    im2col<true>(dx, dcol, r0, count, 0, c);
  }
}

template <typename T>
void conv2dTransposeForward(const T* x, const T* w, const T* b, T* z, T* y, const TransposeGeom& t, int act,
                            double alpha) {
  const size_t pixels = t.outH * t.outW, outC = t.outC;
  if (t.batch * pixels * outC == 0) return;
  if (flippedApplies(t)) {
    // wf[ky, kx, c, f] = w[kH−1−ky, kW−1−kx, f, c]
    const size_t taps = t.kH * t.kW, C = t.inC;
    T* wf = scratch<T>(kSlotFlip, taps * C * outC);
    for (size_t k = 0; k < taps; k++) {
      const T* src = w + (taps - 1 - k) * outC * C;
      T* dst = wf + k * C * outC;
      for (size_t f = 0; f < outC; f++)
        for (size_t c = 0; c < C; c++) dst[c * outC + f] = src[f * C + c];
    }
    conv2dForward(x, wf, b, z, y, flippedConv(t), act, alpha);
    return;
  }
  const ConvGeom c = adjointConv(t);
  bool done = false;
  if constexpr (std::is_same_v<T, float>) {
    if (c.kg() > 0 && directConvSupported(c)) {
      directConvInputGrad(x, w, z, c);
      done = true;
    }
  }
  if (!done) convInputGrad(x, w, z, c);
  const size_t chunks = chunkCount(t.batch);
  parallelChunks(chunks, [&](size_t ch) {
    const size_t n0 = t.batch * ch / chunks, n1 = t.batch * (ch + 1) / chunks;
    convEpilogue(b, z, y, n0 * pixels, (n1 - n0) * pixels, outC, act, alpha);
  });
}

template <typename T>
void conv2dTransposeBackward(const T* x, const T* w, const T* z, const T* y, const T* dy, T* dz, T* dw, T* db, T* dx,
                             const TransposeGeom& t, int act, double alpha) {
  const size_t pixels = t.outH * t.outW, outC = t.outC, chunks = chunkCount(t.batch);
  // dz and the per-chunk sums of db, reduced in chunk order.
  double* dbParts = scratch<double>(kSlotAcc2, chunks * outC);
  std::fill(dbParts, dbParts + chunks * outC, 0.0);
  parallelChunks(chunks, [&](size_t ch) {
    const size_t r0 = t.batch * ch / chunks * pixels, r1 = t.batch * (ch + 1) / chunks * pixels;
    activationBackward(act, alpha, z + r0 * outC, y + r0 * outC, dy + r0 * outC, dz + r0 * outC, r1 - r0, outC);
    if (!db) return;
    double* sums = dbParts + ch * outC;
    for (size_t r = r0; r < r1; r++)
      for (size_t f = 0; f < outC; f++) sums[f] += dz[r * outC + f];
  });
  if (db) {
    for (size_t f = 0; f < outC; f++) {
      double s = 0;
      for (size_t ch = 0; ch < chunks; ch++) s += dbParts[ch * outC + f];
      db[f] = static_cast<T>(s);
    }
  }
  const ConvGeom c = adjointConv(t);
  if (dx) conv2dForward(static_cast<const T*>(dz), w, static_cast<const T*>(nullptr), dx, dx, c, LINEAR, 0.0);
  // The convolution's weight gradient, with dz as its input and x as its (linear) output gradient: x is passed as
  // that op's dy and dz at once, which a linear backward leaves as it is.
  conv2dBackward(static_cast<const T*>(dz), w, x, x, x, const_cast<T*>(x), dw, static_cast<T*>(nullptr),
                 static_cast<T*>(nullptr), c, LINEAR, 0.0);
}

}  // namespace bp
