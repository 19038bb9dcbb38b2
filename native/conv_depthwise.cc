#include "conv_depthwise.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "activations.h"
#include "simd.h"
#include "thread_pool.h"

namespace bp {

namespace {

// The taps of output (oy, ox) that land inside the input: kernel rows [ky0, ky1), columns [kx0, kx1), with the
// input position of tap 0 (iy0, ix0). Work is bounded by the taps, whatever the padding.
struct Window {
  int64_t iy0 = 0, ix0 = 0;
  size_t ky0 = 0, ky1 = 0, kx0 = 0, kx1 = 0;
};

// The first and one-past-last k in [0, kernel) with 0 <= start + k·dilation < size.
inline void inside(int64_t start, size_t kernel, size_t dilation, size_t size, size_t* k0, size_t* k1) {
  const int64_t d = static_cast<int64_t>(dilation), n = static_cast<int64_t>(size);
  const int64_t first = start < 0 ? (-start + d - 1) / d : 0;
  const int64_t past = n - start <= 0 ? 0 : (n - start + d - 1) / d;
  *k0 = static_cast<size_t>(std::min<int64_t>(first, static_cast<int64_t>(kernel)));
  *k1 = static_cast<size_t>(std::max<int64_t>(*k0, std::min<int64_t>(past, static_cast<int64_t>(kernel))));
}

inline Window windowOf(const ConvGeom& g, size_t oy, size_t ox) {
  Window v;
  v.iy0 = g.rowStart(oy);
  v.ix0 = g.colStart(ox);
  inside(v.iy0, g.kH, g.dH, g.inH, &v.ky0, &v.ky1);
  inside(v.ix0, g.kW, g.dW, g.inW, &v.kx0, &v.kx1);
  return v;
}

// Input sample n at tap (ky, kx) of window v.
template <typename T>
inline const T* tapInput(const T* x, const ConvGeom& g, size_t n, const Window& v, size_t ky, size_t kx) {
  const size_t iy = static_cast<size_t>(v.iy0 + static_cast<int64_t>(ky * g.dH));
  const size_t ix = static_cast<size_t>(v.ix0 + static_cast<int64_t>(kx * g.dW));
  return x + ((n * g.inH + iy) * g.inW + ix) * g.inC;
}

template <typename T>
BP_CLONES void forwardSamples(const T* x, const T* w, const T* b, T* z, T* y, const ConvGeom& g, int act,
                              double alpha, size_t n0, size_t n1) {
  const size_t C = g.inC, F = g.outC, M = F / C;
  for (size_t n = n0; n < n1; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++) {
        const size_t o = ((n * g.outH + oy) * g.outW + ox) * F;
        if (b) std::memcpy(z + o, b, F * sizeof(T));
        else std::fill(z + o, z + o + F, T(0));
        const Window v = windowOf(g, oy, ox);
        for (size_t ky = v.ky0; ky < v.ky1; ky++) {
          for (size_t kx = v.kx0; kx < v.kx1; kx++) {
            T* __restrict zr = z + o;
            const T* __restrict xs = tapInput(x, g, n, v, ky, kx);
            const T* __restrict wk = w + (ky * g.kW + kx) * F;
            if (M == 1) {
              for (size_t c = 0; c < C; c++) zr[c] += xs[c] * wk[c];
            } else {
              for (size_t c = 0; c < C; c++) {
                const T xv = xs[c];
                for (size_t m = 0; m < M; m++) zr[c * M + m] += xv * wk[c * M + m];
              }
            }
          }
        }
        // y may be z (linear, relu): outside the restrict scope above.
        forwardRange(act, alpha, z + o, y + o, F);
      }
    }
  }
}

