// Pooling kernels (formulas in src/backend/ops.ts), the same loops as the JS reference: windows clipped to the
// input once per output position (work bounded by the input whatever the window), channels innermost
// (contiguous in NHWC). Max pooling's argmax indices address memory by their values: backward reads each one
// once (indices.h), checks it and uses only that read.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include "conv_geometry.h"
#include "indices.h"
#include "simd.h"

namespace bp {

// The window of output (oy, ox) clipped to the input: kernel rows [ky0, ky1), columns [kx0, kx1).
struct PoolWindow {
  int64_t iy0, ix0;
  size_t ky0, ky1, kx0, kx1;
  PoolWindow(const ConvGeom& g, size_t oy, size_t ox) {
    iy0 = g.rowStart(oy);
    ix0 = g.colStart(ox);
    const int64_t inH = static_cast<int64_t>(g.inH), inW = static_cast<int64_t>(g.inW);
    ky0 = static_cast<size_t>(std::max<int64_t>(0, -iy0));
    ky1 = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(g.kH), inH - iy0));
    kx0 = static_cast<size_t>(std::max<int64_t>(0, -ix0));
    kx1 = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(g.kW), inW - ix0));
  }
  size_t offset(const ConvGeom& g, size_t n, size_t ky, size_t kx) const {
    return ((n * g.inH + static_cast<size_t>(iy0 + static_cast<int64_t>(ky))) * g.inW +
            static_cast<size_t>(ix0 + static_cast<int64_t>(kx))) * g.inC;
  }
};

inline bool emptyPool(const ConvGeom& g) { return g.batch * g.outH * g.outW * g.inC == 0; }

template <typename T>
BP_CLONES void maxPool2dForward(const T* x, T* y, int32_t* argmax, const ConvGeom& g) {
  if (emptyPool(g)) return;
  const size_t C = g.inC;
  size_t o = 0;
  for (size_t n = 0; n < g.batch; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++, o += C) {
        PoolWindow win(g, oy, ox);
        T* yo = y + o;
        int32_t* ao = argmax + o;
        for (size_t ky = win.ky0; ky < win.ky1; ky++) {
          for (size_t kx = win.kx0; kx < win.kx1; kx++) {
            const T* s = x + win.offset(g, n, ky, kx);
            const int32_t pos = static_cast<int32_t>(ky * g.kW + kx);
            if (ky == win.ky0 && kx == win.kx0) {
              for (size_t c = 0; c < C; c++) {
                yo[c] = s[c];
                ao[c] = pos;
              }
              continue;
            }
            for (size_t c = 0; c < C; c++) {
              const T v = s[c], m = yo[c];
              // The first maximum wins; a NaN wins over numbers (and the first NaN stays).
              if (v > m || (v != v && m == m)) {
                yo[c] = v;
                ao[c] = pos;
              }
            }
          }
        }
      }
    }
  }
}

template <typename T>
void maxPool2dBackward(const T* dy, const int32_t* argmax, T* dx, const ConvGeom& g) {
  std::fill(dx, dx + g.batch * g.inH * g.inW * g.inC, T(0));
  if (emptyPool(g)) return;
  const size_t C = g.inC, window = g.kH * g.kW;
  const int64_t inH = static_cast<int64_t>(g.inH), inW = static_cast<int64_t>(g.inW);
  size_t o = 0;
  for (size_t n = 0; n < g.batch; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      const int64_t iy0 = g.rowStart(oy);
      for (size_t ox = 0; ox < g.outW; ox++) {
        const int64_t ix0 = g.colStart(ox);
        for (size_t c = 0; c < C; c++, o++) {
          const int32_t pos = loadIndexOnce(argmax + o);  // the one read of this index
          bool ok = pos >= 0 && static_cast<size_t>(pos) < window;
          int64_t iy = 0, ix = 0;
          if (ok) {
            const size_t ky = static_cast<size_t>(pos) / g.kW, kx = static_cast<size_t>(pos) % g.kW;
            iy = iy0 + static_cast<int64_t>(ky);
            ix = ix0 + static_cast<int64_t>(kx);
            ok = iy >= 0 && iy < inH && ix >= 0 && ix < inW;
          }
          if (!ok) {
            throw KernelRangeError("'argmax' at " + std::to_string(o) + " is " + std::to_string(pos) +
                                   ", which is not a position of its window inside the input (0.." +
                                   std::to_string(window - 1) + ")");
          }
          T* d = dx + ((n * g.inH + static_cast<size_t>(iy)) * g.inW + static_cast<size_t>(ix)) * C + c;
          *d = static_cast<T>(static_cast<double>(*d) + static_cast<double>(dy[o]));
        }
      }
    }
  }
}

template <typename T>
BP_CLONES void avgPool2dForward(const T* x, T* y, const ConvGeom& g) {
  if (emptyPool(g)) return;
  const size_t C = g.inC;
  double* acc = scratch<double>(kSlotAcc, C);
  size_t o = 0;
  for (size_t n = 0; n < g.batch; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++, o += C) {
        PoolWindow win(g, oy, ox);
        std::fill(acc, acc + C, 0.0);
        for (size_t ky = win.ky0; ky < win.ky1; ky++) {
          for (size_t kx = win.kx0; kx < win.kx1; kx++) {
            const T* s = x + win.offset(g, n, ky, kx);
            for (size_t c = 0; c < C; c++) acc[c] += s[c];
          }
        }
        const double count = static_cast<double>((win.ky1 - win.ky0) * (win.kx1 - win.kx0));
        for (size_t c = 0; c < C; c++) y[o + c] = static_cast<T>(acc[c] / count);
      }
    }
  }
}

template <typename T>
BP_CLONES void avgPool2dBackward(const T* dy, T* dx, const ConvGeom& g) {
  std::fill(dx, dx + g.batch * g.inH * g.inW * g.inC, T(0));
  if (emptyPool(g)) return;
  const size_t C = g.inC;
  size_t o = 0;
  for (size_t n = 0; n < g.batch; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++, o += C) {
        PoolWindow win(g, oy, ox);
        const double count = static_cast<double>((win.ky1 - win.ky0) * (win.kx1 - win.kx0));
        for (size_t ky = win.ky0; ky < win.ky1; ky++) {
          for (size_t kx = win.kx0; kx < win.kx1; kx++) {
            T* d = dx + win.offset(g, n, ky, kx);
            for (size_t c = 0; c < C; c++) d[c] = static_cast<T>(d[c] + static_cast<double>(dy[o + c]) / count);
          }
        }
      }
    }
  }
}

}  // namespace bp
