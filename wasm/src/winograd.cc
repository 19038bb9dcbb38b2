// Winograd convolution F(2×2, 3×3) for float32 3×3 convolutions at stride 1 (native/winograd.cc with 128-bit
// vectors; Lavin & Gray, 2015): each 2×2 block of outputs comes from a 4×4 input patch with 16 multiplications per
// channel pair instead of 36, as 16 small matrix products (one per transformed position) between the transformed
// input patches and the transformed kernel. Backward: dX is the same forward over the zero-padded output gradient
// with the flipped kernel; dW uses F(3×3, 2×2) (each 2×2 block of the output gradient against its 4×4 input patch,
// summed over blocks and samples in the transformed domain, transformed back once). 2.25× fewer multiply-adds than
// the direct kernels; results differ from them by rounding only.
#include "activations.h"
#include "conv.h"

namespace bp {

namespace {

// An input of `inCh` channels already zero-padded into a buffer of rows of Wp positions (the 4×4 patch of output
// block (ty, tx) starts at row 2ty, column 2tx), the transformed kernel U (16 matrices inCh × outCh), and an output
// of OH×OW positions, outCh channels.
struct WinoShape {
  size_t inCh, outCh, Wp, tH, tW, OH, OW;
  size_t blocks() const { return tH * tW; }
};

// Row tiles of the products take 3, 4 or 8 blocks; a group's matrices hold a multiple of 24 rows, so that the last
// tile of a group may read (not store) rows past the group's blocks.
constexpr size_t kRowPad = 24;
constexpr int kMaxNV = 4;

// Output blocks transformed at a time: a group's transformed patches and products (16·TB·(in + out) floats) stay
// within L2. A multiple of kRowPad.
size_t blockGroup(size_t inCh, size_t outCh) {
  const size_t tb = max<size_t>(kRowPad, min<size_t>(264, (96 * 1024) / (16 * (inCh + outCh))));
  return tb / kRowPad * kRowPad;
}

// Floats between the 16 matrices of a group: TB·channels plus a cache line (a power-of-two stride would put the
// 16 rows a transform touches in one cache set).
size_t matrixStride(size_t TB, size_t channels) { return TB * channels + 16; }

template <int NV>
constexpr int rowsFor() {
  return NV == 4 ? 2 : NV == 3 ? 3 : NV == 2 ? 4 : 8;
}

// V[ξ][t][c] = (Bᵀ d B)[ξ] for the 4×4 patch d of block t, channels [c, c + 4).
BP_INLINE void inputTransform(const float* patch, size_t rowStride, size_t C, size_t c, float* v, size_t stride) {
  f4 d[4][4], t[4][4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) d[i][j] = load4(patch + i * rowStride + j * C + c);
  for (int j = 0; j < 4; j++) {
    t[0][j] = d[0][j] - d[2][j];
    t[1][j] = d[1][j] + d[2][j];
    t[2][j] = d[2][j] - d[1][j];
    t[3][j] = d[1][j] - d[3][j];
  }
  for (int i = 0; i < 4; i++) {
    store4(v + (i * 4 + 0) * stride, t[i][0] - t[i][2]);
    store4(v + (i * 4 + 1) * stride, t[i][1] + t[i][2]);
    store4(v + (i * 4 + 2) * stride, t[i][2] - t[i][1]);
    store4(v + (i * 4 + 3) * stride, t[i][1] - t[i][3]);
  }
}

// The same for F(3×3, 2×2) (the kernel gradient): Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1].
BP_INLINE void inputTransform32(const float* patch, size_t rowStride, size_t C, size_t c, float* v, size_t stride) {
  f4 d[4][4], t[4][4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) d[i][j] = load4(patch + i * rowStride + j * C + c);
  for (int j = 0; j < 4; j++) {
    t[0][j] = d[0][j] - d[2][j];
    t[1][j] = d[1][j] + d[2][j];
    t[2][j] = d[2][j] - d[1][j];
    t[3][j] = d[3][j] - d[1][j];
  }
  for (int i = 0; i < 4; i++) {
    store4(v + (i * 4 + 0) * stride, t[i][0] - t[i][2]);
    store4(v + (i * 4 + 1) * stride, t[i][1] + t[i][2]);
    store4(v + (i * 4 + 2) * stride, t[i][2] - t[i][1]);
    store4(v + (i * 4 + 3) * stride, t[i][3] - t[i][1]);
  }
}

// Z[ξ] = (G g Gᵀ)[ξ] for a 2×2 block g of the output gradient (F(3×3, 2×2): G = [1 0; ½ ½; ½ -½; 0 1]).
BP_INLINE void gradTransform(const float* block, size_t rowStride, size_t F, size_t f, float* z, size_t stride) {
  const f4 g00 = load4(block + f), g01 = load4(block + F + f);
  const f4 g10 = load4(block + rowStride + f), g11 = load4(block + rowStride + F + f);
  const f4 half = splat4(0.5f);
  const f4 h[4][2] = {{g00, g01},
                      {(g00 + g10) * half, (g01 + g11) * half},
                      {(g00 - g10) * half, (g01 - g11) * half},
                      {g10, g11}};
  for (int i = 0; i < 4; i++) {
    store4(z + (i * 4 + 0) * stride, h[i][0]);
    store4(z + (i * 4 + 1) * stride, (h[i][0] + h[i][1]) * half);
    store4(z + (i * 4 + 2) * stride, (h[i][0] - h[i][1]) * half);
    store4(z + (i * 4 + 3) * stride, h[i][1]);
  }
}

// m[i·ldm + 4j] = Σ_k v[i·ld + k]·u[k·ldu + 4j] for MR rows and NV·4 columns; only the first `rows` rows are stored
// (the others read rows of v past the valid ones: the group's buffer holds them).
template <int MR, int NV>
BP_INLINE void productTile(const float* v, size_t ld, size_t K, const float* u, size_t ldu, float* m, size_t ldm,
                           int rows) {
  f4 acc[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = f4{};
  const float* vi[MR];
  for (int i = 0; i < MR; i++) vi[i] = v + i * ld;
#pragma clang loop unroll(disable)
  for (size_t k = 0; k < K; k++) {
    f4 b[NV];
    for (int j = 0; j < NV; j++) b[j] = load4(u + k * ldu + 4 * j);
    for (int i = 0; i < MR; i++) {
      const f4 a = bcast4(vi[i] + k);
      for (int j = 0; j < NV; j++) acc[i][j] += a * b[j];
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= rows) break;
    for (int j = 0; j < NV; j++) store4(m + i * ldm + 4 * j, acc[i][j]);
  }
}

// acc[i·lda + 4j] += Σ_r v[r·ldv + i]·z[r·ldz + 4j] over `rows` rows r, for MR columns i of v and NV·4 of z.
template <int MR, int NV>
BP_INLINE void weightTile(const float* v, size_t ldv, const float* z, size_t ldz, size_t rows, float* acc,
                          size_t lda) {
  f4 s[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) s[i][j] = f4{};
#pragma clang loop unroll(disable)
  for (size_t r = 0; r < rows; r++, v += ldv, z += ldz) {
    f4 b[NV];
    for (int j = 0; j < NV; j++) b[j] = load4(z + 4 * j);
    for (int i = 0; i < MR; i++) {
      const f4 a = bcast4(v + i);
      for (int j = 0; j < NV; j++) s[i][j] += a * b[j];
    }
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) {
      float* a = acc + i * lda + 4 * j;
      store4(a, load4(a) + s[i][j]);
    }
}

// The 16 products M[ξ] (rows × outCh) = V[ξ] (rows × inCh) · U[ξ] (inCh × outCh).
template <int NV>
void productsNV(const WinoShape& s, const float* Vt, const float* U, float* M, size_t rows, size_t TB, size_t f0) {
  constexpr int MR = rowsFor<NV>();
  static_assert(kRowPad % MR == 0, "a row tile must not read past a group's padded rows");
  for (int xi = 0; xi < 16; xi++) {
    const float* v = Vt + xi * matrixStride(TB, s.inCh);
    float* m = M + xi * matrixStride(TB, s.outCh);
    const float* u = U + xi * s.inCh * s.outCh + f0;
    for (size_t r0 = 0; r0 < rows; r0 += MR) {
      const int n = static_cast<int>(min<size_t>(MR, rows - r0));
      productTile<MR, NV>(v + r0 * s.inCh, s.inCh, s.inCh, u, s.outCh, m + r0 * s.outCh + f0, s.outCh, n);
    }
  }
}

void products(const WinoShape& s, const float* Vt, const float* U, float* M, size_t rows, size_t TB) {
  for (size_t f0 = 0; f0 < s.outCh;) {
    const size_t nv = min<size_t>(kMaxNV, (s.outCh - f0) / 4);
    if (nv == 4) productsNV<4>(s, Vt, U, M, rows, TB, f0);
    else if (nv == 3) productsNV<3>(s, Vt, U, M, rows, TB, f0);
    else if (nv == 2) productsNV<2>(s, Vt, U, M, rows, TB, f0);
    else productsNV<1>(s, Vt, U, M, rows, TB, f0);
    f0 += nv * 4;
  }
}

// Per-thread scratch of the products: the transformed patches and the products of one group of blocks.
struct WinoScratch {
  float* V;
  float* M;
};

size_t scratchFloats(size_t inCh, size_t outCh) {
  const size_t TB = blockGroup(inCh, outCh);
  return 16 * matrixStride(TB, inCh) + 16 * matrixStride(TB, outCh);
}

// One sample: out = conv(in) (+ bias, relu/linear fused; y may be z). `in` is the padded input.
void convolveSample(const WinoShape& s, const float* in, const float* U, const float* bias, float* z, float* y, int act,
                    const WinoScratch& ws) {
  const size_t TB = blockGroup(s.inCh, s.outCh), T = s.blocks(), rowStride = s.Wp * s.inCh;
  const size_t vs = matrixStride(TB, s.inCh), ms = matrixStride(TB, s.outCh);
  float* Vt = ws.V;
  float* M = ws.M;
  for (size_t t0 = 0; t0 < T; t0 += TB) {
    const size_t rows = min(TB, T - t0);
    for (size_t r = 0; r < rows; r++) {
      const size_t ty = (t0 + r) / s.tW, tx = (t0 + r) % s.tW;
      const float* patch = in + (2 * ty) * rowStride + 2 * tx * s.inCh;
      for (size_t c = 0; c < s.inCh; c += 4) inputTransform(patch, rowStride, s.inCh, c, Vt + r * s.inCh + c, vs);
    }
    products(s, Vt, U, M, rows, TB);
    // Y = Aᵀ M A, Aᵀ = [1 1 1 0; 0 1 -1 -1]; then bias and activation, for the outputs inside OH×OW.
    for (size_t r = 0; r < rows; r++) {
      const size_t ty = (t0 + r) / s.tW, tx = (t0 + r) % s.tW;
      for (size_t f = 0; f < s.outCh; f += 4) {
        f4 m[16];
        for (int xi = 0; xi < 16; xi++) m[xi] = load4(M + xi * ms + r * s.outCh + f);
        f4 a0[4], a1[4];
        for (int j = 0; j < 4; j++) {
          a0[j] = m[j] + m[4 + j] + m[8 + j];
          a1[j] = m[4 + j] - m[8 + j] - m[12 + j];
        }
        const f4 b = bias ? load4(bias + f) : f4{};
        const f4 out[2][2] = {{a0[0] + a0[1] + a0[2] + b, a0[1] - a0[2] - a0[3] + b},
                              {a1[0] + a1[1] + a1[2] + b, a1[1] - a1[2] - a1[3] + b}};
        for (int dy = 0; dy < 2; dy++) {
          const size_t oy = 2 * ty + dy;
          if (oy >= s.OH) break;
          for (int dx = 0; dx < 2; dx++) {
            const size_t ox = 2 * tx + dx;
            if (ox >= s.OW) break;
            const size_t o = (oy * s.OW + ox) * s.outCh + f;
            const f4 v = out[dy][dx];
            if (y != z || act != RELU) store4(z + o, v);
            if (act == RELU) store4(y + o, relu4(v));
            else if (act == LINEAR && y != z) store4(y + o, v);
          }
        }
      }
    }
  }
}

// Rows of `src` (cols positions of C floats each) copied into a zeroed buffer of Hp×Wp×C at (top, left), clipped.
void copyPadded(const float* src, size_t rows, size_t cols, size_t C, float* buf, size_t Hp, size_t Wp, size_t top,
                size_t left) {
  if (left >= Wp) return;
  const size_t n = min(cols, Wp - left) * C;
  for (size_t r = 0; r < rows && top + r < Hp; r++) copy(buf + ((top + r) * Wp + left) * C, src + r * cols * C, n);
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
        const double u[4] = {h[i][0], 0.5 * (h[i][0] + h[i][1] + h[i][2]), 0.5 * (h[i][0] - h[i][1] + h[i][2]),
                             h[i][2]};
        for (int j = 0; j < 4; j++) {
          const size_t xi = i * 4 + j;
          if (flip) U[(xi * F + f) * C + c] = static_cast<float>(u[j]);
          else U[(xi * C + c) * F + f] = static_cast<float>(u[j]);
        }
      }
    }
  }
}

