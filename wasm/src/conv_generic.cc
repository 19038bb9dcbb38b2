// Convolutions the register-tile kernels do not take (groups, 1×1 at stride 1, filter counts not a multiple of
// 4): native/conv.h's im2col path over the module's gemm. Output rows (n, oy, ox) go in panels whose im2col copy
// stays within L2; one gemm per group multiplies a panel with the group's kernel columns straight into z, and
// bias + activation run on the panel. Backward rebuilds the panels for dW += colᵀ·dz (panels in order) and
// scatters dcol = dz·Wᵀ back into dx (col2im). A 1×1 convolution at stride 1 is one gemm.
#include "activations.h"
#include "conv.h"
#include "gemm.h"

namespace bp {

namespace {

constexpr size_t kPanelBytes = 256 * 1024;

size_t panelRows(const ConvGeom& g) {
  const size_t perRow = max<size_t>(1, g.kg() * sizeof(float));
  return max<size_t>(1, min(g.rows(), kPanelBytes / perRow));
}

// col[r·kg + (ky·kW + kx)·cg + c] = x[n, iy, ix, c0 + c] for the panel's rows (0 outside the input), or with
// Scatter the reverse: x[n, iy, ix, c0 + c] += col[...] for positions inside the input (col2im).
template <bool Scatter>
void im2col(float* x, float* col, size_t r0, size_t count, size_t c0, const ConvGeom& g) {
  const size_t cg = g.cg(), rowLen = g.kW * cg;
  const int64_t inH = static_cast<int64_t>(g.inH), inW = static_cast<int64_t>(g.inW);
  size_t ox = r0 % g.outW, t = r0 / g.outW, oy = t % g.outH, n = t / g.outH;
  float* c = col;
  for (size_t r = 0; r < count; r++) {
    const int64_t iy0 = g.rowStart(oy), ix0 = g.colStart(ox);
    const bool rowInside = g.dW == 1 && cg == g.inC && ix0 >= 0 && ix0 + static_cast<int64_t>(g.kW) <= inW;
    for (size_t ky = 0; ky < g.kH; ky++, c += rowLen) {
      const int64_t iy = iy0 + static_cast<int64_t>(ky * g.dH);
      if (iy < 0 || iy >= inH) {
        if (!Scatter) fill(c, rowLen, 0.0f);
        continue;
      }
      float* src = x + (n * g.inH + static_cast<size_t>(iy)) * g.inW * g.inC + c0;
      if (rowInside) {
        float* s = src + static_cast<size_t>(ix0) * g.inC;
        if (Scatter)
          for (size_t i = 0; i < rowLen; i++) s[i] += c[i];
        else
          copy(c, s, rowLen);
        continue;
      }
      for (size_t kx = 0; kx < g.kW; kx++) {
        const int64_t ix = ix0 + static_cast<int64_t>(kx * g.dW);
        float* ck = c + kx * cg;
        if (ix < 0 || ix >= inW) {
          if (!Scatter) fill(ck, cg, 0.0f);
          continue;
        }
        float* s = src + static_cast<size_t>(ix) * g.inC;
        if (Scatter)
          for (size_t i = 0; i < cg; i++) s[i] += ck[i];
        else
          copy(ck, s, cg);
      }
    }
    if (++ox == g.outW) {
      ox = 0;
      if (++oy == g.outH) {
        oy = 0;
        n++;
      }
    }
  }
}

void epilogue(const float* b, float* z, float* y, size_t r0, size_t count, size_t outC, int act, double alpha) {
  for (size_t r = r0; r < r0 + count; r++) {
    float* zr = z + r * outC;
    if (b)
      for (size_t j = 0; j < outC; j++) zr[j] += b[j];
    forwardRange(act, alpha, zr, y + r * outC, outC);
  }
}

}  // namespace

int genericForward(const Exec& ex, const float* x, const float* w, const float* b, float* z, float* y,
                   const ConvGeom& g, int act, double alpha) {
  const size_t rows = g.rows(), outC = g.outC, total = rows * outC;
  if (total == 0) return kOk;
  const size_t kg = g.kg(), fg = g.fg(), cg = g.cg();
  if (kg == 0) {
    fill(z, total, 0.0f);
    epilogue(b, z, y, 0, rows, outC, act, alpha);
    return kOk;
  }
  if (g.pointwise()) {
    if (!gemm(ex, rows, outC, g.inC, 1.0f, Mat{x, g.inC, 1}, Mat{w, outC, 1}, 0.0f, z, outC)) return kOutOfMemory;
    epilogue(b, z, y, 0, rows, outC, act, alpha);
    return kOk;
  }
  const size_t pr = panelRows(g);
  Scratch<float> col(pr * kg);
  if (!col) return kOutOfMemory;
  for (size_t r0 = 0; r0 < rows; r0 += pr) {
    const size_t count = min(pr, rows - r0);
    for (size_t grp = 0; grp < g.groups; grp++) {
      im2col<false>(const_cast<float*>(x), col.p, r0, count, grp * cg, g);
      if (!gemm(ex, count, fg, kg, 1.0f, Mat{col.p, kg, 1}, Mat{w + grp * fg, outC, 1}, 0.0f, z + r0 * outC + grp * fg,
                outC))
        return kOutOfMemory;
    }
    epilogue(b, z, y, r0, count, outC, act, alpha);
  }
  return kOk;
}

int genericBackward(const Exec& ex, const float* x, const float* w, const float* z, const float* y, const float* dy,
                    float* dz, float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha) {
  const size_t rows = g.rows(), outC = g.outC, total = rows * outC;
  const size_t kg = g.kg(), fg = g.fg(), cg = g.cg();
  activationBackward(act, alpha, z, y, dy, dz, rows, outC);
  if (db) {
    Scratch<double> sums(outC);
    if (!sums) return kOutOfMemory;
    for (size_t j = 0; j < outC; j++) sums.p[j] = 0;
    for (size_t r = 0; r < rows; r++) {
      const float* d = dz + r * outC;
      for (size_t j = 0; j < outC; j++) sums.p[j] += d[j];
    }
    for (size_t j = 0; j < outC; j++) db[j] = static_cast<float>(sums.p[j]);
  }
  if (dx) fill(dx, g.batch * g.inH * g.inW * g.inC, 0.0f);
  if (total == 0 || kg == 0) {
    fill(dw, kg * outC, 0.0f);
    return kOk;
  }
  if (g.pointwise()) {
    if (!gemm(ex, g.inC, outC, rows, 1.0f, Mat{x, 1, g.inC}, Mat{dz, outC, 1}, 0.0f, dw, outC)) return kOutOfMemory;
    if (dx && !gemm(ex, rows, g.inC, outC, 1.0f, Mat{dz, outC, 1}, Mat{w, 1, outC}, 0.0f, dx, g.inC))
      return kOutOfMemory;
    return kOk;
  }
  const size_t pr = panelRows(g);
  Scratch<float> col(pr * kg);
  Scratch<float> dcol(dx ? pr * kg : 0);
  if (!col || !dcol) return kOutOfMemory;
  for (size_t r0 = 0; r0 < rows; r0 += pr) {
    const size_t count = min(pr, rows - r0);
    for (size_t grp = 0; grp < g.groups; grp++) {
      const float* dzp = dz + r0 * outC + grp * fg;
      im2col<false>(const_cast<float*>(x), col.p, r0, count, grp * cg, g);
      if (!gemm(ex, kg, fg, count, 1.0f, Mat{col.p, 1, kg}, Mat{dzp, outC, 1}, r0 == 0 ? 0.0f : 1.0f, dw + grp * fg,
                outC))
        return kOutOfMemory;
      if (dx) {
        if (!gemm(ex, count, kg, fg, 1.0f, Mat{dzp, outC, 1}, Mat{w + grp * fg, 1, outC}, 0.0f, dcol.p, kg))
          return kOutOfMemory;
        im2col<true>(dx, dcol.p, r0, count, grp * cg, g);
      }
    }
  }
  return kOk;
}

// The transposed convolution of g's convolution (its input gradient, g's dx from dz = x): z = col2im(x·Wᵀ) per
// panel of rows, then bias + activation over z's rows [batch·inH·inW, inC] (g's input shape). Groups 1.
int genericTransposeForward(const Exec& ex, const float* x, const float* w, const float* b, float* z, float* y,
                            const ConvGeom& g, int act, double alpha) {
  const size_t rows = g.rows(), kg = g.kg(), zRows = g.batch * g.inH * g.inW;
  fill(z, zRows * g.inC, 0.0f);
  if (rows > 0 && kg > 0 && g.outC > 0) {
    const size_t pr = panelRows(g);
    Scratch<float> dcol(pr * kg);
    if (!dcol) return kOutOfMemory;
    for (size_t r0 = 0; r0 < rows; r0 += pr) {
      const size_t count = min(pr, rows - r0);
      if (!gemm(ex, count, kg, g.outC, 1.0f, Mat{x + r0 * g.outC, g.outC, 1}, Mat{w, 1, g.outC}, 0.0f, dcol.p, kg))
        return kOutOfMemory;
      im2col<true>(z, dcol.p, r0, count, 0, g);
    }
  }
  epilogue(b, z, y, 0, zRows, g.inC, act, alpha);
  return kOk;
}

// g's weight gradient alone: dw = Σ_panels col(x)ᵀ·dz (panels in order). Groups 1.
int genericWeightGrad(const Exec& ex, const float* x, const float* dz, float* dw, const ConvGeom& g) {
  const size_t rows = g.rows(), kg = g.kg(), outC = g.outC;
  if (rows == 0 || kg == 0) {
    fill(dw, kg * outC, 0.0f);
    return kOk;
  }
  const size_t pr = panelRows(g);
  Scratch<float> col(pr * kg);
  if (!col) return kOutOfMemory;
  for (size_t r0 = 0; r0 < rows; r0 += pr) {
    const size_t count = min(pr, rows - r0);
    im2col<false>(const_cast<float*>(x), col.p, r0, count, 0, g);
    if (!gemm(ex, kg, outC, count, 1.0f, Mat{col.p, 1, kg}, Mat{dz + r0 * outC, outC, 1}, r0 == 0 ? 0.0f : 1.0f, dw,
              outC))
      return kOutOfMemory;
  }
  return kOk;
}

}  // namespace bp
