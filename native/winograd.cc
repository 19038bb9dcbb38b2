#include "winograd.h"

#include <algorithm>
#include <cstring>

#include "activations.h"
#include "conv_direct.h"
#include "conv_tiles.h"
#include "thread_pool.h"
#include "winograd_tiles.h"

namespace bp {

namespace {

using tiles::load;
using tiles::store;

// One Winograd convolution F(2×2, 3×3) as the tiles see it: an input of `inCh` channels already zero-padded
// into a buffer of Hp×Wp positions (the 4×4 patch of output block (ty, tx) starts at row 2ty, column 2tx), the
// transformed kernel U (16 matrices inCh × outCh), and an output of OH×OW positions, outCh channels.
struct WinoShape {
  size_t inCh = 0, outCh = 0, Wp = 0, tH = 0, tW = 0, OH = 0, OW = 0;
  size_t blocks() const { return tH * tW; }
};

// Row tiles of the products take 6, 8 or 12 blocks; a group's matrices hold a multiple of 24 rows, so that the last
// tile of a group may read (and not store) rows past the group's blocks.
constexpr size_t kRowPad = 24;

// Output blocks transformed at a time: the transformed patches and products of a group (16·TB·(in + out)
// floats) stay within L2. A multiple of kRowPad.
size_t blockGroup(size_t inCh, size_t outCh) {
  const size_t tb = std::max<size_t>(kRowPad, std::min<size_t>(264, (96 * 1024) / (16 * (inCh + outCh))));
  return tb / kRowPad * kRowPad;
}

// Floats between the 16 matrices of a group: TB·channels plus a cache line, so that the 16 rows a transform
// reads or writes do not all fall in one cache set (a power-of-two stride made them evict each other).
size_t matrixStride(size_t TB, size_t channels) { return TB * channels + 16; }

template <bool Wide, int NV>
constexpr int rowsFor() {
  return Wide ? (NV == 4 ? 6 : NV == 3 ? 8 : 12) : (NV == 2 ? 6 : 12);
}

// V[ξ][t][c] = (Bᵀ d B)[ξ] for the 4×4 patch d of block t, channels [c, c + W).
template <int W>
BP_TILE void inputTransform(const float* patch, size_t rowStride, size_t C, size_t c, float* v, size_t stride) {
  using V = typename tiles::Vec<W>::T;
  V d[4][4], t[4][4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) d[i][j] = load<W>(patch + i * rowStride + j * C + c);
  for (int j = 0; j < 4; j++) {
    t[0][j] = d[0][j] - d[2][j];
    t[1][j] = d[1][j] + d[2][j];
    t[2][j] = d[2][j] - d[1][j];
    t[3][j] = d[1][j] - d[3][j];
  }
  for (int i = 0; i < 4; i++) {
    store<W>(v + (i * 4 + 0) * stride, t[i][0] - t[i][2]);
    store<W>(v + (i * 4 + 1) * stride, t[i][1] + t[i][2]);
    store<W>(v + (i * 4 + 2) * stride, t[i][2] - t[i][1]);
    store<W>(v + (i * 4 + 3) * stride, t[i][1] - t[i][3]);
  }
}

// The same for F(3×3, 2×2) (the kernel gradient): Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1].
template <int W>
BP_TILE void inputTransform32(const float* patch, size_t rowStride, size_t C, size_t c, float* v, size_t stride) {
  using V = typename tiles::Vec<W>::T;
  V d[4][4], t[4][4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) d[i][j] = load<W>(patch + i * rowStride + j * C + c);
  for (int j = 0; j < 4; j++) {
    t[0][j] = d[0][j] - d[2][j];
    t[1][j] = d[1][j] + d[2][j];
    t[2][j] = d[2][j] - d[1][j];
    t[3][j] = d[3][j] - d[1][j];
  }
  for (int i = 0; i < 4; i++) {
    store<W>(v + (i * 4 + 0) * stride, t[i][0] - t[i][2]);
    store<W>(v + (i * 4 + 1) * stride, t[i][1] + t[i][2]);
    store<W>(v + (i * 4 + 2) * stride, t[i][2] - t[i][1]);
    store<W>(v + (i * 4 + 3) * stride, t[i][3] - t[i][1]);
  }
}

// Z[ξ] = (G g Gᵀ)[ξ] for a 2×2 block g of the output gradient (F(3×3, 2×2): G = [1 0; ½ ½; ½ -½; 0 1]).
template <int W>
BP_TILE void gradTransform(const float* block, size_t rowStride, size_t F, size_t f, float* z, size_t stride) {
  using V = typename tiles::Vec<W>::T;
  const V g00 = load<W>(block + f), g01 = load<W>(block + F + f);
  const V g10 = load<W>(block + rowStride + f), g11 = load<W>(block + rowStride + F + f);
  const V h[4][2] = {{g00, g01}, {(g00 + g10) * 0.5f, (g01 + g11) * 0.5f}, {(g00 - g10) * 0.5f, (g01 - g11) * 0.5f}, {g10, g11}};
  for (int i = 0; i < 4; i++) {
    store<W>(z + (i * 4 + 0) * stride, h[i][0]);
    store<W>(z + (i * 4 + 1) * stride, (h[i][0] + h[i][1]) * 0.5f);
    store<W>(z + (i * 4 + 2) * stride, (h[i][0] - h[i][1]) * 0.5f);
    store<W>(z + (i * 4 + 3) * stride, h[i][1]);
  }
}

// The 16 products M[ξ] (rows × outCh) = V[ξ] (rows × inCh) · U[ξ] (inCh × outCh), with the forward tiles.
template <int W, bool Wide, int NV>
BP_TILE void productsNV(const WinoShape& s, const float* Vt, const float* U, float* M,
                        size_t rows, size_t TB, size_t f0) {
  constexpr int MR = rowsFor<Wide, NV>();
  static_assert(kRowPad % MR == 0, "a row tile must not read past a group's padded rows");
  for (int xi = 0; xi < 16; xi++) {
    const float* v = Vt + xi * matrixStride(TB, s.inCh);
    float* m = M + xi * matrixStride(TB, s.outCh);
    const float* u = U + xi * s.inCh * s.outCh + f0;
    for (size_t r0 = 0; r0 < rows; r0 += MR) {
      const int n = static_cast<int>(std::min<size_t>(MR, rows - r0));
      wino::productTile<W, MR, NV>(v + r0 * s.inCh, s.inCh, s.inCh, u, s.outCh, m + r0 * s.outCh + f0, s.outCh, n);
    }
  }
}

template <int W, bool Wide>
BP_TILE void products(const WinoShape& s, const float* Vt, const float* U, float* M,
                      size_t rows, size_t TB) {
  constexpr int MaxNV = Wide ? 4 : 2;
  for (size_t f0 = 0; f0 < s.outCh;) {
    const size_t nv = std::min<size_t>(MaxNV, (s.outCh - f0) / W);
    if (nv >= 4) productsNV<W, Wide, (MaxNV >= 4 ? 4 : 1)>(s, Vt, U, M, rows, TB, f0);
    else if (nv == 3) productsNV<W, Wide, (MaxNV >= 3 ? 3 : 1)>(s, Vt, U, M, rows, TB, f0);
    else if (nv == 2) productsNV<W, Wide, 2>(s, Vt, U, M, rows, TB, f0);
    else productsNV<W, Wide, 1>(s, Vt, U, M, rows, TB, f0);
    f0 += nv * W;
  }
}

// One sample: out = conv(in) (+ bias, relu/linear fused; y may be z). `in` is the padded input buffer.
template <int W, bool Wide>
BP_TILE void convolveSample(const WinoShape& s, const float* in, const float* U, const float* bias, float* z, float* y,
                            int act) {
  using V = typename tiles::Vec<W>::T;
  const size_t TB = blockGroup(s.inCh, s.outCh), T = s.blocks(), rowStride = s.Wp * s.inCh;
  const size_t vs = matrixStride(TB, s.inCh), ms = matrixStride(TB, s.outCh);
  float* Vt = scratch<float>(kSlotWinoV, 16 * vs);
  float* M = scratch<float>(kSlotWinoM, 16 * ms);
  const V zero{};
  for (size_t t0 = 0; t0 < T; t0 += TB) {
    const size_t rows = std::min(TB, T - t0);
    for (size_t r = 0; r < rows; r++) {
      const size_t ty = (t0 + r) / s.tW, tx = (t0 + r) % s.tW;
      const float* patch = in + (2 * ty) * rowStride + 2 * tx * s.inCh;
      for (size_t c = 0; c < s.inCh; c += W) inputTransform<W>(patch, rowStride, s.inCh, c, Vt + r * s.inCh + c, vs);
    }
    products<W, Wide>(s, Vt, U, M, rows, TB);
    // Y = Aᵀ M A, Aᵀ = [1 1 1 0; 0 1 -1 -1]; then bias and activation, for the outputs inside OH×OW.
    for (size_t r = 0; r < rows; r++) {
      const size_t ty = (t0 + r) / s.tW, tx = (t0 + r) % s.tW;
      for (size_t f = 0; f < s.outCh; f += W) {
        V m[16];
        for (int xi = 0; xi < 16; xi++) m[xi] = load<W>(M + xi * ms + r * s.outCh + f);
        V a0[4], a1[4];
        for (int j = 0; j < 4; j++) {
          a0[j] = m[j] + m[4 + j] + m[8 + j];
          a1[j] = m[4 + j] - m[8 + j] - m[12 + j];
        }
        const V b = bias ? load<W>(bias + f) : zero;
        const V out[2][2] = {{a0[0] + a0[1] + a0[2] + b, a0[1] - a0[2] - a0[3] + b},
                             {a1[0] + a1[1] + a1[2] + b, a1[1] - a1[2] - a1[3] + b}};
        for (int dy = 0; dy < 2; dy++) {
          const size_t oy = 2 * ty + dy;
          if (oy >= s.OH) break;
          for (int dx = 0; dx < 2; dx++) {
            const size_t ox = 2 * tx + dx;
            if (ox >= s.OW) break;
            const size_t o = (oy * s.OW + ox) * s.outCh + f;
            const V v = out[dy][dx];
            if (y != z || act != RELU) store<W>(z + o, v);
            if (act == RELU) store<W>(y + o, v > zero ? v : zero);
            else if (act == LINEAR && y != z) store<W>(y + o, v);
          }
        }
      }
    }
  }
}

// Rows [r0, r0 + rows) of `src` (rowLen floats each) copied into a zeroed buffer of Hp×Wp×C at (top, left),
// clipped to the buffer.
inline void copyPadded(const float* src, size_t rows, size_t cols, size_t C, float* buf, size_t Hp, size_t Wp,
                       size_t top, size_t left) {
  if (left >= Wp) return;
  const size_t n = std::min(cols, Wp - left) * C;
  for (size_t r = 0; r < rows && top + r < Hp; r++) std::memcpy(buf + ((top + r) * Wp + left) * C, src + r * cols * C, n * sizeof(float));
}

struct Plan {
  const ConvGeom* g = nullptr;
  size_t C = 0, F = 0, tH = 0, tW = 0, Hp = 0, Wp = 0;
  // dX: the output gradient padded for the flipped convolution, and its blocks over the input.
  size_t tHx = 0, tWx = 0, Hq = 0, Wq = 0;
  const float* U = nullptr;   // 16 × C × F
  const float* Ut = nullptr;  // 16 × F × C (flipped kernel, for dX)
  // x serves as its own padded copy when the blocks cover it exactly (even size, no padding before).
  bool xInPlace = false;
};

template <int W, bool Wide>
BP_TILE void forwardSamples(const Plan& p, const float* x, const float* b, float* z, float* y, size_t n0, size_t n1,
                            int act, double alpha) {
  const ConvGeom& g = *p.g;
  const size_t padLen = p.Hp * p.Wp * p.C, in = g.inH * g.inW * p.C, out = g.outH * g.outW * p.F;
  float* pad = p.xInPlace ? nullptr : scratch<float>(kSlotPadded, padLen);
  if (pad) std::fill(pad, pad + padLen, 0.0f);
  const WinoShape s{p.C, p.F, p.Wp, p.tH, p.tW, g.outH, g.outW};
  for (size_t n = n0; n < n1; n++) {
    if (pad) copyPadded(x + n * in, g.inH, g.inW, p.C, pad, p.Hp, p.Wp, g.pT, g.pL);
    convolveSample<W, Wide>(s, pad ? pad : x + n * in, p.U, b, z + n * out, y + n * out, act);
    if (act != RELU && act != LINEAR) forwardRange(act, alpha, z + n * out, y + n * out, out);
  }
}

template <int W, bool Wide, int NV>
BP_TILE void weightProductsNV(const float* Vt, const float* Z, float* acc, size_t C, size_t F, size_t rows,
                              size_t TB, size_t f0) {
  constexpr int MR = rowsFor<Wide, NV>();
  for (int xi = 0; xi < 16; xi++) {
    const float* v = Vt + xi * matrixStride(TB, C);
    const float* z = Z + xi * matrixStride(TB, F) + f0;
    float* a = acc + xi * C * F + f0;
    size_t c0 = 0;
    for (; c0 + MR <= C; c0 += MR) wino::weightTile<W, MR, NV>(v + c0, C, z, F, rows, a + c0 * F, F);
    // The last channels (C is a multiple of 8, so an even number of them).
    for (; c0 + 4 <= C; c0 += 4) wino::weightTile<W, 4, NV>(v + c0, C, z, F, rows, a + c0 * F, F);
    for (; c0 < C; c0 += 2) wino::weightTile<W, 2, NV>(v + c0, C, z, F, rows, a + c0 * F, F);
  }
}

// The kernel gradient of one sample, accumulated in the transformed domain: acc[ξ] (C × F) += Σ_blocks V[ξ]ᵀ Z[ξ].
template <int W, bool Wide>
BP_TILE void weightSample(const Plan& p, const float* padX, const float* padDz, float* acc) {
  constexpr int MaxNV = Wide ? 4 : 2;
  const size_t C = p.C, F = p.F, T = p.tH * p.tW, TB = blockGroup(C, F), rowStride = p.Wp * C;
  const size_t vs = matrixStride(TB, C), zs = matrixStride(TB, F);
  float* Vt = scratch<float>(kSlotWinoV, 16 * vs);
  float* Z = scratch<float>(kSlotWinoM, 16 * zs);
  const size_t dzRow = 2 * p.tW * F;
  for (size_t t0 = 0; t0 < T; t0 += TB) {
    const size_t rows = std::min(TB, T - t0);
    for (size_t r = 0; r < rows; r++) {
      const size_t ty = (t0 + r) / p.tW, tx = (t0 + r) % p.tW;
      const float* patch = padX + (2 * ty) * rowStride + 2 * tx * C;
      for (size_t c = 0; c < C; c += W) inputTransform32<W>(patch, rowStride, C, c, Vt + r * C + c, vs);
      const float* block = padDz + (2 * ty) * dzRow + 2 * tx * F;
      for (size_t f = 0; f < F; f += W) gradTransform<W>(block, dzRow, F, f, Z + r * F + f, zs);
    }
    for (size_t f0 = 0; f0 < F;) {
      const size_t nv = std::min<size_t>(MaxNV, (F - f0) / W);
      if (nv >= 4) weightProductsNV<W, Wide, (MaxNV >= 4 ? 4 : 1)>(Vt, Z, acc, C, F, rows, TB, f0);
      else if (nv == 3) weightProductsNV<W, Wide, (MaxNV >= 3 ? 3 : 1)>(Vt, Z, acc, C, F, rows, TB, f0);
      else if (nv == 2) weightProductsNV<W, Wide, 2>(Vt, Z, acc, C, F, rows, TB, f0);
      else weightProductsNV<W, Wide, 1>(Vt, Z, acc, C, F, rows, TB, f0);
      f0 += nv * W;
    }
  }
}

// dz = relu'(z)·dy (act RELU) or dy (LINEAR) for one sample, in one pass: written to dz, to the padded buffers
// that are not null (dzp: rows of dzRow floats from (0, 0); dq: the flipped convolution's input, Wq positions a
// row, from (2 − pT, 2 − pL), clipped to Hq rows), and its per-filter sums added to db (summed in float over the
// sample first, as vectors).
template <int W>
BP_TILE void gradientPass(const ConvGeom& g, size_t F, const float* z, const float* dy, float* dz, float* dzp,
                          size_t dzRow, float* dq, size_t Hq, size_t Wq, float* sums, double* db, int act) {
  using V = typename tiles::Vec<W>::T;
  const V zero{};
  // A linear layer's dz in place of dy already holds it (the layers pass dz = dy): no store.
  const bool storeDz = act != LINEAR || dz != dy;
  if (db) std::fill(sums, sums + F, 0.0f);
  for (size_t oy = 0; oy < g.outH; oy++) {
    const size_t qy = oy + 2 - g.pT;
    float* dqRow = dq && qy < Hq ? dq + qy * Wq * F : nullptr;
    for (size_t ox = 0; ox < g.outW; ox++) {
      const size_t q = (oy * g.outW + ox) * F, qx = ox + 2 - g.pL;
      float* dqp = dqRow && qx < Wq ? dqRow + qx * F : nullptr;
      float* dzpp = dzp ? dzp + oy * dzRow + ox * F : nullptr;
      for (size_t f = 0; f < F; f += W) {
        V d = load<W>(dy + q + f);
        if (act == RELU) d = load<W>(z + q + f) > zero ? d : zero;
        if (storeDz) store<W>(dz + q + f, d);
        if (dqp) store<W>(dqp + f, d);
        if (dzpp) store<W>(dzpp + f, d);
        if (db) store<W>(sums + f, load<W>(sums + f) + d);
      }
    }
  }
  if (db)
    for (size_t f = 0; f < F; f++) db[f] += sums[f];
}

template <int W, bool Wide>
BP_TILE void backwardSamples(const Plan& p, const float* x, const float* z, const float* y, const float* dy, float* dz,
                             float* acc, double* db, float* dx, size_t n0, size_t n1, int act, double alpha) {
  const ConvGeom& g = *p.g;
  const size_t C = p.C, F = p.F, pixels = g.outH * g.outW, in = g.inH * g.inW * C, out = pixels * F;
  const size_t padLen = p.Hp * p.Wp * C, dzLen = 2 * p.tH * 2 * p.tW * F, dqLen = p.Hq * p.Wq * F;
  // dz serves as its own padded copy when the blocks cover it exactly (even size), as x may (Plan::xInPlace).
  const bool dzInPlace = 2 * p.tH == g.outH && 2 * p.tW == g.outW;
  const bool fused = act == RELU || act == LINEAR;
  float* padX = p.xInPlace ? nullptr : scratch<float>(kSlotPadded, padLen);
  float* padDz = dzInPlace ? nullptr : scratch<float>(kSlotPaddedGrad, dzLen);
  float* padDq = dx ? scratch<float>(kSlotWinoDz, dqLen) : nullptr;
  float* sums = fused && db ? scratch<float>(kSlotCol, F) : nullptr;
  // Only the positions outside the copied samples need zeros, and the copies never write there.
  if (padX) std::fill(padX, padX + padLen, 0.0f);
  if (padDz) std::fill(padDz, padDz + dzLen, 0.0f);
  if (padDq) std::fill(padDq, padDq + dqLen, 0.0f);
  const WinoShape sx{F, C, p.Wq, p.tHx, p.tWx, g.inH, g.inW};
  for (size_t n = n0; n < n1; n++) {
    const size_t o = n * out;
    const float* dzs = dz + o;
    if (fused) {
      gradientPass<W>(g, F, z + o, dy + o, dz + o, padDz, 2 * p.tW * F, padDq, p.Hq, p.Wq, sums, db, act);
    } else {
      activationBackward(act, alpha, z + o, y + o, dy + o, dz + o, pixels, F);
      if (db) {
        for (size_t q = 0; q < pixels; q++)
          for (size_t f = 0; f < F; f++) db[f] += dzs[q * F + f];
      }
      if (padDz) copyPadded(dzs, g.outH, g.outW, F, padDz, 2 * p.tH, 2 * p.tW, 0, 0);
      if (padDq) copyPadded(dzs, g.outH, g.outW, F, padDq, p.Hq, p.Wq, 2 - g.pT, 2 - g.pL);
    }
    if (padX) copyPadded(x + n * in, g.inH, g.inW, C, padX, p.Hp, p.Wp, g.pT, g.pL);
    weightSample<W, Wide>(p, padX ? padX : x + n * in, padDz ? padDz : dzs, acc);
    if (padDq) convolveSample<W, Wide>(sx, padDq, p.Ut, nullptr, dx + n * in, dx + n * in, LINEAR);
  }
}


BP_CONV_AVX512
void forward512(const Plan& p, const float* x, const float* b, float* z, float* y, size_t n0, size_t n1,
                int act, double alpha) {
  if (p.C % 16 == 0 && p.F % 16 == 0) forwardSamples<16, true>(p, x, b, z, y, n0, n1, act, alpha);
  else forwardSamples<8, true>(p, x, b, z, y, n0, n1, act, alpha);
}
BP_CONV_AVX2
void forward256(const Plan& p, const float* x, const float* b, float* z, float* y, size_t n0, size_t n1,
                int act, double alpha) {
  forwardSamples<8, false>(p, x, b, z, y, n0, n1, act, alpha);
}
BP_CONV_AVX512
void backward512(const Plan& p, const float* x, const float* z, const float* y, const float* dy, float* dz,
                 float* acc, double* db, float* dx, size_t n0, size_t n1, int act, double alpha) {
  if (p.C % 16 == 0 && p.F % 16 == 0) backwardSamples<16, true>(p, x, z, y, dy, dz, acc, db, dx, n0, n1, act, alpha);
  else backwardSamples<8, true>(p, x, z, y, dy, dz, acc, db, dx, n0, n1, act, alpha);
}
BP_CONV_AVX2
void backward256(const Plan& p, const float* x, const float* z, const float* y, const float* dy, float* dz,
                 float* acc, double* db, float* dx, size_t n0, size_t n1, int act, double alpha) {
  backwardSamples<8, false>(p, x, z, y, dy, dz, acc, db, dx, n0, n1, act, alpha);
}

// U[ξ][c][f] = (G g Gᵀ)[ξ] for g = w[·,·,c,f] (flip: g = w[2-·, 2-·, c, f] stored as U[ξ][f][c], for dX).
// G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]. In double, rounded once.
void kernelTransform(const float* w, size_t C, size_t F, bool flip, float* U) {
  for (size_t c = 0; c < C; c++) {
    for (size_t f = 0; f < F; f++) {
      double g[3][3], h[4][3];
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++) {
          const int sy = flip ? 2 - ky : ky, sx = flip ? 2 - kx : kx;
          g[ky][kx] = w[((sy * 3 + sx) * C + c) * F + f];
        }
      for (int j = 0; j < 3; j++) {
        h[0][j] = g[0][j];
        h[1][j] = 0.5 * (g[0][j] + g[1][j] + g[2][j]);
        h[2][j] = 0.5 * (g[0][j] - g[1][j] + g[2][j]);
        h[3][j] = g[2][j];
      }
      for (int i = 0; i < 4; i++) {
        const double u[4] = {h[i][0], 0.5 * (h[i][0] + h[i][1] + h[i][2]), 0.5 * (h[i][0] - h[i][1] + h[i][2]), h[i][2]};
        for (int j = 0; j < 4; j++) {
          const size_t xi = i * 4 + j;
          if (flip) U[(xi * F + f) * C + c] = static_cast<float>(u[j]);
          else U[(xi * C + c) * F + f] = static_cast<float>(u[j]);
        }
      }
    }
  }
}

Plan makePlan(const ConvGeom& g) {
  Plan p;
  p.g = &g;
  p.C = g.inC;
  p.F = g.outC;
  p.tH = (g.outH + 1) / 2;
  p.tW = (g.outW + 1) / 2;
  p.Hp = 2 * p.tH + 2;
  p.Wp = 2 * p.tW + 2;
  p.tHx = (g.inH + 1) / 2;
  p.tWx = (g.inW + 1) / 2;
  p.Hq = 2 * p.tHx + 2;
  p.Wq = 2 * p.tWx + 2;
  p.xInPlace = g.pT == 0 && g.pL == 0 && p.Hp <= g.inH && p.Wp == g.inW;
  return p;
}

}  // namespace

