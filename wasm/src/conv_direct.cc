// The direct float32 convolution (native/conv_direct.cc with 128-bit tiles): a sample is copied into a zero-padded
// buffer when its windows reach outside it, and the register tiles (conv_tiles.h) read the windows in place.
// Forward: tiles of output pixels × filters over the K = kH·kW·inC taps. Backward: dW by tiles of taps × filters
// over a sample's pixels; dX by tiles of pixels × taps of the transposed kernel, scattered into the padded input
// gradient.
#include "conv.h"
#include "conv_tiles.h"

namespace bp {

namespace {

constexpr int kMaxNV = 4;

// What every chunk of one call shares (built by the calling thread, read-only while the chunks run).
struct Plan {
  size_t K = 0, F = 0, C = 0, OH = 0, OW = 0, Hp = 0, Wp = 0, inH = 0, inW = 0, pT = 0, pL = 0;
  size_t inSample = 0, outSample = 0, rowStep = 0, pixStep = 0, padLen = 0;
  bool padded = false;
  const int32_t* off = nullptr;         // K tap offsets within a (padded) sample
  const uint8_t* contiguous = nullptr;  // per 4 taps: do they sit next to each other in the input?
  const float* wt = nullptr;            // backward: the kernel transposed, F rows of ldwt (zero past K)
  size_t ldwt = 0;
};

// Rows of the (padded) input the windows reach, along one axis.
size_t reach(size_t out, size_t stride, size_t k, size_t dilation) { return (out - 1) * stride + (k - 1) * dilation + 1; }

// The plan; `off` must hold K offsets.
void makePlan(const ConvGeom& g, Plan& p, int32_t* off) {
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
  p.Hp = p.padded ? max(needH, g.pT + g.inH) : g.inH;
  p.Wp = p.padded ? max(needW, g.pL + g.inW) : g.inW;
  p.padLen = p.Hp * p.Wp * p.C;
  p.inSample = g.inH * g.inW * g.inC;
  p.outSample = g.outH * g.outW * g.outC;
  p.rowStep = g.sH * p.Wp * p.C;
  p.pixStep = g.sW * p.C;
  for (size_t ky = 0, k = 0; ky < g.kH; ky++)
    for (size_t kx = 0; kx < g.kW; kx++)
      for (size_t c = 0; c < p.C; c++) off[k++] = static_cast<int32_t>((ky * g.dH * p.Wp + kx * g.dW) * p.C + c);
  p.off = off;
}

// The sample x in the padded layout, in `pad` (whose border is zero and stays so: only the inside is written).
const float* paddedSample(const Plan& p, const float* x, float* pad) {
  const size_t rowLen = p.inW * p.C;
  for (size_t iy = 0; iy < p.inH; iy++) copy(pad + ((p.pT + iy) * p.Wp + p.pL) * p.C, x + iy * rowLen, rowLen);
  return pad;
}

// ---- forward ---------------------------------------------------------------------------------------------

template <int NV>
void forwardPixels(const Plan& p, const float* xs, const float* w, const float* b, float* zs, float* ys, size_t f0,
                   int act) {
  constexpr int MR = tiles::rowsFor<NV>();
  const size_t pixels = p.OH * p.OW;
  const float* xp[MR];
  float* zp[MR];
  float* yp[MR];
  for (size_t p0 = 0; p0 < pixels; p0 += MR) {
    const int rows = static_cast<int>(min<size_t>(MR, pixels - p0));
    for (int i = 0; i < MR; i++) {
      const size_t pix = p0 + min(i, rows - 1), oy = pix / p.OW, ox = pix % p.OW;
      xp[i] = xs + oy * p.rowStep + ox * p.pixStep;
      zp[i] = zs + pix * p.F + f0;
      yp[i] = ys + pix * p.F + f0;
    }
    tiles::forwardTile<MR, NV>(xp, p.off, p.K, w + f0, p.F, b ? b + f0 : nullptr, zp, yp, rows, act);
  }
}

void forwardSamples(const Plan& p, const float* x, const float* w, const float* b, float* z, float* y, size_t n0,
                    size_t n1, float* pad, int act, double alpha) {
  for (size_t n = n0; n < n1; n++) {
    const float* xs = pad ? paddedSample(p, x + n * p.inSample, pad) : x + n * p.inSample;
    float* zs = z + n * p.outSample;
    float* ys = y + n * p.outSample;
    for (size_t f0 = 0; f0 < p.F;) {
      const size_t nv = min<size_t>(kMaxNV, (p.F - f0) / 4);
      if (nv == 4) forwardPixels<4>(p, xs, w, b, zs, ys, f0, act);
      else if (nv == 3) forwardPixels<3>(p, xs, w, b, zs, ys, f0, act);
      else if (nv == 2) forwardPixels<2>(p, xs, w, b, zs, ys, f0, act);
      else forwardPixels<1>(p, xs, w, b, zs, ys, f0, act);
      f0 += nv * 4;
    }
    if (act != RELU && act != LINEAR) forwardRange(act, alpha, zs, ys, p.outSample);
  }
}

// ---- backward --------------------------------------------------------------------------------------------

template <int NV>
void weightTaps(const Plan& p, const float* xs, const float* dzs, float* dw, size_t f0) {
  constexpr int MR = tiles::rowsFor<NV>();
  int32_t offk[MR];
  for (size_t k0 = 0; k0 < p.K; k0 += MR) {
    const int rows = static_cast<int>(min<size_t>(MR, p.K - k0));
    for (int i = 0; i < MR; i++) offk[i] = p.off[k0 + min(i, rows - 1)];
    tiles::weightTile<MR, NV>(xs, offk, p.OH, p.OW, p.rowStep, p.pixStep, dzs + f0, p.F, dw + k0 * p.F + f0, p.F,
                              rows);
  }
}

template <int NV>
void inputTileAt(const Plan& p, const float* const* dzp, float* const* dxp, size_t k0, int rows) {
  constexpr int MR = tiles::rowsFor<kMaxNV>();
  tiles::inputTile<MR, NV>(dzp, p.F, p.wt, p.ldwt, k0, p.K, p.off, p.contiguous, dxp, rows);
}

void inputPixels(const Plan& p, const float* dzs, float* dxs) {
  constexpr int MR = tiles::rowsFor<kMaxNV>();
  const size_t pixels = p.OH * p.OW;
  const float* dzp[MR];
  float* dxp[MR];
  for (size_t p0 = 0; p0 < pixels; p0 += MR) {
    const int rows = static_cast<int>(min<size_t>(MR, pixels - p0));
    for (int i = 0; i < MR; i++) {
      const size_t pix = p0 + min(i, rows - 1), oy = pix / p.OW, ox = pix % p.OW;
      dzp[i] = dzs + pix * p.F;
      dxp[i] = dxs + oy * p.rowStep + ox * p.pixStep;
    }
    // Up to kMaxNV vectors of taps per tile (the transposed kernel is padded to whole vectors only).
    for (size_t k0 = 0; k0 < p.K;) {
      const size_t nv = min<size_t>(kMaxNV, (p.ldwt - k0) / 4);
      if (nv == 4) inputTileAt<4>(p, dzp, dxp, k0, rows);
      else if (nv == 3) inputTileAt<3>(p, dzp, dxp, k0, rows);
      else if (nv == 2) inputTileAt<2>(p, dzp, dxp, k0, rows);
      else inputTileAt<1>(p, dzp, dxp, k0, rows);
      k0 += nv * 4;
    }
  }
}

void backwardSamples(const Plan& p, const float* x, const float* z, const float* y, const float* dy, float* dz,
                     float* dw, double* db, float* dx, size_t n0, size_t n1, float* pad, float* padGrad, int act,
                     double alpha) {
  const size_t pixels = p.OH * p.OW;
  for (size_t n = n0; n < n1; n++) {
    const size_t o = n * p.outSample;
    activationBackward(act, alpha, z + o, y + o, dy + o, dz + o, pixels, p.F);
    const float* dzs = dz + o;
    if (db) {
      for (size_t f0 = 0; f0 < p.F; f0 += 4) {
        double sum[4] = {db[f0], db[f0 + 1], db[f0 + 2], db[f0 + 3]};
        for (size_t q = 0; q < pixels; q++)
          for (int j = 0; j < 4; j++) sum[j] += dzs[q * p.F + f0 + j];
        for (int j = 0; j < 4; j++) db[f0 + j] = sum[j];
      }
    }
    const float* xs = pad ? paddedSample(p, x + n * p.inSample, pad) : x + n * p.inSample;
    for (size_t f0 = 0; f0 < p.F;) {
      const size_t nv = min<size_t>(kMaxNV, (p.F - f0) / 4);
      if (nv == 4) weightTaps<4>(p, xs, dzs, dw, f0);
      else if (nv == 3) weightTaps<3>(p, xs, dzs, dw, f0);
      else if (nv == 2) weightTaps<2>(p, xs, dzs, dw, f0);
      else weightTaps<1>(p, xs, dzs, dw, f0);
      f0 += nv * 4;
    }
    if (!dx) continue;
    float* dxn = dx + n * p.inSample;
    if (!padGrad) {
      inputPixels(p, dzs, dxn);
      continue;
    }
    fill(padGrad, p.padLen, 0.0f);
    inputPixels(p, dzs, padGrad);
    const size_t rowLen = p.inW * p.C;
    for (size_t iy = 0; iy < p.inH; iy++) copy(dxn + iy * rowLen, padGrad + ((p.pT + iy) * p.Wp + p.pL) * p.C, rowLen);
  }
}

}  // namespace

bool directSupported(const ConvGeom& g) {
  if (g.groups != 1 || g.outC % 4 != 0 || g.pointwise()) return false;
  const size_t needH = reach(g.outH, g.sH, g.kH, g.dH), needW = reach(g.outW, g.sW, g.kW, g.dW);
  const uint64_t hp = max(needH, g.pT + g.inH), wp = max(needW, g.pL + g.inW);
  // Tap offsets and positions within a padded sample are 32-bit, and a padded sample fits the memory.
  return hp * wp * g.inC < (uint64_t(1) << 30) && static_cast<uint64_t>(g.kg()) < (uint64_t(1) << 30);
}

int directForward(const Exec& ex, const float* x, const float* w, const float* b, float* z, float* y,
                  const ConvGeom& g, int act, double alpha) {
  Scratch<int32_t> off(g.kg());
  if (!off) return kOutOfMemory;
  Plan p;
  makePlan(g, p, off.p);
  const int threads = ex.threads();
  Scratch<float> pads(p.padded ? static_cast<size_t>(threads) * p.padLen : 0);
  if (!pads) return kOutOfMemory;
  if (p.padded) fill(pads.p, static_cast<size_t>(threads) * p.padLen, 0.0f);
  const size_t chunks = chunkCount(g.batch);
  parallel(ex, static_cast<int>(chunks), [&](int c, int thread) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    float* pad = p.padded ? pads.p + static_cast<size_t>(thread) * p.padLen : nullptr;
    forwardSamples(p, x, w, b, z, y, n0, n1, pad, act, alpha);
  });
  return kOk;
}

