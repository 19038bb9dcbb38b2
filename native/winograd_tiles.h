// Register tiles of the Winograd products (native/winograd.cc). Unlike the direct kernels' tiles (conv_tiles.h),
// which take one pointer per row because their rows sit anywhere in the input, the rows of a Winograd matrix are
// evenly spaced: a tile addresses three rows from one pointer (p, p + ld, p + 2·ld), so its pointers stay in
// registers instead of being reloaded from the stack before every broadcast.
#pragma once
#include <cstddef>

#include "conv_tiles.h"

namespace bp {
namespace wino {

template <int W>
using Vec = typename tiles::Vec<W>::T;

// m[i·ldm + W·j] = Σ_k v[i·ld + k]·u[k·ldu + W·j] for MR rows and NV·W columns; only the first `rows` rows are
// stored (the others read rows of v past the valid ones: the caller's buffer holds them).
template <int W, int MR, int NV>
BP_TILE void productTile(const float* v, size_t ld, size_t K, const float* u, size_t ldu, float* m, size_t ldm,
                         int rows) {
  using V = Vec<W>;
  constexpr int P = (MR + 2) / 3;
  V acc[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = V{};
  const char* p[P];
  for (int t = 0; t < P; t++) p[t] = reinterpret_cast<const char*>(v + 3 * t * ld);
  const size_t ldb = ld * sizeof(float);
  for (size_t k = 0; k < K; k++) {
    V b[NV];
    for (int j = 0; j < NV; j++) b[j] = tiles::load<W>(u + k * ldu + W * j);
    for (int i = 0; i < MR; i++) {
      const float a = *reinterpret_cast<const float*>(p[i / 3] + (i % 3) * ldb);
      for (int j = 0; j < NV; j++) acc[i][j] += b[j] * a;
    }
    for (int t = 0; t < P; t++) p[t] += sizeof(float);
  }
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    for (int j = 0; j < NV; j++) tiles::store<W>(m + i * ldm + W * j, acc[i][j]);
  }
}

// acc[i·lda + W·j] += Σ_r v[r·ldv + i]·z[r·ldz + W·j] over `rows` rows r, for MR columns i of v and NV·W of z.
template <int W, int MR, int NV>
BP_TILE void weightTile(const float* v, size_t ldv, const float* z, size_t ldz, size_t rows, float* acc,
                        size_t lda) {
  using V = Vec<W>;
  V s[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) s[i][j] = V{};
  for (size_t r = 0; r < rows; r++, v += ldv, z += ldz) {
    V b[NV];
    for (int j = 0; j < NV; j++) b[j] = tiles::load<W>(z + W * j);
    for (int i = 0; i < MR; i++) {
      const float a = v[i];
      for (int j = 0; j < NV; j++) s[i][j] += b[j] * a;
    }
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) {
      float* a = acc + i * lda + W * j;
      tiles::store<W>(a, tiles::load<W>(a) + s[i][j]);
    }
}

}  // namespace wino
}  // namespace bp
