// Register tiles of the float32 direct convolution (native/conv_direct.cc): small matrix products held in
// vector registers, with the im2col matrix never built ("implicit im2col"): the tap k of output pixel i is read
// straight from the (padded) input at pixel i's window origin + off[k]. Written with GCC vector types and
// always inlined into functions compiled for AVX-512 or AVX2 (target attributes, chosen at run time), so one
// source gives both. W is the vector width in floats, MR the rows of a tile, NV its vectors per row.
#pragma once
#include <cstddef>
#include <cstdint>

#include "activations.h"

#define BP_TILE inline __attribute__((always_inline))

// The per-ISA entry points of the convolution kernels (direct and Winograd), into which the tiles are inlined.
// The addon builds with -ffp-contract=off so that results do not depend on the CPU; these entry points run only on
// CPUs with FMA, so their tiles' a·b + c contract into FMAs (1.4-2× faster products). Results then depend on the
// kernel choice, as they already did (Winograd rounds differently from direct; the AVX-512 pixel-pair tiles sum
// a single-channel layer's kernel gradient in another order than the AVX2 tiles); every choice is checked
// against the float64 reference (test/native/conv-kernels.test.ts).
#if defined(__x86_64__)
#define BP_CONV_AVX512 \
  __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma,avx2"), optimize("fp-contract=fast")))
#define BP_CONV_AVX2 __attribute__((target("avx2,fma"), optimize("fp-contract=fast")))
#else
// Other CPUs (the linux-arm64 prebuilt) never run these entry points: convIsa() is None there, so float32
// convolutions take im2col + OpenBLAS. They still compile, as plain vector code.
#define BP_CONV_AVX512
#define BP_CONV_AVX2
#endif

// Vectors are passed by value only between always-inlined functions, never across a call: no ABI is involved.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace bp {
namespace tiles {

template <int W>
struct Vec;
template <>
struct Vec<8> {
  typedef float T __attribute__((vector_size(32), aligned(4)));
};
template <>
struct Vec<16> {
  typedef float T __attribute__((vector_size(64), aligned(4)));
};

template <int W>
BP_TILE typename Vec<W>::T load(const float* p) {
  return *reinterpret_cast<const typename Vec<W>::T*>(p);
}
template <int W>
BP_TILE void store(float* p, typename Vec<W>::T v) {
  *reinterpret_cast<typename Vec<W>::T*>(p) = v;
}

// Forward: z[i][f0 + W·j] = bias + Σ_k xp[i][off[k]]·w[k·ldw + f0 + W·j] for MR output pixels and NV·W
// filters, then y = relu(z) (act RELU) or y = z (LINEAR); y may be z for both (relu then stores relu(z) only).
// Other activations are applied by the caller on z. Only the first `rows` pixels are stored (the others repeat a
// valid pixel).
template <int W, int MR, int NV>
BP_TILE void forwardTile(const float* const* xp, const int32_t* off, size_t K, const float* w, size_t ldw,
                         const float* bias, float* const* z, float* const* y, int rows, int act) {
  using V = typename Vec<W>::T;
  V acc[MR][NV];
  for (int j = 0; j < NV; j++) {
    V b = bias ? load<W>(bias + W * j) : V{};
    for (int i = 0; i < MR; i++) acc[i][j] = b;
  }
  for (size_t k = 0; k < K; k++) {
    const int32_t o = off[k];
    V b[NV];
    for (int j = 0; j < NV; j++) b[j] = load<W>(w + k * ldw + W * j);
    for (int i = 0; i < MR; i++) {
      const float a = xp[i][o];
      for (int j = 0; j < NV; j++) acc[i][j] += b[j] * a;
    }
  }
  const V zero{};
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    for (int j = 0; j < NV; j++) {
      if (y[i] != z[i] || act != RELU) store<W>(z[i] + W * j, acc[i][j]);
      if (act == RELU) store<W>(y[i] + W * j, acc[i][j] > zero ? acc[i][j] : zero);
      else if (act == LINEAR && y[i] != z[i]) store<W>(y[i] + W * j, acc[i][j]);
    }
  }
}

// Weight gradient: dw[i·ldw + W·j] += Σ_pixels x(pixel)[offk[i]]·dz(pixel)[W·j] for MR kernel taps and NV·W
// filters, over the OH×OW output pixels of one sample (x moves by pixStep per pixel, rowStep per output row;
// dz by ldz per pixel). Only the first `rows` taps are stored.
template <int W, int MR, int NV>
BP_TILE void weightTile(const float* x, const int32_t* offk, size_t OH, size_t OW, size_t rowStep, size_t pixStep,
                        const float* dz, size_t ldz, float* dw, size_t ldw, int rows) {
  using V = typename Vec<W>::T;
  V acc[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = V{};
  int32_t o[MR];
  for (int i = 0; i < MR; i++) o[i] = offk[i];
  const float* d = dz;
  for (size_t oy = 0; oy < OH; oy++) {
    const float* xr = x + oy * rowStep;
    for (size_t ox = 0; ox < OW; ox++, d += ldz, xr += pixStep) {
      V b[NV];
      for (int j = 0; j < NV; j++) b[j] = load<W>(d + W * j);
      for (int i = 0; i < MR; i++) {
        const float a = xr[o[i]];
        for (int j = 0; j < NV; j++) acc[i][j] += b[j] * a;
      }
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    for (int j = 0; j < NV; j++) store<W>(dw + i * ldw + W * j, load<W>(dw + i * ldw + W * j) + acc[i][j]);
  }
}

// Input gradient: for MR output pixels, dcol[i][k0 + t] = Σ_f dzp[i][f]·wt[f·ldwt + k0 + t] (wt is the kernel
// transposed, zero-padded past K), scattered into the (padded) input gradient: dxp[i][off[k]] += dcol[i][k].
// contiguous[c] says whether taps [c·W, c·W + W) lie next to each other in the input (one vector add).
template <int W, int MR, int NV>
BP_TILE void inputTile(const float* const* dzp, size_t F, const float* wt, size_t ldwt, size_t k0, size_t K,
                       const int32_t* off, const uint8_t* contiguous, float* const* dxp, int rows) {
  using V = typename Vec<W>::T;
  V acc[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = V{};
  for (size_t f = 0; f < F; f++) {
    V b[NV];
    for (int j = 0; j < NV; j++) b[j] = load<W>(wt + f * ldwt + k0 + W * j);
    for (int i = 0; i < MR; i++) {
      const float a = dzp[i][f];
      for (int j = 0; j < NV; j++) acc[i][j] += b[j] * a;
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    for (int j = 0; j < NV; j++) {
      const size_t k = k0 + W * j;
      if (k >= K) break;
      if (k + W <= K && contiguous[k / W]) {
        float* p = dxp[i] + off[k];
        store<W>(p, load<W>(p) + acc[i][j]);
      } else {
        for (int t = 0; t < W && k + t < K; t++) dxp[i][off[k + t]] += acc[i][j][t];
      }
    }
  }
}

}  // namespace tiles
}  // namespace bp
