// Register tiles of the direct convolution (conv_direct.cc): small matrix products held in 128-bit registers, with
// the im2col matrix never built: tap k of output pixel i is read straight from the (padded) input at pixel i's
// window origin + off[k]. native/conv_tiles.h with four-float vectors; MR rows of a tile, NV vectors per row. V8
// gives WebAssembly 15 vector registers on x64: MR·NV accumulators + NV weight vectors + a broadcast + a product.
#pragma once
#include "activations.h"
#include "base.h"

namespace bp {
namespace tiles {

// Rows per tile for NV vectors per row (see the register count above).
template <int NV>
constexpr int rowsFor() {
  return NV == 4 ? 2 : NV == 3 ? 3 : NV == 2 ? 4 : 8;
}

// Forward: z[i][f0 + 4j] = bias + Σ_k xp[i][off[k]]·w[k·ldw + f0 + 4j] for MR output pixels and NV·4 filters, then
// y = relu(z) (act RELU) or y = z (LINEAR); y may be z for both (relu then stores relu(z) only). Other activations
// are applied by the caller on z. Only the first `rows` pixels are stored (the others repeat a valid pixel).
template <int MR, int NV>
BP_INLINE void forwardTile(const float* const* xp, const int32_t* off, size_t K, const float* w, size_t ldw,
                           const float* bias, float* const* z, float* const* y, int rows, int act) {
  f4 acc[MR][NV];
  for (int j = 0; j < NV; j++) {
    const f4 b = bias ? load4(bias + 4 * j) : f4{};
    for (int i = 0; i < MR; i++) acc[i][j] = b;
  }
  const float* xi[MR];
  for (int i = 0; i < MR; i++) xi[i] = xp[i];
#pragma clang loop unroll(disable)
  for (size_t k = 0; k < K; k++) {
    const int32_t o = off[k];
    f4 b[NV];
    for (int j = 0; j < NV; j++) b[j] = load4(w + k * ldw + 4 * j);
    for (int i = 0; i < MR; i++) {
      const f4 a = bcast4(xi[i] + o);
      for (int j = 0; j < NV; j++) acc[i][j] += a * b[j];
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    for (int j = 0; j < NV; j++) {
      if (y[i] != z[i] || act != RELU) store4(z[i] + 4 * j, acc[i][j]);
      if (act == RELU) store4(y[i] + 4 * j, relu4(acc[i][j]));
      else if (act == LINEAR && y[i] != z[i]) store4(y[i] + 4 * j, acc[i][j]);
    }
  }
}

// Weight gradient: dw[i·ldw + 4j] += Σ_pixels x(pixel)[offk[i]]·dz(pixel)[4j] for MR taps and NV·4 filters, over the
// OH×OW output pixels of one sample (x moves by pixStep per pixel, rowStep per output row; dz by ldz per pixel).
// Only the first `rows` taps are stored.
template <int MR, int NV>
BP_INLINE void weightTile(const float* x, const int32_t* offk, size_t OH, size_t OW, size_t rowStep, size_t pixStep,
                          const float* dz, size_t ldz, float* dw, size_t ldw, int rows) {
  f4 acc[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = f4{};
  int32_t o[MR];
  for (int i = 0; i < MR; i++) o[i] = offk[i];
  const float* d = dz;
  for (size_t oy = 0; oy < OH; oy++) {
    const float* xr = x + oy * rowStep;
#pragma clang loop unroll(disable)
    for (size_t ox = 0; ox < OW; ox++, d += ldz, xr += pixStep) {
      f4 b[NV];
      for (int j = 0; j < NV; j++) b[j] = load4(d + 4 * j);
      for (int i = 0; i < MR; i++) {
        const f4 a = bcast4(xr + o[i]);
        for (int j = 0; j < NV; j++) acc[i][j] += a * b[j];
      }
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    for (int j = 0; j < NV; j++) store4(dw + i * ldw + 4 * j, load4(dw + i * ldw + 4 * j) + acc[i][j]);
  }
}

// Input gradient: for MR output pixels, dcol[i][k0 + t] = Σ_f dzp[i][f]·wt[f·ldwt + k0 + t] (wt: the kernel
// transposed, zero-padded past K), scattered into the (padded) input gradient: dxp[i][off[k]] += dcol[i][k].
// contiguous[c] says whether taps [4c, 4c + 4) lie next to each other in the input (one vector add).
template <int MR, int NV>
BP_INLINE void inputTile(const float* const* dzp, size_t F, const float* wt, size_t ldwt, size_t k0, size_t K,
                         const int32_t* off, const uint8_t* contiguous, float* const* dxp, int rows) {
  f4 acc[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = f4{};
  const float* di[MR];
  for (int i = 0; i < MR; i++) di[i] = dzp[i];
#pragma clang loop unroll(disable)
  for (size_t f = 0; f < F; f++) {
    f4 b[NV];
    for (int j = 0; j < NV; j++) b[j] = load4(wt + f * ldwt + k0 + 4 * j);
    for (int i = 0; i < MR; i++) {
      const f4 a = bcast4(di[i] + f);
      for (int j = 0; j < NV; j++) acc[i][j] += a * b[j];
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    for (int j = 0; j < NV; j++) {
      const size_t k = k0 + 4 * j;
      if (k >= K) break;
      if (k + 4 <= K && contiguous[k / 4]) {
        float* p = dxp[i] + off[k];
        store4(p, load4(p) + acc[i][j]);
      } else {
        for (int t = 0; t < 4 && k + t < K; t++) dxp[i][off[k + t]] += acc[i][j][t];
      }
    }
  }
}

}  // namespace tiles
}  // namespace bp
