#include "conv_direct.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "activations.h"
#include "conv_pairs.h"
#include "conv_tiles.h"
#include "thread_pool.h"

namespace bp {

namespace {

using Isa = ConvIsa;

// The widest kernels the CPU runs, lowered by BACKPROP_CONV_KERNELS: 'avx2' (AVX2 tiles even on AVX-512), 'blas'
// (im2col + OpenBLAS for every convolution), 'nowinograd' (no Winograd path), comma-separated: for comparing the
// paths and testing each.
Isa detectIsa() {
  Isa best = Isa::None;
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma")) {
    best = Isa::Avx512;
  }
#endif
  const char* choice = std::getenv("BACKPROP_CONV_KERNELS");
  if (choice && std::strstr(choice, "blas")) return Isa::None;
  if (choice && std::strstr(choice, "avx2") && best == Isa::Avx512) return Isa::Avx2;
  return best;
}

Isa isa() {
  static const Isa detected = detectIsa();
  return detected;
}

// What every chunk of one call shares (built once by the calling thread, read-only while chunks run).
struct Plan {
  size_t K = 0, F = 0, C = 0, OH = 0, OW = 0, Hp = 0, Wp = 0, inH = 0, inW = 0, pT = 0, pL = 0;
  size_t inSample = 0, outSample = 0, rowStep = 0, pixStep = 0;
  bool padded = false;
  const int32_t* off = nullptr;        // K tap offsets within a (padded) sample
  const uint8_t* contiguous = nullptr;  // per W taps: do they sit next to each other in the input?
  const float* wt = nullptr;            // backward: the kernel transposed, F rows of ldwt (zero past K)
  size_t ldwt = 0;
  // AVX-512 with 8 filters, one input channel, stride 1 and an even output width: the pixel-pair tiles
  // (conv_pairs.h), with the weights (and bias) each repeated twice, interleaved: K + 1 rows of 16.
  bool pairs = false;
  const float* wpair = nullptr;
  const float* bpair = nullptr;
};

bool pairTiles(const ConvGeom& g) {
  return isa() == Isa::Avx512 && g.outC == 8 && g.inC == 1 && g.sW == 1 && g.outW % 2 == 0;
}

// Rows of the (padded) input the windows reach, along one axis.
size_t reach(size_t out, size_t stride, size_t k, size_t dilation) { return (out - 1) * stride + (k - 1) * dilation + 1; }

Plan makePlan(const ConvGeom& g) {
  Plan p;
  p.C = g.inC;
  p.F = g.outC;
  p.K = g.kg();
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
  p.inSample = g.inH * g.inW * g.inC;
  p.outSample = g.outH * g.outW * g.outC;
  p.rowStep = g.sH * p.Wp * p.C;
  p.pixStep = g.sW * p.C;
  int32_t* off = scratch<int32_t>(0, p.K);
  for (size_t ky = 0, k = 0; ky < g.kH; ky++) {
    for (size_t kx = 0; kx < g.kW; kx++) {
      for (size_t c = 0; c < p.C; c++) off[k++] = static_cast<int32_t>((ky * g.dH * p.Wp + kx * g.dW) * p.C + c);
    }
  }
  p.off = off;
  return p;
}

// Taps [c·W, c·W + W) contiguous in the input (inputTile adds them as one vector).
void markContiguous(Plan& p, size_t W) {
  const size_t chunks = (p.K + W - 1) / W;
  uint8_t* flags = scratch<uint8_t>(0, chunks);
  for (size_t c = 0; c < chunks; c++) {
    bool ok = c * W + W <= p.K;
    for (size_t t = 1; ok && t < W; t++) ok = p.off[c * W + t] == p.off[c * W] + static_cast<int32_t>(t);
    flags[c] = ok;
  }
  p.contiguous = flags;
}

// The sample n of x in the padded layout, in this thread's scratch; the border was zeroed by `zeroPadding`.
const float* paddedSample(const Plan& p, const float* x, float* pad) {
  const size_t rowLen = p.inW * p.C;
  for (size_t iy = 0; iy < p.inH; iy++) {
    std::memcpy(pad + ((p.pT + iy) * p.Wp + p.pL) * p.C, x + iy * rowLen, rowLen * sizeof(float));
  }
  return pad;
}

// Rows per tile for NV vectors per row: as many accumulators as the registers hold (32 with AVX-512, 16 with AVX2).
template <bool Wide, int NV>
constexpr int rowsFor() {
  return Wide ? (NV == 4 ? 6 : NV == 3 ? 8 : 12) : (NV == 2 ? 6 : 12);
}

// ---- forward ---------------------------------------------------------------------------------------------

BP_TILE void forwardPairPixels(const Plan& p, const float* xs, float* zs, float* ys, int act) {
  constexpr int MP = 12;
  const size_t pairCount = p.OH * p.OW / 2;
  const float* xp[MP];
  float* zp[MP];
  float* yp[MP];
  for (size_t q0 = 0; q0 < pairCount; q0 += MP) {
    const int rows = static_cast<int>(std::min<size_t>(MP, pairCount - q0));
    for (int i = 0; i < MP; i++) {
      const size_t pix = 2 * (q0 + std::min(i, rows - 1)), oy = pix / p.OW, ox = pix % p.OW;
      xp[i] = xs + oy * p.rowStep + ox;
      zp[i] = zs + pix * 8;
      yp[i] = ys + pix * 8;
    }
    pairs::forwardPairs<MP>(xp, p.off, p.K, p.wpair, p.bpair, zp, yp, rows, act);
  }
}

template <int W, bool Wide, int NV>
BP_TILE void forwardPixels(const Plan& p, const float* xs, const float* w, const float* b, float* zs, float* ys,
                           size_t f0, int act) {
  constexpr int MR = rowsFor<Wide, NV>();
  const size_t pixels = p.OH * p.OW;
  const float* xp[MR];
  float* zp[MR];
  float* yp[MR];
  for (size_t p0 = 0; p0 < pixels; p0 += MR) {
    const int rows = static_cast<int>(std::min<size_t>(MR, pixels - p0));
    for (int i = 0; i < MR; i++) {
      const size_t pix = p0 + std::min(i, rows - 1), oy = pix / p.OW, ox = pix % p.OW;
      xp[i] = xs + oy * p.rowStep + ox * p.pixStep;
      zp[i] = zs + pix * p.F + f0;
      yp[i] = ys + pix * p.F + f0;
    }
    tiles::forwardTile<W, MR, NV>(xp, p.off, p.K, w + f0, p.F, b ? b + f0 : nullptr, zp, yp, rows, act);
  }
}

template <int W, bool Wide>
BP_TILE void forwardSamples(const Plan& p, const float* x, const float* w, const float* b, float* z, float* y,
                            size_t n0, size_t n1, int act, double alpha) {
  constexpr int MaxNV = Wide ? 4 : 2;
  float* pad = p.padded ? scratch<float>(kSlotPadded, p.Hp * p.Wp * p.C) : nullptr;
  if (pad) std::fill(pad, pad + p.Hp * p.Wp * p.C, 0.0f);
  for (size_t n = n0; n < n1; n++) {
    const float* xs = pad ? paddedSample(p, x + n * p.inSample, pad) : x + n * p.inSample;
    float* zs = z + n * p.outSample;
    float* ys = y + n * p.outSample;
    if constexpr (Wide) {
      if (p.pairs) {
        forwardPairPixels(p, xs, zs, ys, act);
        if (act != RELU && act != LINEAR) forwardRange(act, alpha, zs, ys, p.outSample);
        continue;
      }
    }
    for (size_t f0 = 0; f0 < p.F;) {
      const size_t nv = std::min<size_t>(MaxNV, (p.F - f0) / W);
      if (nv >= 4) forwardPixels<W, Wide, (MaxNV >= 4 ? 4 : 1)>(p, xs, w, b, zs, ys, f0, act);
      else if (nv == 3) forwardPixels<W, Wide, (MaxNV >= 3 ? 3 : 1)>(p, xs, w, b, zs, ys, f0, act);
      else if (nv == 2) forwardPixels<W, Wide, 2>(p, xs, w, b, zs, ys, f0, act);
      else forwardPixels<W, Wide, 1>(p, xs, w, b, zs, ys, f0, act);
      f0 += nv * W;
    }
    if (act != RELU && act != LINEAR) forwardRange(act, alpha, zs, ys, p.outSample);
  }
}

// ---- backward --------------------------------------------------------------------------------------------

template <int W, bool Wide, int NV>
BP_TILE void weightTaps(const Plan& p, const float* xs, const float* dzs, float* dw, size_t f0) {
  constexpr int MR = rowsFor<Wide, NV>();
  int32_t offk[MR];
  for (size_t k0 = 0; k0 < p.K; k0 += MR) {
    const int rows = static_cast<int>(std::min<size_t>(MR, p.K - k0));
    for (int i = 0; i < MR; i++) offk[i] = p.off[k0 + std::min(i, rows - 1)];
    tiles::weightTile<W, MR, NV>(xs, offk, p.OH, p.OW, p.rowStep, p.pixStep, dzs + f0, p.F, dw + k0 * p.F + f0, p.F,
                                 rows);
  }
}

template <int MR>
BP_TILE void weightPairTile(const Plan& p, const float* xs, const float* dzs, float* dw, size_t k0) {
  const int rows = static_cast<int>(std::min<size_t>(MR, p.K - k0));
  int32_t offk[MR];
  for (int i = 0; i < MR; i++) offk[i] = p.off[k0 + std::min(i, rows - 1)];
  pairs::weightPairs<MR>(xs, offk, p.OH, p.OW, p.rowStep, dzs, dw + k0 * 8, rows);
}

// The taps in tiles of up to 26 (26 accumulators of the 32 registers), smaller ones for the last few.
BP_TILE void weightPairTaps(const Plan& p, const float* xs, const float* dzs, float* dw) {
  for (size_t k0 = 0; k0 < p.K;) {
    const size_t left = p.K - k0;
    if (left > 16) {
      weightPairTile<26>(p, xs, dzs, dw, k0);
      k0 += 26;
    } else if (left > 8) {
      weightPairTile<16>(p, xs, dzs, dw, k0);
      k0 += 16;
    } else {
      weightPairTile<8>(p, xs, dzs, dw, k0);
      k0 += 8;
    }
  }
}

template <int W, int MR, int NV>
BP_TILE void inputTileAt(const Plan& p, const float* const* dzp, float* const* dxp, size_t k0, int rows) {
  tiles::inputTile<W, MR, NV>(dzp, p.F, p.wt, p.ldwt, k0, p.K, p.off, p.contiguous, dxp, rows);
}

template <int W, bool Wide>
BP_TILE void inputPixels(const Plan& p, const float* dzs, float* dxs) {
  constexpr int NV = Wide ? 4 : 2;
  constexpr int MR = rowsFor<Wide, NV>();
  const size_t pixels = p.OH * p.OW;
  const float* dzp[MR];
  float* dxp[MR];
  for (size_t p0 = 0; p0 < pixels; p0 += MR) {
    const int rows = static_cast<int>(std::min<size_t>(MR, pixels - p0));
    for (int i = 0; i < MR; i++) {
      const size_t pix = p0 + std::min(i, rows - 1), oy = pix / p.OW, ox = pix % p.OW;
      dzp[i] = dzs + pix * p.F;
      dxp[i] = dxs + oy * p.rowStep + ox * p.pixStep;
    }
    // NV vectors of taps per tile, fewer for the last ones (the transposed kernel is padded to whole vectors only).
    for (size_t k0 = 0; k0 < p.K;) {
      const size_t left = (p.ldwt - k0) / W;
      if (left >= NV) inputTileAt<W, MR, NV>(p, dzp, dxp, k0, rows);
      else if (left == 3) inputTileAt<W, MR, (NV > 3 ? 3 : 1)>(p, dzp, dxp, k0, rows);
      else if (left == 2) inputTileAt<W, MR, (NV > 2 ? 2 : 1)>(p, dzp, dxp, k0, rows);
      else inputTileAt<W, MR, 1>(p, dzp, dxp, k0, rows);
      k0 += std::min<size_t>(left, NV) * W;
    }
  }
}

template <int W, bool Wide>
BP_TILE void backwardSamples(const Plan& p, const float* x, const float* z, const float* y, const float* dy, float* dz,
                             float* dw, double* db, float* dx, size_t n0, size_t n1, int act, double alpha) {
  constexpr int MaxNV = Wide ? 4 : 2;
  const size_t padLen = p.Hp * p.Wp * p.C, pixels = p.OH * p.OW;
  float* pad = p.padded ? scratch<float>(kSlotPadded, padLen) : nullptr;
  float* padGrad = p.padded && dx ? scratch<float>(kSlotPaddedGrad, padLen) : nullptr;
  if (pad) std::fill(pad, pad + padLen, 0.0f);
  for (size_t n = n0; n < n1; n++) {
    const size_t o = n * p.outSample;
    activationBackward(act, alpha, z + o, y + o, dy + o, dz + o, pixels, p.F);
    const float* dzs = dz + o;
    if (db) {
      // Eight filters at a time in registers (F is a multiple of 8): the same additions in the same order as
      // summing into db directly, without a store and reload per pixel.
      for (size_t f0 = 0; f0 < p.F; f0 += 8) {
        double sum[8];
        for (int j = 0; j < 8; j++) sum[j] = db[f0 + j];
        for (size_t q = 0; q < pixels; q++)
          for (int j = 0; j < 8; j++) sum[j] += dzs[q * p.F + f0 + j];
        for (int j = 0; j < 8; j++) db[f0 + j] = sum[j];
      }
    }
    const float* xs = pad ? paddedSample(p, x + n * p.inSample, pad) : x + n * p.inSample;
    bool tapsDone = false;
    if constexpr (Wide) {
      if (p.pairs) {
        weightPairTaps(p, xs, dzs, dw);
        tapsDone = true;
      }
    }
    for (size_t f0 = 0; f0 < p.F && !tapsDone;) {
      const size_t nv = std::min<size_t>(MaxNV, (p.F - f0) / W);
      if (nv >= 4) weightTaps<W, Wide, (MaxNV >= 4 ? 4 : 1)>(p, xs, dzs, dw, f0);
      else if (nv == 3) weightTaps<W, Wide, (MaxNV >= 3 ? 3 : 1)>(p, xs, dzs, dw, f0);
      else if (nv == 2) weightTaps<W, Wide, 2>(p, xs, dzs, dw, f0);
      else weightTaps<W, Wide, 1>(p, xs, dzs, dw, f0);
      f0 += nv * W;
    }
    if (!dx) continue;
    float* dxn = dx + n * p.inSample;
    if (!padGrad) {
      inputPixels<W, Wide>(p, dzs, dxn);
      continue;
    }
    std::fill(padGrad, padGrad + padLen, 0.0f);
    inputPixels<W, Wide>(p, dzs, padGrad);
    const size_t rowLen = p.inW * p.C;
    for (size_t iy = 0; iy < p.inH; iy++) {
      std::memcpy(dxn + iy * rowLen, padGrad + ((p.pT + iy) * p.Wp + p.pL) * p.C, rowLen * sizeof(float));
    }
  }
}

// ---- the per-ISA entry points (everything above is inlined into them) -----------------------------------------


BP_CONV_AVX512
void forward512(const Plan& p, const float* x, const float* w, const float* b, float* z, float* y,
                size_t n0, size_t n1, int act, double alpha) {
  if (p.F % 16 == 0) forwardSamples<16, true>(p, x, w, b, z, y, n0, n1, act, alpha);
  else forwardSamples<8, true>(p, x, w, b, z, y, n0, n1, act, alpha);
}
BP_CONV_AVX2
void forward256(const Plan& p, const float* x, const float* w, const float* b, float* z, float* y, size_t n0,
                size_t n1, int act, double alpha) {
  forwardSamples<8, false>(p, x, w, b, z, y, n0, n1, act, alpha);
}
BP_CONV_AVX512
void backward512(const Plan& p, const float* x, const float* z, const float* y, const float* dy, float* dz,
                 float* dw, double* db, float* dx, size_t n0, size_t n1, int act, double alpha) {
  if (p.F % 16 == 0) backwardSamples<16, true>(p, x, z, y, dy, dz, dw, db, dx, n0, n1, act, alpha);
  else backwardSamples<8, true>(p, x, z, y, dy, dz, dw, db, dx, n0, n1, act, alpha);
}
BP_CONV_AVX2
void backward256(const Plan& p, const float* x, const float* z, const float* y, const float* dy, float* dz,
                 float* dw, double* db, float* dx, size_t n0, size_t n1, int act, double alpha) {
  backwardSamples<8, false>(p, x, z, y, dy, dz, dw, db, dx, n0, n1, act, alpha);
}

// Vector width the backward tiles use (the transposed kernel is padded to whole tiles of it).
size_t vectorWidth(const Plan& p) { return isa() == Isa::Avx512 && p.F % 16 == 0 ? 16 : 8; }

// graph-model layers: the input gradient alone (a transposed convolution's forward), samples [n0, n1).
template <int W, bool Wide>
BP_TILE void inputGradSamples(const Plan& p, const float* dz, float* dx, size_t n0, size_t n1) {
  const size_t padLen = p.Hp * p.Wp * p.C;
  float* padGrad = p.padded ? scratch<float>(kSlotPaddedGrad, padLen) : nullptr;
  for (size_t n = n0; n < n1; n++) {
    const float* dzs = dz + n * p.outSample;
    float* dxn = dx + n * p.inSample;
    float* target = padGrad ? padGrad : dxn;
    std::fill(target, target + (padGrad ? padLen : p.inSample), 0.0f);
    inputPixels<W, Wide>(p, dzs, target);
    if (!padGrad) continue;
    const size_t rowLen = p.inW * p.C;
    for (size_t iy = 0; iy < p.inH; iy++) {
      std::memcpy(dxn + iy * rowLen, padGrad + ((p.pT + iy) * p.Wp + p.pL) * p.C, rowLen * sizeof(float));
    }
  }
}
BP_CONV_AVX512
void inputGrad512(const Plan& p, const float* dz, float* dx, size_t n0, size_t n1) {
  if (p.F % 16 == 0) inputGradSamples<16, true>(p, dz, dx, n0, n1);
  else inputGradSamples<8, true>(p, dz, dx, n0, n1);
}
BP_CONV_AVX2
void inputGrad256(const Plan& p, const float* dz, float* dx, size_t n0, size_t n1) {
  inputGradSamples<8, false>(p, dz, dx, n0, n1);
}

}  // namespace

