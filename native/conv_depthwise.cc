#include "conv_depthwise.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "activations.h"
#include "conv_direct.h"
#include "conv_tiles.h"
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

// ---- float32 register tiles (one filter per channel, channels a multiple of 8, an AVX2/AVX-512 CPU) ----------
// The sample is copied into a zero-bordered buffer when its windows reach outside it, so no tap checks bounds;
// vectors run along the channels (contiguous in NHWC) and hold MR output pixels × NV vectors of accumulators across
// all taps (forward), KT taps × NV vectors across all pixels (dW), or MR pixels' output gradients (dx, scattered).

using tiles::load;
using tiles::store;

// What every tile of one call reads (built once by the calling thread).
struct TilePlan {
  size_t C = 0, K = 0, OH = 0, OW = 0, inH = 0, inW = 0, pT = 0, pL = 0, Hp = 0, Wp = 0;
  size_t rowStep = 0, pixStep = 0, inSample = 0, outSample = 0;
  bool padded = false;
  const size_t* tap = nullptr;  // K offsets of the taps within a (padded) sample: (ky·dH·Wp + kx·dW)·C
};

size_t reach(size_t out, size_t stride, size_t k, size_t dilation) { return (out - 1) * stride + (k - 1) * dilation + 1; }

// `slot`: the scratch slot of its tap offsets (a call may hold two plans).
TilePlan tilePlan(const ConvGeom& g, int slot = 0) {
  TilePlan p;
  p.C = g.inC;
  p.K = g.kH * g.kW;
  p.OH = g.outH;
  p.OW = g.outW;
  p.inH = g.inH;
  p.inW = g.inW;
  p.pT = g.pT;
  p.pL = g.pL;
  const size_t needH = reach(g.outH, g.sH, g.kH, g.dH), needW = reach(g.outW, g.sW, g.kW, g.dW);
  p.padded = g.pT > 0 || g.pL > 0 || needH > g.inH || needW > g.inW;
  p.Hp = p.padded ? std::max(needH, g.pT + g.inH) : g.inH;
  p.Wp = p.padded ? std::max(needW, g.pL + g.inW) : g.inW;
  p.rowStep = g.sH * p.Wp * p.C;
  p.pixStep = g.sW * p.C;
  p.inSample = g.inH * g.inW * p.C;
  p.outSample = g.outH * g.outW * p.C;
  size_t* tap = scratch<size_t>(slot, p.K);
  for (size_t ky = 0; ky < g.kH; ky++)
    for (size_t kx = 0; kx < g.kW; kx++) tap[ky * g.kW + kx] = (ky * g.dH * p.Wp + kx * g.dW) * p.C;
  p.tap = tap;
  return p;
}

// Sample n of x in the padded layout (the border stays zero: only the interior is ever written), or x itself.
const float* sampleOf(const TilePlan& p, const float* x, size_t n, float* pad) {
  const float* xs = x + n * p.inSample;
  if (!pad) return xs;
  const size_t rowLen = p.inW * p.C;
  for (size_t iy = 0; iy < p.inH; iy++)
    std::memcpy(pad + ((p.pT + iy) * p.Wp + p.pL) * p.C, xs + iy * rowLen, rowLen * sizeof(float));
  return pad;
}

// z (and y) of MR pixels of one output row, NV·W channels: bias + Σ_k x[tap k]·w[k]; relu/linear as forwardTile.
template <int W, int MR, int NV>
BP_TILE void forwardTile(const TilePlan& p, const float* xt, const float* w, const float* b, float* zt, float* yt,
                         int rows, int act) {
  using V = typename tiles::Vec<W>::T;
  V acc[MR][NV];
  for (int j = 0; j < NV; j++) {
    const V bv = b ? load<W>(b + W * j) : V{};
    for (int i = 0; i < MR; i++) acc[i][j] = bv;
  }
  size_t po[MR];
  for (int i = 0; i < MR; i++) po[i] = static_cast<size_t>(std::min(i, rows - 1)) * p.pixStep;
  for (size_t k = 0; k < p.K; k++) {
    V wv[NV];
    for (int j = 0; j < NV; j++) wv[j] = load<W>(w + k * p.C + W * j);
    const float* xk = xt + p.tap[k];
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NV; j++) acc[i][j] += load<W>(xk + po[i] + W * j) * wv[j];
  }
  const V zero{};
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    float* z = zt + i * p.C;
    float* y = yt + i * p.C;
    for (int j = 0; j < NV; j++) {
      if (y != z || act != RELU) store<W>(z + W * j, acc[i][j]);
      if (act == RELU) store<W>(y + W * j, acc[i][j] > zero ? acc[i][j] : zero);
      else if (act == LINEAR && y != z) store<W>(y + W * j, acc[i][j]);
    }
  }
}