template <int NV>
void weightProductsNV(const float* Vt, const float* Z, float* acc, size_t C, size_t F, size_t rows, size_t TB,
                      size_t f0) {
  constexpr int MR = rowsFor<NV>();
  for (int xi = 0; xi < 16; xi++) {
    const float* v = Vt + xi * matrixStride(TB, C);
    const float* z = Z + xi * matrixStride(TB, F) + f0;
    float* a = acc + xi * C * F + f0;
    size_t c0 = 0;
    for (; c0 + MR <= C; c0 += MR) weightTile<MR, NV>(v + c0, C, z, F, rows, a + c0 * F, F);
    // The last channels (C is a multiple of 4).
    for (; c0 + 2 <= C; c0 += 2) weightTile<2, NV>(v + c0, C, z, F, rows, a + c0 * F, F);
    for (; c0 < C; c0++) weightTile<1, NV>(v + c0, C, z, F, rows, a + c0 * F, F);
  }
}

// The kernel gradient of one sample, accumulated in the transformed domain: acc[ξ] (C × F) += Σ_blocks V[ξ]ᵀ Z[ξ].
void weightSample(const Plan& p, const float* padX, const float* padDz, float* acc, const WinoScratch& ws) {
  const size_t C = p.C, F = p.F, T = p.tH * p.tW, TB = blockGroup(C, F), rowStride = p.Wp * C;
  const size_t vs = matrixStride(TB, C), zs = matrixStride(TB, F);
  float* Vt = ws.V;
  float* Z = ws.M;
  const size_t dzRow = 2 * p.tW * F;
  for (size_t t0 = 0; t0 < T; t0 += TB) {
    const size_t rows = min(TB, T - t0);
    for (size_t r = 0; r < rows; r++) {
      const size_t ty = (t0 + r) / p.tW, tx = (t0 + r) % p.tW;
      const float* patch = padX + (2 * ty) * rowStride + 2 * tx * C;
      for (size_t c = 0; c < C; c += 4) inputTransform32(patch, rowStride, C, c, Vt + r * C + c, vs);
      const float* block = padDz + (2 * ty) * dzRow + 2 * tx * F;
      for (size_t f = 0; f < F; f += 4) gradTransform(block, dzRow, F, f, Z + r * F + f, zs);
    }
    for (size_t f0 = 0; f0 < F;) {
      const size_t nv = min<size_t>(kMaxNV, (F - f0) / 4);
      if (nv == 4) weightProductsNV<4>(Vt, Z, acc, C, F, rows, TB, f0);
      else if (nv == 3) weightProductsNV<3>(Vt, Z, acc, C, F, rows, TB, f0);
      else if (nv == 2) weightProductsNV<2>(Vt, Z, acc, C, F, rows, TB, f0);
      else weightProductsNV<1>(Vt, Z, acc, C, F, rows, TB, f0);
      f0 += nv * 4;
    }
  }
}