bool winogradSupported(const ConvGeom& g) {
  if (!convWinogradAllowed()) return false;
  return g.kH == 3 && g.kW == 3 && g.sH == 1 && g.sW == 1 && g.dH == 1 && g.dW == 1 && g.groups == 1 &&
         g.inC >= 16 && g.inC % 8 == 0 && g.outC % 8 == 0 && g.pT <= 2 && g.pL <= 2 && g.outH >= 1 && g.outW >= 1 &&
         // Buffers of a sample (positions × channels) stay far from 32-bit offsets, as in the direct kernels.
         (g.inH + 4) * (g.inW + 4) * std::max(g.inC, g.outC) < (size_t(1) << 31) &&
         (g.outH + 4) * (g.outW + 4) * std::max(g.inC, g.outC) < (size_t(1) << 31);
}

void winogradForward(const float* x, const float* w, const float* b, float* z, float* y, const ConvGeom& g, int act,
                     double alpha) {
  Plan p = makePlan(g);
  float* U = scratch<float>(kSlotDcol, 16 * p.C * p.F);
  kernelTransform(w, p.C, p.F, false, U);
  p.U = U;
  const size_t chunks = chunkCount(g.batch);
  parallelChunks(chunks, [&](size_t c) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    if (convIsa() == ConvIsa::Avx512) forward512(p, x, b, z, y, n0, n1, act, alpha);
    else forward256(p, x, b, z, y, n0, n1, act, alpha);
  });
}