// Samples [n0, n1): dz, db into dbc (float64), dW into dwc (float64, summed per sample in dws), dx.
template <typename T>
BP_CLONES void backwardSamples(const T* x, const T* w, const T* z, const T* y, const T* dy, T* dz, double* dwc,
                               T* dws, double* dbc, T* dx, const ConvGeom& g, int act, double alpha, size_t n0,
                               size_t n1) {
  const size_t C = g.inC, F = g.outC, M = F / C, pixels = g.outH * g.outW, kf = g.kH * g.kW * F;
  for (size_t n = n0; n < n1; n++) {
    const size_t o = n * pixels * F;
    activationBackward(act, alpha, z + o, y + o, dy + o, dz + o, pixels, F);
    if (dbc) {
      for (size_t q = 0; q < pixels; q++) {
        const T* d = dz + o + q * F;
        for (size_t f = 0; f < F; f++) dbc[f] += d[f];
      }
    }
    T* dxn = dx ? dx + n * g.inH * g.inW * C : nullptr;
    if (dxn) std::fill(dxn, dxn + g.inH * g.inW * C, T(0));
    std::fill(dws, dws + kf, T(0));
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++) {
        const T* __restrict dzr = dz + o + (oy * g.outW + ox) * F;
        const Window v = windowOf(g, oy, ox);
        for (size_t ky = v.ky0; ky < v.ky1; ky++) {
          for (size_t kx = v.kx0; kx < v.kx1; kx++) {
            const T* __restrict xs = tapInput(x, g, n, v, ky, kx);
            const size_t k = (ky * g.kW + kx) * F;
            T* __restrict dwk = dws + k;
            const T* __restrict wk = w + k;
            if (M == 1) {
              for (size_t c = 0; c < C; c++) dwk[c] += xs[c] * dzr[c];
              if (dxn) {
                T* __restrict dxs = const_cast<T*>(tapInput<T>(dxn, g, 0, v, ky, kx));
                for (size_t c = 0; c < C; c++) dxs[c] += dzr[c] * wk[c];
              }
              continue;
            }
            T* dxs = dxn ? const_cast<T*>(tapInput<T>(dxn, g, 0, v, ky, kx)) : nullptr;
            for (size_t c = 0; c < C; c++) {
              const T xv = xs[c];
              T s = 0;
              for (size_t m = 0; m < M; m++) {
                dwk[c * M + m] += xv * dzr[c * M + m];
                s += dzr[c * M + m] * wk[c * M + m];
              }
              if (dxs) dxs[c] += s;
            }
          }
        }
      }
    }
    for (size_t i = 0; i < kf; i++) dwc[i] += dws[i];
  }
}

bool blasOnly() {
  static const bool only = [] {
    const char* choice = std::getenv("BACKPROP_CONV_KERNELS");
    return choice && std::strstr(choice, "blas");
  }();
  return only;
}

}  // namespace

bool depthwiseSupported(const ConvGeom& g) { return g.groups > 1 && g.groups == g.inC && !blasOnly(); }

template <typename T>
void depthwiseForward(const T* x, const T* w, const T* b, T* z, T* y, const ConvGeom& g, int act, double alpha) {
  const size_t chunks = chunkCount(g.batch);
  parallelChunks(chunks, [&](size_t c) {
    forwardSamples(x, w, b, z, y, g, act, alpha, g.batch * c / chunks, g.batch * (c + 1) / chunks);
  });
}

template <typename T>
void depthwiseBackward(const T* x, const T* w, const T* z, const T* y, const T* dy, T* dz, T* dw, T* db, T* dx,
                       const ConvGeom& g, int act, double alpha) {
  const size_t chunks = chunkCount(g.batch), F = g.outC, kf = g.kH * g.kW * F;
  // Per-chunk sums, reduced in chunk order below (the same result however the chunks were scheduled).
  double* dwParts = scratch<double>(kSlotAcc, chunks * kf);
  double* dbParts = scratch<double>(kSlotAcc2, chunks * F);
  std::fill(dwParts, dwParts + chunks * kf, 0.0);
  std::fill(dbParts, dbParts + chunks * F, 0.0);
  parallelChunks(chunks, [&](size_t c) {
    T* dws = scratch<T>(kSlotCol, kf);
    backwardSamples(x, w, z, y, dy, dz, dwParts + c * kf, dws, db ? dbParts + c * F : nullptr, dx, g, act, alpha,
                    g.batch * c / chunks, g.batch * (c + 1) / chunks);
  });
  for (size_t i = 0; i < kf; i++) {
    double s = 0;
    for (size_t c = 0; c < chunks; c++) s += dwParts[c * kf + i];
    dw[i] = static_cast<T>(s);
  }
  if (db) {
    for (size_t f = 0; f < F; f++) {
      double s = 0;
      for (size_t c = 0; c < chunks; c++) s += dbParts[c * F + f];
      db[f] = static_cast<T>(s);
    }
  }
}

template void depthwiseForward<float>(const float*, const float*, const float*, float*, float*, const ConvGeom&, int,
                                      double);
template void depthwiseForward<double>(const double*, const double*, const double*, double*, double*,
                                       const ConvGeom&, int, double);
template void depthwiseBackward<float>(const float*, const float*, const float*, const float*, const float*, float*,
                                       float*, float*, float*, const ConvGeom&, int, double);
template void depthwiseBackward<double>(const double*, const double*, const double*, const double*, const double*,
                                        double*, double*, double*, double*, const ConvGeom&, int, double);

}  // namespace bp