// dz = relu'(z)·dy (RELU) or dy (LINEAR) for one sample in one pass: written to dz, to the padded buffers that are
// not null (dzp: rows of dzRow floats from (0, 0); dq: the flipped convolution's input, Wq positions a row, from
// (2 − pT, 2 − pL), clipped to Hq rows), and its per-filter sums added to db (summed in float over the sample).
void gradientPass(const ConvGeom& g, size_t F, const float* z, const float* dy, float* dz, float* dzp, size_t dzRow,
                  float* dq, size_t Hq, size_t Wq, float* sums, double* db, int act) {
  if (db) fill(sums, F, 0.0f);
  for (size_t oy = 0; oy < g.outH; oy++) {
    const size_t qy = oy + 2 - g.pT;
    float* dqRow = dq && qy < Hq ? dq + qy * Wq * F : nullptr;
    for (size_t ox = 0; ox < g.outW; ox++) {
      const size_t q = (oy * g.outW + ox) * F, qx = ox + 2 - g.pL;
      float* dqp = dqRow && qx < Wq ? dqRow + qx * F : nullptr;
      float* dzpp = dzp ? dzp + oy * dzRow + ox * F : nullptr;
      for (size_t f = 0; f < F; f += 4) {
        f4 d = load4(dy + q + f);
        if (act == RELU) d = (f4)((i4)d & (load4(z + q + f) > f4{}));
        store4(dz + q + f, d);
        if (dqp) store4(dqp + f, d);
        if (dzpp) store4(dzpp + f, d);
        if (db) store4(sums + f, load4(sums + f) + d);
      }
    }
  }
  if (db)
    for (size_t f = 0; f < F; f++) db[f] += sums[f];
}

