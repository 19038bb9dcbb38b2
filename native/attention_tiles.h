// The building blocks of the fused attention kernels (attention.cc): small matrix products over packed tiles,
// held in vector registers, and the vector exp of the softmax. Written with GCC vector types of W lanes and
// always inlined into entry points compiled for one instruction set each (AVX-512, AVX2+FMA or the baseline),
// so one source gives every path. Packed tiles have rows padded with zeros to whole vectors, so the products
// never need a tail; only what the caller unpacks is kept.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#define BP_ATTN_TILE inline __attribute__((always_inline))

// Vectors are passed by value only between always-inlined functions, never across a call: no ABI is involved.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace bp {
namespace attn {

template <typename T, int W>
struct Vec;
template <>
struct Vec<float, 4> {
  typedef float V __attribute__((vector_size(16), aligned(4)));
  typedef int32_t I __attribute__((vector_size(16), aligned(4)));
};
template <>
struct Vec<float, 8> {
  typedef float V __attribute__((vector_size(32), aligned(4)));
  typedef int32_t I __attribute__((vector_size(32), aligned(4)));
};
template <>
struct Vec<float, 16> {
  typedef float V __attribute__((vector_size(64), aligned(4)));
  typedef int32_t I __attribute__((vector_size(64), aligned(4)));
};
template <>
struct Vec<double, 2> {
  typedef double V __attribute__((vector_size(16), aligned(8)));
  typedef int64_t I __attribute__((vector_size(16), aligned(8)));
};

template <typename T, int W>
BP_ATTN_TILE typename Vec<T, W>::V load(const T* p) {
  return *reinterpret_cast<const typename Vec<T, W>::V*>(p);
}
template <typename T, int W>
BP_ATTN_TILE void store(T* p, typename Vec<T, W>::V v) {
  *reinterpret_cast<typename Vec<T, W>::V*>(p) = v;
}

// Rows of tiles are multiples of this many values (the widest vector of any path), so every path packs alike.
constexpr size_t kPad = 16;
inline size_t padded(size_t n) { return (n + kPad - 1) / kPad * kPad; }
// Keys per tile (columns of a score tile) and queries per tile (its rows): a score tile is 32×64 values.
constexpr size_t kBK = 64, kBQ = 32;

// The columns panelProduct computes for `live` keys: whole steps of its 2·W columns (a multiple of 4), at most kBK.
template <int W>
inline size_t panelCols(size_t live) {
  const size_t step = 2 * W;
  const size_t n = (live + step - 1) / step * step;
  return n < kBK ? n : kBK;
}

// C[r][0..kBK) = Σ_c A[r·lda + c]·B[c·ldb + j] for r < rows (a multiple of 4), K terms: a tile of scores
// (A = scaled queries, B = keys transposed) or of dOut·vᵀ (A = dOut, B = values transposed).
// Only the first `cols` columns are computed (a multiple of 2·W, panelCols): the keys any row of the tile may see.
template <typename T, int W>
BP_ATTN_TILE void panelProduct(const T* A, size_t lda, size_t K, const T* B, size_t ldb, T* C, size_t rows,
                               size_t cols) {
  using V = typename Vec<T, W>::V;
  constexpr int NV = 2, MR = 4;
  for (size_t r0 = 0; r0 < rows; r0 += MR) {
    for (size_t j0 = 0; j0 < cols; j0 += NV * W) {
      V acc[MR][NV];
      for (int i = 0; i < MR; i++)
        for (int n = 0; n < NV; n++) acc[i][n] = V{};
      for (size_t c = 0; c < K; c++) {
        V b[NV];
        for (int n = 0; n < NV; n++) b[n] = load<T, W>(B + c * ldb + j0 + n * W);
        for (int i = 0; i < MR; i++) {
          const T a = A[(r0 + i) * lda + c];
          for (int n = 0; n < NV; n++) acc[i][n] += b[n] * a;
        }
      }
      for (int i = 0; i < MR; i++)
        for (int n = 0; n < NV; n++) store<T, W>(C + (r0 + i) * kBK + j0 + n * W, acc[i][n]);
    }
  }
}

// C[r·ldc + c] += Σ_t A[r·ar + t·at]·Bt[t·ldb + c] for r < rows (a multiple of 4), t < n, c < cols (a multiple
// of W): O += P·V, dQ += dS·K (A a score tile, ar = kBK, at = 1) and dV += Pᵀ·dOut, dK += dSᵀ·Q (ar = 1, at = kBK).
template <typename T, int W>
BP_ATTN_TILE void accumulateRows(const T* A, size_t ar, size_t at, size_t n, const T* Bt, size_t ldb, T* C, size_t ldc,
                                 size_t rows, size_t cols) {
  using V = typename Vec<T, W>::V;
  constexpr int MR = 4;
  for (size_t r0 = 0; r0 < rows; r0 += MR) {
    size_t c0 = 0;
    for (; c0 + 2 * W <= cols; c0 += 2 * W) {
      V acc[MR][2];
      for (int i = 0; i < MR; i++)
        for (int m = 0; m < 2; m++) acc[i][m] = load<T, W>(C + (r0 + i) * ldc + c0 + m * W);
      for (size_t t = 0; t < n; t++) {
        const V b0 = load<T, W>(Bt + t * ldb + c0), b1 = load<T, W>(Bt + t * ldb + c0 + W);
        for (int i = 0; i < MR; i++) {
          const T a = A[(r0 + i) * ar + t * at];
          acc[i][0] += b0 * a;
          acc[i][1] += b1 * a;
        }
      }
      for (int i = 0; i < MR; i++)
        for (int m = 0; m < 2; m++) store<T, W>(C + (r0 + i) * ldc + c0 + m * W, acc[i][m]);
    }
    for (; c0 < cols; c0 += W) {
      V acc[MR];
      for (int i = 0; i < MR; i++) acc[i] = load<T, W>(C + (r0 + i) * ldc + c0);
      for (size_t t = 0; t < n; t++) {
        const V b0 = load<T, W>(Bt + t * ldb + c0);
        for (int i = 0; i < MR; i++) acc[i] += b0 * A[(r0 + i) * ar + t * at];
      }
      for (int i = 0; i < MR; i++) store<T, W>(C + (r0 + i) * ldc + c0, acc[i]);
    }
  }
}

// e^x lane by lane. −∞ gives exactly 0 (masked keys), NaN stays NaN. float: Cephes' expf on vectors (Cody-Waite
// reduction, degree-5 polynomial; within ~2 ulp, as native/fastmath.h); below −87.3 (where 2^n would leave the
// normal range) it gives 0. double: libm, exact agreement mattering more than speed there.
template <typename T, int W>
struct Exp;

template <>
struct Exp<double, 2> {
  using V = Vec<double, 2>::V;
  static BP_ATTN_TILE V of(V x) { return V{std::exp(x[0]), std::exp(x[1])}; }
};

template <int W>
struct Exp<float, W> {
  using V = typename Vec<float, W>::V;
  using I = typename Vec<float, W>::I;
  static BP_ATTN_TILE V of(V x0) {
    const V lo = V{} - 87.3f, hi = V{} + 88.0f;
    V v = x0 < lo ? lo : x0;
    v = v > hi ? hi : v;
    const V fx = (v * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    V r = v - fx * 0.693359375f;
    r = r - fx * -2.12194440e-4f;
    V p = V{} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const V y = p * (r * r) + r + 1.0f;
    // fx is an integer in [-126, 127] here (NaN lanes use 0: y is NaN there anyway).
    const I n2 = (__builtin_convertvector(fx == fx ? fx : V{}, I) + 127) << 23;
    V scale;
    std::memcpy(&scale, &n2, sizeof scale);
    const V e = y * scale;
    return x0 < lo ? V{} : e;
  }
};

// The dropout stream of ops.ts / src/backend/js/attention.ts: murmur3's finalizer over uint32.
inline uint32_t mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}
inline uint32_t dropoutRowKey(uint32_t seed, uint32_t bh, uint32_t i) {
  return mix32(mix32(mix32(seed ^ 0x2545f491u) ^ bh) + i);
}
inline uint32_t dropoutBits(uint32_t rowKey, uint32_t j) { return mix32(rowKey ^ (j * 0x9e3779b1u)); }

}  // namespace attn
}  // namespace bp