// dw[k0 + t] += Σ_pixels x[pixel + tap(k0 + t)] ⊙ dz[pixel] for `taps` ≤ KT taps, NV·W channels, one sample.
template <int W, int KT, int NV>
BP_TILE void weightTile(const TilePlan& p, const float* xs, const float* dzs, size_t k0, int taps, float* dw) {
  using V = typename tiles::Vec<W>::T;
  V acc[KT][NV];
  for (int t = 0; t < KT; t++)
    for (int j = 0; j < NV; j++) acc[t][j] = V{};
  size_t to[KT];
  for (int t = 0; t < KT; t++) to[t] = p.tap[k0 + static_cast<size_t>(std::min(t, taps - 1))];
  const float* d = dzs;
  for (size_t oy = 0; oy < p.OH; oy++) {
    const float* xr = xs + oy * p.rowStep;
    for (size_t ox = 0; ox < p.OW; ox++, d += p.C, xr += p.pixStep) {
      V dv[NV];
      for (int j = 0; j < NV; j++) dv[j] = load<W>(d + W * j);
      for (int t = 0; t < KT; t++)
        for (int j = 0; j < NV; j++) acc[t][j] += load<W>(xr + to[t] + W * j) * dv[j];
    }
  }
  for (int t = 0; t < KT; t++) {
    if (t >= taps) break;
    float* q = dw + (k0 + t) * p.C;
    for (int j = 0; j < NV; j++) store<W>(q + W * j, load<W>(q + W * j) + acc[t][j]);
  }
}

// g[pixel + tap k] += dz[pixel] ⊙ w[k] for MR pixels of one output row, NV·W channels (g: the (padded) dx).
template <int W, int MR, int NV>
BP_TILE void inputTile(const TilePlan& p, const float* dzt, const float* w, float* gt, int rows) {
  using V = typename tiles::Vec<W>::T;
  V d[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) d[i][j] = i < rows ? load<W>(dzt + i * p.C + W * j) : V{};
  for (size_t k = 0; k < p.K; k++) {
    V wv[NV];
    for (int j = 0; j < NV; j++) wv[j] = load<W>(w + k * p.C + W * j);
    for (int i = 0; i < MR; i++) {
      if (i >= rows) break;
      float* q = gt + i * p.pixStep + p.tap[k];
      for (int j = 0; j < NV; j++) store<W>(q + W * j, load<W>(q + W * j) + d[i][j] * wv[j]);
    }
  }
}

// Calls f.template operator()<nv>() for channel blocks of up to MaxNV vectors: c0 advances by nv·W.
template <int W, int MaxNV, typename F>
BP_TILE void channelBlocks(size_t C, const F& f) {
  for (size_t c0 = 0; c0 < C;) {
    const size_t nv = std::min<size_t>(MaxNV, (C - c0) / W);
    if (nv >= 4) f(c0, std::integral_constant<int, (MaxNV >= 4 ? 4 : 1)>{});
    else if (nv == 3) f(c0, std::integral_constant<int, (MaxNV >= 3 ? 3 : 1)>{});
    else if (nv == 2) f(c0, std::integral_constant<int, 2>{});
    else f(c0, std::integral_constant<int, 1>{});
    c0 += nv * W;
  }
}

template <int W, bool Wide>
BP_TILE void forwardTiles(const TilePlan& p, const float* x, const float* w, const float* b, float* z, float* y,
                          size_t n0, size_t n1, int act, double alpha) {
  constexpr int MR = Wide ? 6 : 4, MaxNV = Wide ? 4 : 2;
  float* pad = p.padded ? scratch<float>(kSlotPadded, p.Hp * p.Wp * p.C) : nullptr;
  if (pad) std::fill(pad, pad + p.Hp * p.Wp * p.C, 0.0f);
  for (size_t n = n0; n < n1; n++) {
    const float* xs = sampleOf(p, x, n, pad);
    float* zs = z + n * p.outSample;
    float* ys = y + n * p.outSample;
    for (size_t oy = 0; oy < p.OH; oy++) {
      for (size_t ox = 0; ox < p.OW; ox += MR) {
        const int rows = static_cast<int>(std::min<size_t>(MR, p.OW - ox));
        const float* xt = xs + oy * p.rowStep + ox * p.pixStep;
        const size_t o = (oy * p.OW + ox) * p.C;
        channelBlocks<W, MaxNV>(p.C, [&](size_t c0, auto nv) {
          forwardTile<W, MR, decltype(nv)::value>(p, xt + c0, w + c0, b ? b + c0 : nullptr, zs + o + c0, ys + o + c0,
                                                  rows, act);
        });
      }
    }
    if (act != RELU && act != LINEAR) forwardRange(act, alpha, zs, ys, p.outSample);
  }
}