// Per-thread buffers of the backward pass (null when not needed).
struct BackwardScratch {
  float* padX;
  float* padDz;
  float* padDq;
  float* sums;
  WinoScratch wino;   // weight products (C in, F out)
  WinoScratch winoX;  // dX products (F in, C out)
};

void backwardSamples(const Plan& p, const float* x, const float* z, const float* y, const float* dy, float* dz,
                     float* acc, double* db, float* dx, size_t n0, size_t n1, int act, double alpha,
                     const BackwardScratch& bs) {
  const ConvGeom& g = *p.g;
  const size_t C = p.C, F = p.F, pixels = g.outH * g.outW, in = g.inH * g.inW * C, out = pixels * F;
  const bool fused = act == RELU || act == LINEAR;
  const WinoShape sx{F, C, p.Wq, p.tHx, p.tWx, g.inH, g.inW};
  for (size_t n = n0; n < n1; n++) {
    const size_t o = n * out;
    const float* dzs = dz + o;
    if (fused) {
      gradientPass(g, F, z + o, dy + o, dz + o, bs.padDz, 2 * p.tW * F, bs.padDq, p.Hq, p.Wq, bs.sums, db, act);
    } else {
      activationBackward(act, alpha, z + o, y + o, dy + o, dz + o, pixels, F);
      if (db) {
        for (size_t q = 0; q < pixels; q++)
          for (size_t f = 0; f < F; f++) db[f] += dzs[q * F + f];
      }
      if (bs.padDz) copyPadded(dzs, g.outH, g.outW, F, bs.padDz, 2 * p.tH, 2 * p.tW, 0, 0);
      if (bs.padDq) copyPadded(dzs, g.outH, g.outW, F, bs.padDq, p.Hq, p.Wq, 2 - g.pT, 2 - g.pL);
    }
    if (bs.padX) copyPadded(x + n * in, g.inH, g.inW, C, bs.padX, p.Hp, p.Wp, g.pT, g.pL);
    weightSample(p, bs.padX ? bs.padX : x + n * in, bs.padDz ? bs.padDz : dzs, acc, bs.wino);
    if (bs.padDq) convolveSample(sx, bs.padDq, p.Ut, nullptr, dx + n * in, dx + n * in, LINEAR, bs.winoX);
  }
}

}  // namespace

