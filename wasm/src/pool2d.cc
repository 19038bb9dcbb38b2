// Pooling kernels (native/pool.h, the loops of the JS reference): windows clipped to the input once per output
// position, channels innermost (contiguous in NHWC), four channels at a time. Max pooling's argmax indices come
// from the module's own copy of the array: backward reads each once, checks it and uses only that read; a bad one
// stops the op with its position in the status.
#include "conv.h"

namespace bp {

namespace {

// The window of output (oy, ox) clipped to the input: kernel rows [ky0, ky1), columns [kx0, kx1).
struct PoolWindow {
  int64_t iy0, ix0;
  size_t ky0, ky1, kx0, kx1;
  PoolWindow(const ConvGeom& g, size_t oy, size_t ox) {
    iy0 = g.rowStart(oy);
    ix0 = g.colStart(ox);
    const int64_t inH = static_cast<int64_t>(g.inH), inW = static_cast<int64_t>(g.inW);
    ky0 = static_cast<size_t>(max<int64_t>(0, -iy0));
    ky1 = static_cast<size_t>(min<int64_t>(static_cast<int64_t>(g.kH), inH - iy0));
    kx0 = static_cast<size_t>(max<int64_t>(0, -ix0));
    kx1 = static_cast<size_t>(min<int64_t>(static_cast<int64_t>(g.kW), inW - ix0));
  }
  size_t offset(const ConvGeom& g, size_t n, size_t ky, size_t kx) const {
    return ((n * g.inH + static_cast<size_t>(iy0 + static_cast<int64_t>(ky))) * g.inW +
            static_cast<size_t>(ix0 + static_cast<int64_t>(kx))) *
           g.inC;
  }
};

bool emptyPool(const ConvGeom& g) { return g.batch * g.outH * g.outW * g.inC == 0; }

// take = v > m || (v is NaN && m is not): the first maximum in window order wins, a NaN wins and stays.
BP_INLINE i4 takes(f4 v, f4 m) { return (v > m) | ((v != v) & (m == m)); }

void maxPoolWindow(const float* x, float* yo, int32_t* ao, const ConvGeom& g, const PoolWindow& win, size_t n) {
  const size_t C = g.inC;
  bool first = true;
  for (size_t ky = win.ky0; ky < win.ky1; ky++) {
    for (size_t kx = win.kx0; kx < win.kx1; kx++) {
      const float* s = x + win.offset(g, n, ky, kx);
      const int32_t pos = static_cast<int32_t>(ky * g.kW + kx);
      if (first) {
        copy(yo, s, C);
        for (size_t c = 0; c < C; c++) ao[c] = pos;
        first = false;
        continue;
      }
      size_t c = 0;
      const i4 vpos = i4{pos, pos, pos, pos};
      for (; c + 4 <= C; c += 4) {
        const f4 v = load4(s + c), m = load4(yo + c);
        const i4 t = takes(v, m);
        store4(yo + c, (f4)wasm_v128_bitselect((v128_t)v, (v128_t)m, (v128_t)t));
        const i4 a = *reinterpret_cast<const i4*>(static_cast<const void*>(ao + c));
        const i4 na = (i4)wasm_v128_bitselect((v128_t)vpos, (v128_t)a, (v128_t)t);
        __builtin_memcpy(ao + c, &na, sizeof na);
      }
      for (; c < C; c++) {
        const float v = s[c], m = yo[c];
        const bool take = v > m || (v != v && m == m);
        yo[c] = take ? v : m;
        ao[c] = take ? pos : ao[c];
      }
    }
  }
}

void maxPoolSamples(const float* x, float* y, int32_t* argmax, const ConvGeom& g, size_t n0, size_t n1) {
  const size_t C = g.inC;
  size_t o = n0 * g.outH * g.outW * C;
  for (size_t n = n0; n < n1; n++)
    for (size_t oy = 0; oy < g.outH; oy++)
      for (size_t ox = 0; ox < g.outW; ox++, o += C) maxPoolWindow(x, y + o, argmax + o, g, PoolWindow(g, oy, ox), n);
}

// Returns the output position + 1 of the first bad index in samples [n0, n1), or 0.
int64_t maxPoolBackwardSamples(const float* dy, const int32_t* argmax, float* dx, const ConvGeom& g, size_t n0,
                               size_t n1) {
  const size_t C = g.inC, window = g.kH * g.kW;
  size_t o = n0 * g.outH * g.outW * C;
  for (size_t n = n0; n < n1; n++) {
    for (size_t oy = 0; oy < g.outH; oy++) {
      for (size_t ox = 0; ox < g.outW; ox++) {
        const PoolWindow win(g, oy, ox);
        float* origin = dx + win.offset(g, n, win.ky0, win.kx0);
        for (size_t c = 0; c < C; c++, o++) {
          const int32_t pos = argmax[o];  // the one read of this index
          size_t ky = 0, kx = 0;
          bool ok = pos >= 0 && static_cast<size_t>(pos) < window;
          if (ok) {
            ky = static_cast<size_t>(pos) / g.kW;
            kx = static_cast<size_t>(pos) - ky * g.kW;
            ok = ky >= win.ky0 && ky < win.ky1 && kx >= win.kx0 && kx < win.kx1;
          }
          if (!ok) return static_cast<int64_t>(o) + 1;
          float* d = origin + ((ky - win.ky0) * g.inW + (kx - win.kx0)) * C + c;
          *d = static_cast<float>(static_cast<double>(*d) + static_cast<double>(dy[o]));
        }
      }
    }
  }
  return 0;
}

}  // namespace

int maxPool2dForward(const Exec& ex, const float* x, float* y, int32_t* argmax, const ConvGeom& g) {
  if (emptyPool(g)) return kOk;
  const size_t chunks = chunkCount(g.batch);
  parallel(ex, static_cast<int>(chunks), [&](int c, int) {
    maxPoolSamples(x, y, argmax, g, g.batch * c / chunks, g.batch * (c + 1) / chunks);
  });
  return kOk;
}

// kOk, or the position + 1 of the first bad index (the first in output order: chunks report theirs, the
// smallest wins, as a serial run would stop there).
int maxPool2dBackward(const Exec& ex, const float* dy, const int32_t* argmax, float* dx, const ConvGeom& g) {
  fill(dx, g.batch * g.inH * g.inW * g.inC, 0.0f);
  if (emptyPool(g)) return kOk;
  const size_t chunks = chunkCount(g.batch);
  int64_t bad[16] = {};
  parallel(ex, static_cast<int>(chunks), [&](int c, int) {
    bad[c] = maxPoolBackwardSamples(dy, argmax, dx, g, g.batch * c / chunks, g.batch * (c + 1) / chunks);
  });
  for (size_t c = 0; c < chunks; c++)
    if (bad[c]) return static_cast<int>(bad[c]);
  return kOk;
}

int avgPool2dForward(const Exec& ex, const float* x, float* y, const ConvGeom& g) {
  if (emptyPool(g)) return kOk;
  const size_t C = g.inC, chunks = chunkCount(g.batch);
  Scratch<double> accs(static_cast<size_t>(ex.threads()) * C);
  if (!accs) return kOutOfMemory;
  parallel(ex, static_cast<int>(chunks), [&](int c, int thread) {
    double* acc = accs.p + static_cast<size_t>(thread) * C;
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    size_t o = n0 * g.outH * g.outW * C;
    for (size_t n = n0; n < n1; n++) {
      for (size_t oy = 0; oy < g.outH; oy++) {
        for (size_t ox = 0; ox < g.outW; ox++, o += C) {
          const PoolWindow win(g, oy, ox);
          for (size_t ch = 0; ch < C; ch++) acc[ch] = 0;
          for (size_t ky = win.ky0; ky < win.ky1; ky++) {
            for (size_t kx = win.kx0; kx < win.kx1; kx++) {
              const float* s = x + win.offset(g, n, ky, kx);
              for (size_t ch = 0; ch < C; ch++) acc[ch] += s[ch];
            }
          }
          const double count = static_cast<double>((win.ky1 - win.ky0) * (win.kx1 - win.kx0));
          for (size_t ch = 0; ch < C; ch++) y[o + ch] = static_cast<float>(acc[ch] / count);
        }
      }
    }
  });
  return kOk;
}

int avgPool2dBackward(const Exec& ex, const float* dy, float* dx, const ConvGeom& g) {
  fill(dx, g.batch * g.inH * g.inW * g.inC, 0.0f);
  if (emptyPool(g)) return kOk;
  const size_t C = g.inC, chunks = chunkCount(g.batch);
  // Windows of different samples never meet: chunks of samples write disjoint parts of dx.
  parallel(ex, static_cast<int>(chunks), [&](int c, int) {
    const size_t n0 = g.batch * c / chunks, n1 = g.batch * (c + 1) / chunks;
    size_t o = n0 * g.outH * g.outW * C;
    for (size_t n = n0; n < n1; n++) {
      for (size_t oy = 0; oy < g.outH; oy++) {
        for (size_t ox = 0; ox < g.outW; ox++, o += C) {
          const PoolWindow win(g, oy, ox);
          const double count = static_cast<double>((win.ky1 - win.ky0) * (win.kx1 - win.kx0));
          for (size_t ky = win.ky0; ky < win.ky1; ky++) {
            for (size_t kx = win.kx0; kx < win.kx1; kx++) {
              float* d = dx + win.offset(g, n, ky, kx);
              for (size_t ch = 0; ch < C; ch++) d[ch] = static_cast<float>(d[ch] + static_cast<double>(dy[o + ch]) / count);
            }
          }
        }
      }
    }
  });
  return kOk;
}

}  // namespace bp
