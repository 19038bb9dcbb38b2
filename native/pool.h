// Pooling kernels (formulas in src/backend/ops.ts), the same loops as the JS reference: windows clipped to the
// input once per output position (work bounded by the input whatever the window), channels innermost
// (contiguous in NHWC). Max pooling's argmax indices address memory by their values: backward reads each one
// once (indices.h), checks it and uses only that read.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "conv_geometry.h"
#include "indices.h"
#include "simd.h"
#include "thread_pool.h"

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

// One window's maximum per channel: the first maximum in row-major window order wins, a NaN wins over numbers
// (and the first NaN stays). Branch-free so the channel loop vectorizes.
template <typename T>
inline __attribute__((always_inline)) void maxPoolWindow(const T* x, T* yo, int32_t* ao, const ConvGeom& g,
                                                         const PoolWindow& win, size_t n) {
  const size_t C = g.inC;
  bool first = true;
  for (size_t ky = win.ky0; ky < win.ky1; ky++) {
    for (size_t kx = win.kx0; kx < win.kx1; kx++) {
      const T* s = x + win.offset(g, n, ky, kx);
      const int32_t pos = static_cast<int32_t>(ky * g.kW + kx);
      if (first) {
        for (size_t c = 0; c < C; c++) {
          yo[c] = s[c];
          ao[c] = pos;
        }
        first = false;
        continue;
      }
      for (size_t c = 0; c < C; c++) {
        const T v = s[c], m = yo[c];
        const bool take = v > m || (v != v && m == m);
        yo[c] = take ? v : m;
        ao[c] = take ? pos : ao[c];
      }
    }
  }
}

// 2×2 windows at stride 2 without padding (the common case): four rows of channels compared in one
// vectorized pass, in the order of the general rule (first maximum wins, a NaN wins and stays).
template <typename T>
inline __attribute__((always_inline)) void maxPool2x2(const T* x, T* y, int32_t* argmax, const ConvGeom& g,
                                                      size_t n0, size_t n1) {
  const size_t C = g.inC, rowLen = g.inW * C;
  size_t o = n0 * g.outH * g.outW * C;
  for (size_t n = n0; n < n1; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      const T* r0 = x + (n * g.inH + 2 * oy) * rowLen;
      const T* r1 = r0 + rowLen;
      for (size_t ox = 0; ox < g.outW; ox++, o += C) {
        const T* p0 = r0 + 2 * ox * C;
        const T* p2 = r1 + 2 * ox * C;
        T* yo = y + o;
        int32_t* ao = argmax + o;
        for (size_t c = 0; c < C; c++) {
          T m = p0[c];
          int32_t i = 0;
          const T a1 = p0[C + c], a2 = p2[c], a3 = p2[C + c];
          bool take = a1 > m || (a1 != a1 && m == m);
          m = take ? a1 : m;
          i = take ? 1 : i;
          take = a2 > m || (a2 != a2 && m == m);
          m = take ? a2 : m;
          i = take ? 2 : i;
          take = a3 > m || (a3 != a3 && m == m);
          m = take ? a3 : m;
          i = take ? 3 : i;
          yo[c] = m;
          ao[c] = i;
        }
      }
    }
  }
}

// Samples [n0, n1) of a max pooling (the window loop inlined into each instruction-set clone).
template <typename T>
BP_CLONES void maxPool2dForwardSamples(const T* x, T* y, int32_t* argmax, const ConvGeom& g, size_t n0, size_t n1) {
  if (g.kH == 2 && g.kW == 2 && g.sH == 2 && g.sW == 2 && g.pT == 0 && g.pL == 0 && 2 * g.outH <= g.inH &&
      2 * g.outW <= g.inW) {
    maxPool2x2(x, y, argmax, g, n0, n1);
    return;
  }
  const size_t C = g.inC;
  size_t o = n0 * g.outH * g.outW * C;
  for (size_t n = n0; n < n1; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++, o += C) maxPoolWindow(x, y + o, argmax + o, g, PoolWindow(g, oy, ox), n);
    }
  }
}

template <typename T>
void maxPool2dForward(const T* x, T* y, int32_t* argmax, const ConvGeom& g) {
  if (emptyPool(g)) return;
  const size_t chunks = chunkCount(g.batch);
  parallelChunks(chunks, [&](size_t c) {
    maxPool2dForwardSamples(x, y, argmax, g, g.batch * c / chunks, g.batch * (c + 1) / chunks);
  });
}

