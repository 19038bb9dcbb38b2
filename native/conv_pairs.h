// Register tiles for convolutions with 8 filters over one input channel at stride 1 (the first layer of small
// CNNs) on AVX-512: 8 filters fill only half of a 16-float vector, so each vector holds two neighbouring output
// pixels of a row, lanes interleaved (lane 2f + s: filter f of pixel p + s). At any tap the two pixels' inputs
// sit next to each other, so one 64-bit broadcast load gives the pair's two input values for all 8 filters.
// Inlined into AVX-512 functions only (native/conv_direct.cc); the conditions are checked there.
#pragma once
#include <cstdint>
#include <cstring>

#include "conv_tiles.h"

namespace bp {
namespace pairs {

using V = tiles::Vec<16>::T;
using Half = tiles::Vec<8>::T;

// [p[0], p[1]] repeated 8 times; moved as one 64-bit integer so no bits change (no floating-point operation).
BP_TILE V broadcastPair(const float* p) {
  typedef long long Q __attribute__((vector_size(64)));
  long long q;
  std::memcpy(&q, p, sizeof q);
  const Q v = {q, q, q, q, q, q, q, q};
  return (V)v;
}

// Forward for MP pixel pairs (xp[i]: the window origin of the pair's first pixel): z = bias + Σ_k x[off[k]]·w[k]
// in the order of tiles::forwardTile (so the same bits), then y = relu(z) (act RELU) or y = z (LINEAR); other
// activations are applied by the caller on z. wp holds K rows of 16 (each filter's weight twice, interleaved),
// bp the bias the same way or null. z[i], y[i] point at the pair's 16 outputs; only the first `pairs` are stored.
template <int MP>
BP_TILE void forwardPairs(const float* const* xp, const int32_t* off, size_t K, const float* wp, const float* bp,
                          float* const* z, float* const* y, int pairs, int act) {
  V acc[MP];
  const V b = bp ? tiles::load<16>(bp) : V{};
  for (int i = 0; i < MP; i++) acc[i] = b;
  for (size_t k = 0; k < K; k++) {
    const V w = tiles::load<16>(wp + 16 * k);
    const int32_t o = off[k];
#pragma GCC unroll 32
    for (int i = 0; i < MP; i++) acc[i] += w * broadcastPair(xp[i] + o);
  }
  const V zero{};
  for (int i = 0; i < MP; i++) {
    if (i >= pairs) break;
    // Back to pixel-major order: the 8 filters of pixel p, then those of pixel p + 1.
    const V v = __builtin_shufflevector(acc[i], acc[i], 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    if (y[i] != z[i] || act != RELU) tiles::store<16>(z[i], v);
    if (act == RELU) tiles::store<16>(y[i], v > zero ? v : zero);
    else if (act == LINEAR && y[i] != z[i]) tiles::store<16>(y[i], v);
  }
}

// Weight gradient of MR taps over one sample: dw[i·8 + f] += Σ_pixels x(pixel)[offk[i]]·dz(pixel)[f]. The rows of
// OW (even) output pixels go by pairs; the pixels at even and odd columns are summed in separate lanes, added at
// the end. x moves by rowStep per output row and 1 per pixel; dz holds 8 values per pixel. Only the first `rows`
// taps are stored.
template <int MR>
BP_TILE void weightPairs(const float* x, const int32_t* offk, size_t OH, size_t OW, size_t rowStep, const float* dz,
                         float* dw, int rows) {
  V acc[MR];
  for (int i = 0; i < MR; i++) acc[i] = V{};
  int32_t o[MR];
  for (int i = 0; i < MR; i++) o[i] = offk[i];
  const float* d = dz;
  for (size_t oy = 0; oy < OH; oy++) {
    const float* xr = x + oy * rowStep;
    for (size_t ox = 0; ox < OW; ox += 2, d += 16, xr += 2) {
      const V g = tiles::load<16>(d);
      const V gi = __builtin_shufflevector(g, g, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
      // Unrolled whatever MR, so the accumulators stay in registers.
#pragma GCC unroll 32
      for (int i = 0; i < MR; i++) acc[i] += gi * broadcastPair(xr + o[i]);
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    const Half even = __builtin_shufflevector(acc[i], acc[i], 0, 2, 4, 6, 8, 10, 12, 14);
    const Half odd = __builtin_shufflevector(acc[i], acc[i], 1, 3, 5, 7, 9, 11, 13, 15);
    tiles::store<8>(dw + 8 * i, tiles::load<8>(dw + 8 * i) + (even + odd));
  }
}

}  // namespace pairs
}  // namespace bp
