#include "gemm.h"

namespace bp {

namespace {

// The register tile: MR rows × NR columns of C in MR·NR/4 vector accumulators. V8 gives WebAssembly 15 vector
// registers on x64; 4×12 and 3×16 spill and run at half speed. Of the tiles that fit, 2×16 (8 accumulators, four B
// vectors, a broadcast A value and a product) is fastest: one core, CPU time, 2026-12-07 on Zen 3
// (bench/wasm-gemm-ab.js), 1024³ at 31.6 GFLOP/s against 30.3 for 4×8, 27.8 for 3×8, 27.4 for 2×20 and 22.1 for
// 3×12; unrolling k by 2 or 4 made every tile slower.
constexpr int MR = 2, NV = 4, NR = 4 * NV;
// k per block (an A sliver of kKc·MR and a B sliver of kKc·NR floats stay in L1), rows of C per task block.
constexpr size_t kKc = 256;
constexpr size_t kMc = 72;

BP_INLINE size_t roundUp(size_t v, size_t m) { return (v + m - 1) / m * m; }

// acc = Σ_k a[k·MR + i]·b[k·NR + j] over kc; then C = alpha·acc (+ beta·C on the first block, or + C after it).
// Only the first `rows` × `cols` are stored.
void microKernel(const float* a, const float* b, size_t kc, float* c, size_t ldc, int rows, int cols, float alpha,
                 float beta, bool first) {
  f4 acc[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = f4{};
#pragma clang loop unroll(disable)
  for (size_t p = 0; p < kc; p++) {
    f4 bv[NV];
    for (int j = 0; j < NV; j++) bv[j] = load4(b + p * NR + 4 * j);
    for (int i = 0; i < MR; i++) {
      const f4 av = bcast4(a + p * MR + i);
      for (int j = 0; j < NV; j++) acc[i][j] += av * bv[j];
    }
  }
  const f4 va = splat4(alpha), vb = splat4(beta);
  if (rows == MR && cols == NR) {
    for (int i = 0; i < MR; i++) {
      float* ci = c + i * ldc;
      for (int j = 0; j < NV; j++) {
        f4 v = acc[i][j] * va;
        if (!first) v += load4(ci + 4 * j);
        else if (beta != 0.0f) v += vb * load4(ci + 4 * j);
        store4(ci + 4 * j, v);
      }
    }
    return;
  }
  for (int i = 0; i < rows; i++) {
    float* ci = c + i * ldc;
    for (int j = 0; j < cols; j++) {
      float v = acc[i][j / 4][j % 4] * alpha;
      if (!first) v += ci[j];
      else if (beta != 0.0f) v += beta * ci[j];
      ci[j] = v;
    }
  }
}

// B (k×n) into column slivers of NR: sliver s holds, for every k, columns [s·NR, s·NR + NR) (zero past n).
void packB(Mat b, size_t k, size_t n, size_t s, float* dst) {
  const size_t j0 = s * NR, cols = min<size_t>(NR, n - j0);
  if (b.cs == 1 && cols == NR) {
    for (size_t p = 0; p < k; p++) {
      const float* src = b.p + p * b.rs + j0;
      for (int j = 0; j < NV; j++) store4(dst + p * NR + 4 * j, load4(src + 4 * j));
    }
    return;
  }
  for (size_t j = 0; j < NR; j++) {
    float* d = dst + j;
    if (j >= cols) {
      for (size_t p = 0; p < k; p++) d[p * NR] = 0.0f;
      continue;
    }
    const float* src = b.p + (j0 + j) * b.cs;
    for (size_t p = 0; p < k; p++) d[p * NR] = src[p * b.rs];
  }
}

// Rows [i0, i0 + rows) × k-range [p0, p0 + kc) of A into row slivers of MR (zero past the rows).
void packA(Mat a, size_t i0, size_t rows, size_t p0, size_t kc, float* dst) {
  for (size_t r0 = 0; r0 < rows; r0 += MR) {
    float* d = dst + r0 * kc;
    const int n = static_cast<int>(min<size_t>(MR, rows - r0));
    if (a.rs == 1 && n == MR) {
      for (size_t p = 0; p < kc; p++) {
        const float* src = a.p + (i0 + r0) + (p0 + p) * a.cs;
        for (int i = 0; i < MR; i++) d[p * MR + i] = src[i];
      }
      continue;
    }
    for (int i = 0; i < MR; i++) {
      if (i >= n) {
        for (size_t p = 0; p < kc; p++) d[p * MR + i] = 0.0f;
        continue;
      }
      const float* src = a.p + (i0 + r0 + i) * a.rs + p0 * a.cs;
      for (size_t p = 0; p < kc; p++) d[p * MR + i] = src[p * a.cs];
    }
  }
}

// Small products: not worth packing. One dot product per element, k in order.
void gemmSmall(size_t m, size_t n, size_t k, float alpha, Mat a, Mat b, float beta, float* c, size_t ldc) {
  for (size_t i = 0; i < m; i++) {
    for (size_t j = 0; j < n; j++) {
      float s = 0.0f;
      const float* ap = a.p + i * a.rs;
      const float* bp = b.p + j * b.cs;
      for (size_t p = 0; p < k; p++) s += ap[p * a.cs] * bp[p * b.rs];
      float v = alpha * s;
      if (beta != 0.0f) v += beta * c[i * ldc + j];
      c[i * ldc + j] = v;
    }
  }
}

void scaleC(size_t m, size_t n, float beta, float* c, size_t ldc) {
  for (size_t i = 0; i < m; i++) {
    float* ci = c + i * ldc;
    if (beta == 0.0f) fill(ci, n, 0.0f);
    else
      for (size_t j = 0; j < n; j++) ci[j] *= beta;
  }
}

}  // namespace

bool gemm(const Exec& ex, size_t m, size_t n, size_t k, float alpha, Mat a, Mat b, float beta, float* c, size_t ldc) {
  if (m == 0 || n == 0) return true;
  if (k == 0 || alpha == 0.0f) {
    scaleC(m, n, beta, c, ldc);
    return true;
  }
  if (m * n * k <= 4096 || (m < MR && n < NR)) {
    gemmSmall(m, n, k, alpha, a, b, beta, c, ldc);
    return true;
  }
  const size_t slivers = (n + NR - 1) / NR, kp = roundUp(k, 1);
  Scratch<float> packedB(slivers * NR * kp);
  const int threads = ex.threads();
  const size_t mc = min(kMc, roundUp(m, MR));
  Scratch<float> packedA(static_cast<size_t>(threads) * mc * kKc);
  if (!packedB || !packedA) return false;
  // Pack B in groups of slivers, then multiply: tasks are blocks of mc rows × a group of column slivers.
  const size_t perPack = max<size_t>(1, 16384 / (kp * NR) + 1);
  const int packTasks = static_cast<int>((slivers + perPack - 1) / perPack);
  parallel(ex, packTasks, [&](int t, int) {
    const size_t s1 = min(slivers, (t + 1) * perPack);
    for (size_t s = t * perPack; s < s1; s++) packB(b, k, n, s, packedB.p + s * NR * kp);
  });
  const size_t rowBlocks = (m + mc - 1) / mc;
  // Column groups: enough tasks for the threads when there are few row blocks, each group at least 4 slivers.
  size_t colGroups = 1;
  while (rowBlocks * colGroups < static_cast<size_t>(4 * threads) && slivers / (colGroups * 2) >= 4) colGroups *= 2;
  const size_t perGroup = (slivers + colGroups - 1) / colGroups;
  parallel(ex, static_cast<int>(rowBlocks * colGroups), [&](int t, int thread) {
    const size_t ib = static_cast<size_t>(t) / colGroups, jg = static_cast<size_t>(t) % colGroups;
    const size_t i0 = ib * mc, rows = min(mc, m - i0);
    const size_t s0 = jg * perGroup, s1 = min(slivers, s0 + perGroup);
    float* pa = packedA.p + static_cast<size_t>(thread) * mc * kKc;
    for (size_t p0 = 0; p0 < k; p0 += kKc) {
      const size_t kc = min(kKc, k - p0);
      packA(a, i0, rows, p0, kc, pa);
      for (size_t s = s0; s < s1; s++) {
        const float* pb = packedB.p + s * NR * kp + p0 * NR;
        const int cols = static_cast<int>(min<size_t>(NR, n - s * NR));
        for (size_t r0 = 0; r0 < rows; r0 += MR) {
          const int rr = static_cast<int>(min<size_t>(MR, rows - r0));
          microKernel(pa + r0 * kc, pb, kc, c + (i0 + r0) * ldc + s * NR, ldc, rr, cols, alpha, beta, p0 == 0);
        }
      }
    }
  });
  return true;
}

}  // namespace bp