int directBackward(const Exec& ex, const float* x, const float* w, const float* z, const float* y, const float* dy,
                   float* dz, float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha) {
  Scratch<int32_t> off(g.kg());
  if (!off) return kOutOfMemory;
  Plan p;
  makePlan(g, p, off.p);
  const size_t chunks = chunkCount(g.batch), kf = p.K * p.F;
  const int threads = ex.threads();
  const size_t groups4 = (p.K + 3) / 4;
  p.ldwt = groups4 * 4;
  Scratch<uint8_t> contiguous(groups4);
  Scratch<float> wt(dx ? p.F * p.ldwt : 0);
  Scratch<float> pads(p.padded ? static_cast<size_t>(threads) * p.padLen * (dx ? 2 : 1) : 0);
  Scratch<float> dwParts(chunks * kf);
  Scratch<double> dbParts(chunks * p.F);
  if (!contiguous || !wt || !pads || !dwParts || !dbParts) return kOutOfMemory;
  for (size_t c = 0; c < groups4; c++) {
    bool ok = c * 4 + 4 <= p.K;
    for (size_t t = 1; ok && t < 4; t++) ok = p.off[c * 4 + t] == p.off[c * 4] + static_cast<int32_t>(t);
    contiguous.p[c] = ok;
  }
  p.contiguous = contiguous.p;
  if (dx) {
    for (size_t f = 0; f < p.F; f++) {
      float* row = wt.p + f * p.ldwt;
      for (size_t k = 0; k < p.K; k++) row[k] = w[k * p.F + f];
      fill(row + p.K, p.ldwt - p.K, 0.0f);
    }
    p.wt = wt.p;
    fill(dx, g.batch * p.inSample, 0.0f);
  }
  if (p.padded) fill(pads.p, static_cast<size_t>(threads) * p.padLen * (dx ? 2 : 1), 0.0f);
  fill(dwParts.p, chunks * kf, 0.0f);
  for (size_t i = 0; i < chunks * p.F; i++) dbParts.p[i] = 0;
  parallel(ex, static_cast<int>(chunks), [&](int c, int thread) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    float* pad = p.padded ? pads.p + static_cast<size_t>(thread) * p.padLen * (dx ? 2 : 1) : nullptr;
    float* padGrad = p.padded && dx ? pad + p.padLen : nullptr;
    backwardSamples(p, x, z, y, dy, dz, dwParts.p + c * kf, db ? dbParts.p + c * p.F : nullptr, dx, n0, n1, pad,
                    padGrad, act, alpha);
  });
  copy(dw, dwParts.p, kf);
  for (size_t c = 1; c < chunks; c++) {
    const float* part = dwParts.p + c * kf;
    size_t i = 0;
    for (; i + 4 <= kf; i += 4) store4(dw + i, load4(dw + i) + load4(part + i));
    for (; i < kf; i++) dw[i] += part[i];
  }
  if (db) {
    for (size_t f = 0; f < p.F; f++) {
      double s = 0;
      for (size_t c = 0; c < chunks; c++) s += dbParts.p[c * p.F + f];
      db[f] = static_cast<float>(s);
    }
  }
  return kOk;
}

}  // namespace bp