void winogradBackward(const float* x, const float* w, const float* z, const float* y, const float* dy, float* dz,
                      float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha) {
  Plan p = makePlan(g);
  if (dx) {
    float* Ut = scratch<float>(kSlotDcol, 16 * p.C * p.F);
    kernelTransform(w, p.C, p.F, true, Ut);
    p.Ut = Ut;
  }
  const size_t chunks = chunkCount(g.batch), cf = 16 * p.C * p.F;
  // Per-chunk sums in the transformed domain (and of db), reduced in chunk order below.
  float* accParts = scratch<float>(kSlotAcc, chunks * cf);
  double* dbParts = scratch<double>(kSlotAcc2, chunks * p.F);
  std::fill(accParts, accParts + chunks * cf, 0.0f);
  std::fill(dbParts, dbParts + chunks * p.F, 0.0);
  parallelChunks(chunks, [&](size_t c) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    float* acc = accParts + c * cf;
    double* dbc = db ? dbParts + c * p.F : nullptr;
    if (convIsa() == ConvIsa::Avx512) backward512(p, x, z, y, dy, dz, acc, dbc, dx, n0, n1, act, alpha);
    else backward256(p, x, z, y, dy, dz, acc, dbc, dx, n0, n1, act, alpha);
  });
  for (size_t c = 1; c < chunks; c++) {
    const float* part = accParts + c * cf;
    for (size_t i = 0; i < cf; i++) accParts[i] += part[i];
  }
  // dW = Aᵀ M A with Aᵀ = [1 1 1 0; 0 1 -1 0; 0 1 1 1] (F(3×3, 2×2)), per (c, f).
  for (size_t c = 0; c < p.C; c++) {
    for (size_t f = 0; f < p.F; f++) {
      double m[4][4], a[3][4];
      for (int xi = 0; xi < 16; xi++) m[xi / 4][xi % 4] = accParts[(xi * p.C + c) * p.F + f];
      for (int j = 0; j < 4; j++) {
        a[0][j] = m[0][j] + m[1][j] + m[2][j];
        a[1][j] = m[1][j] - m[2][j];
        a[2][j] = m[1][j] + m[2][j] + m[3][j];
      }
      for (int ky = 0; ky < 3; ky++) {
        const double r[3] = {a[ky][0] + a[ky][1] + a[ky][2], a[ky][1] - a[ky][2], a[ky][1] + a[ky][2] + a[ky][3]};
        for (int kx = 0; kx < 3; kx++) dw[((ky * 3 + kx) * p.C + c) * p.F + f] = static_cast<float>(r[kx]);
      }
    }
  }
  if (db) {
    for (size_t f = 0; f < p.F; f++) {
      double s = 0;
      for (size_t c = 0; c < chunks; c++) s += dbParts[c * p.F + f];
      db[f] = static_cast<float>(s);
    }
  }
}

}  // namespace bp