ConvIsa convIsa() { return isa(); }

bool convWinogradAllowed() {
  static const bool allowed = [] {
    const char* choice = std::getenv("BACKPROP_CONV_KERNELS");
    return !(choice && std::strstr(choice, "nowinograd"));
  }();
  return allowed && isa() != Isa::None;
}

const char* directConvKernels() {
  const bool wino = convWinogradAllowed();
  if (isa() == Isa::Avx512) return wino ? "avx512+winograd" : "avx512";
  if (isa() == Isa::Avx2) return wino ? "avx2+winograd" : "avx2";
  return "blas";
}

bool directConvSupported(const ConvGeom& g) {
  if (isa() == Isa::None || g.groups != 1 || g.outC % 8 != 0 || g.pointwise()) return false;
  const size_t needH = reach(g.outH, g.sH, g.kH, g.dH), needW = reach(g.outW, g.sW, g.kW, g.dW);
  const size_t hp = std::max(needH, g.pT + g.inH), wp = std::max(needW, g.pL + g.inW);
  size_t plane = 0, sample = 0;
  if (__builtin_mul_overflow(hp, wp, &plane) || __builtin_mul_overflow(plane, g.inC, &sample)) return false;
  // Tap offsets and pixel positions within a padded sample are 32-bit.
  return sample < (size_t(1) << 31) && g.kg() < (size_t(1) << 31);
}