// dx of sample n as a convolution (stride 1): dz, padded by `q`, by the flipped kernel wf, into dxn.
template <int W, bool Wide>
BP_TILE void gatherInput(const TilePlan& q, const float* dz, size_t n, const float* wf, float* padDz, float* dxn) {
  constexpr int MR = Wide ? 6 : 4, MaxNV = Wide ? 4 : 2;
  const float* src = sampleOf(q, dz, n, padDz);
  for (size_t iy = 0; iy < q.OH; iy++) {
    for (size_t ix = 0; ix < q.OW; ix += MR) {
      const int rows = static_cast<int>(std::min<size_t>(MR, q.OW - ix));
      const float* st = src + iy * q.rowStep + ix * q.pixStep;
      float* out = dxn + (iy * q.OW + ix) * q.C;
      channelBlocks<W, MaxNV>(q.C, [&](size_t c0, auto nv) {
        forwardTile<W, MR, decltype(nv)::value>(q, st + c0, wf + c0, nullptr, out + c0, out + c0, rows, LINEAR);
      });
    }
  }
}

// `gather` (stride 1): dx is computed as a convolution of dz by the flipped kernel `wf` (no read-modify-write);
// else dz is scattered into it tap by tap.
template <int W, bool Wide>
BP_TILE void backwardTiles(const TilePlan& p, const TilePlan* gather, const float* wf, const float* x, const float* w,
                           const float* z, const float* y, const float* dy, float* dz, double* dwc, float* dws,
                           double* dbc, float* dx, size_t n0, size_t n1, int act, double alpha) {
  constexpr int MR = Wide ? 6 : 4, KT = Wide ? 6 : 5, MaxNV = Wide ? 4 : 2;
  const size_t padLen = p.Hp * p.Wp * p.C, pixels = p.OH * p.OW, kf = p.K * p.C;
  float* pad = p.padded ? scratch<float>(kSlotPadded, padLen) : nullptr;
  const size_t gatherLen = gather ? gather->Hp * gather->Wp * p.C : 0;
  float* padDz = dx && gather && gather->padded ? scratch<float>(kSlotPaddedGrad, gatherLen) : nullptr;
  float* padGrad = p.padded && dx && !gather ? scratch<float>(kSlotPaddedGrad, padLen) : nullptr;
  if (pad) std::fill(pad, pad + padLen, 0.0f);
  if (padDz) std::fill(padDz, padDz + gatherLen, 0.0f);
  for (size_t n = n0; n < n1; n++) {
    const size_t o = n * p.outSample;
    activationBackward(act, alpha, z + o, y + o, dy + o, dz + o, pixels, p.C);
    const float* dzs = dz + o;
    if (dbc) {
      for (size_t q = 0; q < pixels; q++)
        for (size_t c = 0; c < p.C; c++) dbc[c] += dzs[q * p.C + c];
    }
    const float* xs = sampleOf(p, x, n, pad);
    std::fill(dws, dws + kf, 0.0f);
    channelBlocks<W, MaxNV>(p.C, [&](size_t c0, auto nv) {
      for (size_t k0 = 0; k0 < p.K; k0 += KT) {
        const int taps = static_cast<int>(std::min<size_t>(KT, p.K - k0));
        weightTile<W, KT, decltype(nv)::value>(p, xs + c0, dzs + c0, k0, taps, dws + c0);
      }
    });
    for (size_t i = 0; i < kf; i++) dwc[i] += dws[i];
    if (!dx) continue;
    float* dxn = dx + n * p.inSample;
    if (gather) {
      gatherInput<W, Wide>(*gather, dz, n, wf, padDz, dxn);
      continue;
    }
    float* g = padGrad ? padGrad : dxn;
    std::fill(g, g + (padGrad ? padLen : p.inSample), 0.0f);
    for (size_t oy = 0; oy < p.OH; oy++) {
      for (size_t ox = 0; ox < p.OW; ox += MR) {
        const int rows = static_cast<int>(std::min<size_t>(MR, p.OW - ox));
        float* gt = g + oy * p.rowStep + ox * p.pixStep;
        const float* dzt = dzs + (oy * p.OW + ox) * p.C;
        channelBlocks<W, MaxNV>(p.C, [&](size_t c0, auto nv) {
          inputTile<W, MR, decltype(nv)::value>(p, dzt + c0, w + c0, gt + c0, rows);
        });
      }
    }
    if (!padGrad) continue;
    const size_t rowLen = p.inW * p.C;
    for (size_t iy = 0; iy < p.inH; iy++)
      std::memcpy(dxn + iy * rowLen, padGrad + ((p.pT + iy) * p.Wp + p.pL) * p.C, rowLen * sizeof(float));
  }
}