// Samples [n0, n1) of max pooling's backward (dx already zero). Each index is read once, checked against the
// window and (for a window clipped by padding) the input, and only that read is used.
template <typename T>
void maxPool2dBackwardSamples(const T* dy, const int32_t* argmax, T* dx, const ConvGeom& g, size_t n0, size_t n1) {
  const size_t C = g.inC, window = g.kH * g.kW;
  size_t o = n0 * g.outH * g.outW * C;
  for (size_t n = n0; n < n1; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++) {
        const PoolWindow win(g, oy, ox);
        T* origin = dx + win.offset(g, n, win.ky0, win.kx0);
        for (size_t c = 0; c < C; c++, o++) {
          const int32_t pos = loadIndexOnce(argmax + o);  // the one read of this index
          size_t ky = 0, kx = 0;
          bool ok = pos >= 0 && static_cast<size_t>(pos) < window;
          if (ok) {
            ky = static_cast<size_t>(pos) / g.kW;
            kx = static_cast<size_t>(pos) - ky * g.kW;
            ok = ky >= win.ky0 && ky < win.ky1 && kx >= win.kx0 && kx < win.kx1;
          }
          if (!ok) {
            throw KernelRangeError("'argmax' at " + std::to_string(o) + " is " + std::to_string(pos) +
                                   ", which is not a position of its window inside the input (0.." +
                                   std::to_string(window - 1) + ")");
          }
          T* d = origin + ((ky - win.ky0) * g.inW + (kx - win.kx0)) * C + c;
          *d = static_cast<T>(static_cast<double>(*d) + static_cast<double>(dy[o]));
        }
      }
    }
  }
}

// Windows that tile the input without overlapping (stride = window): each input position belongs to at most one
// window, so dx is written once per position (dy at the argmax, 0 elsewhere) with no zeroing pass before. The
// window's indices are copied once, checked, and only the copy is used.
template <typename T>
BP_CLONES void maxPool2dBackwardTiled(const T* dy, const int32_t* argmax, T* dx, const ConvGeom& g, size_t n0, size_t n1) {
  const size_t C = g.inC, window = g.kH * g.kW, plane = g.inH * g.inW * C;
  int32_t* idx = scratch<int32_t>(1, C);
  // Input rows and columns no window covers (past the last window, or before the first) are zero.
  const int64_t rowEnd = std::min<int64_t>(static_cast<int64_t>(g.inH), g.rowStart(g.outH - 1) + static_cast<int64_t>(g.kH));
  const int64_t colEnd = std::min<int64_t>(static_cast<int64_t>(g.inW), g.colStart(g.outW - 1) + static_cast<int64_t>(g.kW));
  for (size_t n = n0; n < n1; n++) {
    T* dxn = dx + n * plane;
    for (size_t iy = 0; iy < g.inH; iy++) {
      T* row = dxn + iy * g.inW * C;
      if (static_cast<int64_t>(iy) >= rowEnd) std::fill(row, row + g.inW * C, T(0));
      else std::fill(row + static_cast<size_t>(colEnd) * C, row + g.inW * C, T(0));
    }
    size_t o = n * g.outH * g.outW * C;
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++, o += C) {
        const PoolWindow win(g, oy, ox);
        // A window wholly inside the input takes any position of the window; a clipped one only its inside part.
        const bool whole = win.ky0 == 0 && win.ky1 == g.kH && win.kx0 == 0 && win.kx1 == g.kW;
        // The window's indices are copied once (memcpy reads each once); only the copy is checked and used.
        std::memcpy(idx, argmax + o, C * sizeof(int32_t));
        bool bad = false;
        if (whole) {
          // Negative indices become ≥ 2^31 as unsigned (windows are checked to hold fewer positions).
          for (size_t c = 0; c < C; c++) bad |= static_cast<uint32_t>(idx[c]) >= window;
        }
        if (bad || !whole) {
          for (size_t c = 0; c < C; c++) {
            const int32_t pos = idx[c];
            bool ok = pos >= 0 && static_cast<size_t>(pos) < window;
            if (ok && !whole) {
              const size_t ky = static_cast<size_t>(pos) / g.kW, kx = static_cast<size_t>(pos) - ky * g.kW;
              ok = ky >= win.ky0 && ky < win.ky1 && kx >= win.kx0 && kx < win.kx1;
            }
            if (!ok) {
              throw KernelRangeError("'argmax' at " + std::to_string(o + c) + " is " + std::to_string(pos) +
                                     ", which is not a position of its window inside the input (0.." +
                                     std::to_string(window - 1) + ")");
            }
          }
        }
        const T* d = dy + o;
        for (size_t ky = win.ky0; ky < win.ky1; ky++) {
          for (size_t kx = win.kx0; kx < win.kx1; kx++) {
            T* out = dx + win.offset(g, n, ky, kx);
            const int32_t pos = static_cast<int32_t>(ky * g.kW + kx);
            // d[c] is read whatever the index, so the select needs no branch (a branch would be mispredicted).
            for (size_t c = 0; c < C; c++) {
              const T v = d[c];
              out[c] = idx[c] == pos ? v : T(0);
            }
          }
        }
      }
    }
  }
}

template <typename T>
void maxPool2dBackward(const T* dy, const int32_t* argmax, T* dx, const ConvGeom& g) {
  const bool tiled = g.sH == g.kH && g.sW == g.kW && !emptyPool(g);
  if (!tiled) std::fill(dx, dx + g.batch * g.inH * g.inW * g.inC, T(0));
  if (emptyPool(g)) return;
  const size_t chunks = chunkCount(g.batch);
  parallelChunks(chunks, [&](size_t c) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    if (tiled) maxPool2dBackwardTiled(dy, argmax, dx, g, n0, n1);
    else maxPool2dBackwardSamples(dy, argmax, dx, g, n0, n1);
  });
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