void directConvForward(const float* x, const float* w, const float* b, float* z, float* y, const ConvGeom& g, int act,
                       double alpha) {
  Plan p = makePlan(g);
  if (pairTiles(g)) {
    float* wp = scratch<float>(kSlotDcol, 16 * (p.K + 1));
    for (size_t k = 0; k < p.K; k++)
      for (size_t f = 0; f < 8; f++) wp[16 * k + 2 * f] = wp[16 * k + 2 * f + 1] = w[k * 8 + f];
    float* bp = wp + 16 * p.K;
    for (size_t f = 0; f < 8; f++) bp[2 * f] = bp[2 * f + 1] = b ? b[f] : 0.0f;
    p.pairs = true;
    p.wpair = wp;
    p.bpair = b ? bp : nullptr;
  }
  const size_t chunks = chunkCount(g.batch);
  parallelChunks(chunks, [&](size_t c) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    if (isa() == Isa::Avx512) forward512(p, x, w, b, z, y, n0, n1, act, alpha);
    else forward256(p, x, w, b, z, y, n0, n1, act, alpha);
  });
}

void directConvBackward(const float* x, const float* w, const float* z, const float* y, const float* dy, float* dz,
                        float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha) {
  Plan p = makePlan(g);
  p.pairs = pairTiles(g);
  const size_t W = vectorWidth(p);
  markContiguous(p, W);
  if (dx) {
    // The kernel transposed (F × K), each row zero-padded to whole vectors.
    p.ldwt = (p.K + W - 1) / W * W;
    float* wt = scratch<float>(kSlotDcol, p.F * p.ldwt);
    for (size_t f = 0; f < p.F; f++) {
      float* row = wt + f * p.ldwt;
      for (size_t k = 0; k < p.K; k++) row[k] = w[k * p.F + f];
      std::fill(row + p.K, row + p.ldwt, 0.0f);
    }
    p.wt = wt;
  }
  const size_t chunks = chunkCount(g.batch), kf = p.K * p.F;
  // Per-chunk sums of dW and db, reduced in chunk order below (the same result however chunks were scheduled).
  float* dwParts = scratch<float>(kSlotAcc, chunks * kf);
  double* dbParts = scratch<double>(kSlotAcc2, chunks * p.F);
  std::fill(dwParts, dwParts + chunks * kf, 0.0f);
  std::fill(dbParts, dbParts + chunks * p.F, 0.0);
  parallelChunks(chunks, [&](size_t c) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    float* dwc = dwParts + c * kf;
    double* dbc = db ? dbParts + c * p.F : nullptr;
    if (isa() == Isa::Avx512) backward512(p, x, z, y, dy, dz, dwc, dbc, dx, n0, n1, act, alpha);
    else backward256(p, x, z, y, dy, dz, dwc, dbc, dx, n0, n1, act, alpha);
  });
  std::copy(dwParts, dwParts + kf, dw);
  for (size_t c = 1; c < chunks; c++) {
    const float* part = dwParts + c * kf;
    for (size_t i = 0; i < kf; i++) dw[i] += part[i];
  }
  if (db) {
    for (size_t f = 0; f < p.F; f++) {
      double s = 0;
      for (size_t c = 0; c < chunks; c++) s += dbParts[c * p.F + f];
      db[f] = static_cast<float>(s);
    }
  }
}

// graph-model layers: dx alone, from the same tiles as directConvBackward's (the kernel transposed once).
void directConvInputGrad(const float* dz, const float* w, float* dx, const ConvGeom& g) {
  Plan p = makePlan(g);
  const size_t W = vectorWidth(p);
  markContiguous(p, W);
  p.ldwt = (p.K + W - 1) / W * W;
  float* wt = scratch<float>(kSlotDcol, p.F * p.ldwt);
  for (size_t f = 0; f < p.F; f++) {
    float* row = wt + f * p.ldwt;
    for (size_t k = 0; k < p.K; k++) row[k] = w[k * p.F + f];
    std::fill(row + p.K, row + p.ldwt, 0.0f);
  }
  p.wt = wt;
  const size_t chunks = chunkCount(g.batch);
  parallelChunks(chunks, [&](size_t c) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    if (isa() == Isa::Avx512) inputGrad512(p, dz, dx, n0, n1);
    else inputGrad256(p, dz, dx, n0, n1);
  });
}

}  // namespace bp