BP_CONV_AVX512
void forward512(const TilePlan& p, const float* x, const float* w, const float* b, float* z, float* y, size_t n0,
                size_t n1, int act, double alpha) {
  if (p.C % 16 == 0) forwardTiles<16, true>(p, x, w, b, z, y, n0, n1, act, alpha);
  else forwardTiles<8, true>(p, x, w, b, z, y, n0, n1, act, alpha);
}
BP_CONV_AVX2
void forward256(const TilePlan& p, const float* x, const float* w, const float* b, float* z, float* y, size_t n0,
                size_t n1, int act, double alpha) {
  forwardTiles<8, false>(p, x, w, b, z, y, n0, n1, act, alpha);
}
BP_CONV_AVX512
void backward512(const TilePlan& p, const TilePlan* gather, const float* wf, const float* x, const float* w,
                 const float* z, const float* y, const float* dy, float* dz, double* dwc, float* dws, double* dbc,
                 float* dx, size_t n0, size_t n1, int act, double alpha) {
  if (p.C % 16 == 0)
    backwardTiles<16, true>(p, gather, wf, x, w, z, y, dy, dz, dwc, dws, dbc, dx, n0, n1, act, alpha);
  else backwardTiles<8, true>(p, gather, wf, x, w, z, y, dy, dz, dwc, dws, dbc, dx, n0, n1, act, alpha);
}
BP_CONV_AVX2
void backward256(const TilePlan& p, const TilePlan* gather, const float* wf, const float* x, const float* w,
                 const float* z, const float* y, const float* dy, float* dz, double* dwc, float* dws, double* dbc,
                 float* dx, size_t n0, size_t n1, int act, double alpha) {
  backwardTiles<8, false>(p, gather, wf, x, w, z, y, dy, dz, dwc, dws, dbc, dx, n0, n1, act, alpha);
}

// At stride 1, dx is the convolution of dz by the kernel flipped in space, padded by (k − 1)·dilation − pad on the
// top and left (never negative for 'valid' and 'same'; other paddings scatter instead).
bool gatherApplies(const ConvGeom& g) {
  return g.sH == 1 && g.sW == 1 && g.pT <= (g.kH - 1) * g.dH && g.pL <= (g.kW - 1) * g.dW;
}

ConvGeom gatherConv(const ConvGeom& g) {
  ConvGeom q = g;
  q.inH = g.outH;
  q.inW = g.outW;
  q.outH = g.inH;
  q.outW = g.inW;
  q.pT = (g.kH - 1) * g.dH - g.pT;
  q.pL = (g.kW - 1) * g.dW - g.pL;
  return q;
}

// Whether a float32 call takes the tiles: one filter per channel, whole vectors of channels, a vector CPU.
bool tilesApply(const ConvGeom& g) { return convIsa() != ConvIsa::None && g.outC == g.inC && g.inC % 8 == 0; }

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
  if constexpr (std::is_same_v<T, float>) {
    if (tilesApply(g)) {
      const TilePlan p = tilePlan(g);
      parallelChunks(chunks, [&](size_t c) {
        const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
        if (convIsa() == ConvIsa::Avx512) forward512(p, x, w, b, z, y, n0, n1, act, alpha);
        else forward256(p, x, w, b, z, y, n0, n1, act, alpha);
      });
      return;
    }
  }
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
  bool tiled = false;
  if constexpr (std::is_same_v<T, float>) {
    if (tilesApply(g)) {
      const TilePlan p = tilePlan(g);
      TilePlan q;
      const TilePlan* gather = nullptr;
      float* wf = nullptr;
      if (dx && gatherApplies(g)) {
        q = tilePlan(gatherConv(g), 1);
        gather = &q;
        wf = scratch<float>(kSlotDcol, kf);
        const size_t taps = g.kH * g.kW;
        for (size_t k = 0; k < taps; k++) std::memcpy(wf + k * F, w + (taps - 1 - k) * F, F * sizeof(float));
      }
      parallelChunks(chunks, [&](size_t c) {
        const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
        float* dws = scratch<float>(kSlotCol, kf);
        double* dbc = db ? dbParts + c * F : nullptr;
        if (convIsa() == ConvIsa::Avx512)
          backward512(p, gather, wf, x, w, z, y, dy, dz, dwParts + c * kf, dws, dbc, dx, n0, n1, act, alpha);
        else backward256(p, gather, wf, x, w, z, y, dy, dz, dwParts + c * kf, dws, dbc, dx, n0, n1, act, alpha);
      });
      tiled = true;
    }
  }
  if (!tiled) {
    parallelChunks(chunks, [&](size_t c) {
      T* dws = scratch<T>(kSlotCol, kf);
      backwardSamples(x, w, z, y, dy, dz, dwParts + c * kf, dws, db ? dbParts + c * F : nullptr, dx, g, act, alpha,
                      g.batch * c / chunks, g.batch * (c + 1) / chunks);
    });
  }
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