bool winogradSupported(const ConvGeom& g) {
  return g.kH == 3 && g.kW == 3 && g.sH == 1 && g.sW == 1 && g.dH == 1 && g.dW == 1 && g.groups == 1 &&
         g.inC >= 16 && g.inC % 4 == 0 && g.outC % 4 == 0 && g.pT <= 2 && g.pL <= 2 && g.outH >= 1 && g.outW >= 1 &&
         // A sample's buffers (positions × channels) stay far from 32-bit offsets.
         static_cast<uint64_t>(g.inH + 4) * (g.inW + 4) * max(g.inC, g.outC) < (uint64_t(1) << 30) &&
         static_cast<uint64_t>(g.outH + 4) * (g.outW + 4) * max(g.inC, g.outC) < (uint64_t(1) << 30);
}

int winogradForward(const Exec& ex, const float* x, const float* w, const float* b, float* z, float* y,
                    const ConvGeom& g, int act, double alpha) {
  Plan p = makePlan(g);
  const size_t threads = static_cast<size_t>(ex.threads());
  const size_t padLen = p.xInPlace ? 0 : p.Hp * p.Wp * p.C, wsLen = scratchFloats(p.C, p.F);
  const size_t per = padLen + wsLen;
  Scratch<float> U(16 * p.C * p.F), buf(threads * per);
  if (!U || !buf) return kOutOfMemory;
  kernelTransform(w, p.C, p.F, false, U.p);
  p.U = U.p;
  // Only the padding positions need zeros, and the sample copies never write there.
  if (padLen)
    for (size_t t = 0; t < threads; t++) fill(buf.p + t * per, padLen, 0.0f);
  const size_t chunks = chunkCount(g.batch), in = g.inH * g.inW * p.C, out = g.outH * g.outW * p.F;
  const WinoShape s{p.C, p.F, p.Wp, p.tH, p.tW, g.outH, g.outW};
  const size_t TB = blockGroup(p.C, p.F);
  parallel(ex, static_cast<int>(chunks), [&](int c, int thread) {
    float* base = buf.p + static_cast<size_t>(thread) * per;
    float* pad = padLen ? base : nullptr;
    const WinoScratch ws{base + padLen, base + padLen + 16 * matrixStride(TB, p.C)};
    for (size_t n = g.batch * c / chunks; n < g.batch * (c + 1) / chunks; n++) {
      if (pad) copyPadded(x + n * in, g.inH, g.inW, p.C, pad, p.Hp, p.Wp, g.pT, g.pL);
      convolveSample(s, pad ? pad : x + n * in, p.U, b, z + n * out, y + n * out, act, ws);
      if (act != RELU && act != LINEAR) forwardRange(act, alpha, z + n * out, y + n * out, out);
    }
  });
  return kOk;
}

int winogradBackward(const Exec& ex, const float* x, const float* w, const float* z, const float* y, const float* dy,
                     float* dz, float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha) {
  Plan p = makePlan(g);
  const size_t C = p.C, F = p.F, threads = static_cast<size_t>(ex.threads());
  const bool dzInPlace = 2 * p.tH == g.outH && 2 * p.tW == g.outW;
  const bool fused = act == RELU || act == LINEAR;
  const size_t padLen = p.xInPlace ? 0 : p.Hp * p.Wp * C;
  const size_t dzLen = dzInPlace ? 0 : 2 * p.tH * 2 * p.tW * F;
  const size_t dqLen = dx ? p.Hq * p.Wq * F : 0;
  const size_t sumLen = fused && db ? F : 0;
  const size_t wsLen = scratchFloats(C, F), wsxLen = dx ? scratchFloats(F, C) : 0;
  const size_t per = padLen + dzLen + dqLen + sumLen + wsLen + wsxLen;
  const size_t chunks = chunkCount(g.batch), cf = 16 * C * F;
  Scratch<float> Ut(dx ? 16 * C * F : 0), buf(threads * per), accParts(chunks * cf);
  Scratch<double> dbParts(chunks * F);
  if (!Ut || !buf || !accParts || !dbParts) return kOutOfMemory;
  if (dx) {
    kernelTransform(w, C, F, true, Ut.p);
    p.Ut = Ut.p;
  }
  // The padded buffers' borders must be zero; the per-sample copies write only inside them.
  for (size_t t = 0; t < threads; t++) fill(buf.p + t * per, padLen + dzLen + dqLen, 0.0f);
  fill(accParts.p, chunks * cf, 0.0f);
  for (size_t i = 0; i < chunks * F; i++) dbParts.p[i] = 0;
  const size_t TB = blockGroup(C, F), TBx = blockGroup(F, C);
  parallel(ex, static_cast<int>(chunks), [&](int c, int thread) {
    float* base = buf.p + static_cast<size_t>(thread) * per;
    BackwardScratch bs;
    bs.padX = padLen ? base : nullptr;
    bs.padDz = dzLen ? base + padLen : nullptr;
    bs.padDq = dqLen ? base + padLen + dzLen : nullptr;
    bs.sums = sumLen ? base + padLen + dzLen + dqLen : nullptr;
    float* w0 = base + padLen + dzLen + dqLen + sumLen;
    bs.wino = WinoScratch{w0, w0 + 16 * matrixStride(TB, C)};
    float* w1 = w0 + wsLen;
    bs.winoX = WinoScratch{w1, w1 + 16 * matrixStride(TBx, F)};
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    backwardSamples(p, x, z, y, dy, dz, accParts.p + c * cf, db ? dbParts.p + c * F : nullptr, dx, n0, n1, act, alpha,
                    bs);
  });
  float* acc = accParts.p;
  for (size_t c = 1; c < chunks; c++) {
    const float* part = accParts.p + c * cf;
    for (size_t i = 0; i < cf; i += 4) store4(acc + i, load4(acc + i) + load4(part + i));
  }
  // dW = Aᵀ M A with Aᵀ = [1 1 1 0; 0 1 -1 0; 0 1 1 1] (F(3×3, 2×2)), per (c, f).
  for (size_t c = 0; c < C; c++) {
    for (size_t f = 0; f < F; f++) {
      double m[4][4], a[3][4];
      for (int xi = 0; xi < 16; xi++) m[xi / 4][xi % 4] = acc[(xi * C + c) * F + f];
      for (int j = 0; j < 4; j++) {
        a[0][j] = m[0][j] + m[1][j] + m[2][j];
        a[1][j] = m[1][j] - m[2][j];
        a[2][j] = m[1][j] + m[2][j] + m[3][j];
      }
      for (int ky = 0; ky < 3; ky++) {
        const double r[3] = {a[ky][0] + a[ky][1] + a[ky][2], a[ky][1] - a[ky][2], a[ky][1] + a[ky][2] + a[ky][3]};
        for (int kx = 0; kx < 3; kx++) dw[((ky * 3 + kx) * C + c) * F + f] = static_cast<float>(r[kx]);
      }
    }
  }
  if (db) {
    for (size_t f = 0; f < F; f++) {
      double s = 0;
      for (size_t c = 0; c < chunks; c++) s += dbParts.p[c * F + f];
      db[f] = static_cast<float>(s);
    }
  }
  return kOk;
}

}  // namespace bp
