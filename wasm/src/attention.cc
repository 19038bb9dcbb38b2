// Exports: fused scaled dot-product attention, forward and backward (formulas in src/backend/ops.ts; the JS reference
// is src/backend/js/attention.ts, whose dropout stream this reproduces bit for bit). Work is split by (batch, head):
// each pair is computed whole by one task in a fixed order, so the results are the same bits at any thread count.
// A task packs its head's keys and values into panels (rows, and transposed in blocks of four keys), then takes one
// query row at a time: its scores over all keys (four keys a lane), the softmax, and the products with the values, in
// float32 SIMD; memory per task is O(keys·depth), never a tq×tk matrix (except `probs` when asked for). Backward
// recomputes each row's probabilities from the saved log-sum-exp.
#include "base.h"
#include "elementwise.h"
#include "math.h"

using namespace bp;

namespace {

struct Shape {
  size_t B, H, tq, tk, dk, dv;
  float scale;
  bool causal;
  double rate;
  uint32_t seed;
};

// murmur3's 32-bit finalizer and the dropout stream of src/backend/js/attention.ts.
BP_INLINE uint32_t mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}
BP_INLINE uint32_t rowKey(uint32_t seed, uint32_t bh, uint32_t i) {
  return mix32(mix32(mix32(seed ^ 0x2545f491u) ^ bh) + i);
}
BP_INLINE uint32_t dropBits(uint32_t key, uint32_t j) { return mix32(key ^ (j * 0x9e3779b1u)); }

BP_INLINE size_t up4(size_t n) { return (n + 3) & ~size_t(3); }

// One (batch, head)'s keys and values: kRows[j·dk + c], kT[c·tk4 + j] (zero past tk), and likewise for v.
struct Panels {
  float *kRows, *kT, *vRows, *vT, *s, *e;
  size_t tk4;
  void pack(const Shape& z, const float* k, const float* v, size_t b, size_t h, bool transposeV) {
    tk4 = up4(z.tk);
    for (size_t j = 0; j < z.tk; j++) {
      const float* kj = k + ((b * z.tk + j) * z.H + h) * z.dk;
      const float* vj = v + ((b * z.tk + j) * z.H + h) * z.dv;
      copy(kRows + j * z.dk, kj, z.dk);
      copy(vRows + j * z.dv, vj, z.dv);
      for (size_t c = 0; c < z.dk; c++) kT[c * tk4 + j] = kj[c];
      if (transposeV)
        for (size_t c = 0; c < z.dv; c++) vT[c * tk4 + j] = vj[c];
    }
    for (size_t j = z.tk; j < tk4; j++) {
      for (size_t c = 0; c < z.dk; c++) kT[c * tk4 + j] = 0.0f;
      if (transposeV)
        for (size_t c = 0; c < z.dv; c++) vT[c * tk4 + j] = 0.0f;
    }
  }
};

// out[j] = Σ_c x[c]·t[c·tk4 + j] for j < tk4, four keys a lane.
void rowTimesPanel(const float* x, const float* t, size_t depth, size_t tk4, float* out) {
  for (size_t j = 0; j < tk4; j += 4) {
    f4 acc{};
    for (size_t c = 0; c < depth; c++) acc += bcast4(x + c) * load4(t + c * tk4 + j);
    store4(out + j, acc);
  }
}

// y[c] += w·x[c] for c < n.
BP_INLINE void axpy(float w, const float* x, float* y, size_t n) {
  const f4 wv = splat4(w);
  size_t c = 0;
  for (; c + 4 <= n; c += 4) store4(y + c, load4(y + c) + wv * load4(x + c));
  for (; c < n; c++) y[c] += w * x[c];
}

BP_INLINE float dot(const float* a, const float* b, size_t n) {
  f4 acc{};
  size_t c = 0;
  for (; c + 4 <= n; c += 4) acc += load4(a + c) * load4(b + c);
  float s = hsum4(acc);
  for (; c < n; c++) s += a[c] * b[c];
  return s;
}

// Scores of query row i into s[0..tk4): scale·q·k for the keys row i may see, −∞ for the others and past tk.
// Returns their maximum (−∞ when no key is allowed; NaN once a score is NaN, so that it reaches the outputs).
float scoreRow(const Shape& z, const Panels& p, const float* qi, const float* mask, const float* keyMask, size_t b,
               size_t i) {
  float* s = p.s;
  rowTimesPanel(qi, p.kT, z.dk, p.tk4, s);
  const float ninf = -__builtin_inff();
  float mx = ninf;
  for (size_t j = 0; j < p.tk4; j++) {
    bool ok = j < z.tk && !(z.causal && j > i);
    if (ok && keyMask && keyMask[b * z.tk + j] == 0.0f) ok = false;
    if (ok && mask && mask[(b * z.tq + i) * z.tk + j] == 0.0f) ok = false;
    if (!ok) {
      s[j] = ninf;
      continue;
    }
    const float v = z.scale * s[j];
    s[j] = v;
    if (v > mx || v != v) mx = (mx != mx) ? mx : v;
  }
  return mx;
}

// e[j] = e^(s[j] − shift), 0 where s[j] is −∞.
void expRow(const float* s, float* e, size_t tk4, float shift) {
  const f4 sh = splat4(shift), ninf = splat4(-__builtin_inff());
  for (size_t j = 0; j < tk4; j += 4) {
    const f4 x = load4(s + j);
    store4(e + j, select4(x == ninf, f4{}, m::exp4(x - sh)));
  }
}

bool allocPanels(Panels& p, const Shape& z, bool backward) {
  const size_t tk4 = up4(z.tk);
  const size_t n = tk4 * z.dk * 2 + tk4 * z.dv * (backward ? 2 : 1) + 2 * tk4;
  float* block = allocArray<float>(n == 0 ? 1 : n);
  if (!block) return false;
  p.kRows = block;
  p.kT = p.kRows + tk4 * z.dk;
  p.vRows = p.kT + tk4 * z.dk;
  p.vT = p.vRows + tk4 * z.dv;
  p.s = p.vT + (backward ? tk4 * z.dv : 0);
  p.e = p.s + tk4;
  return true;
}

void forwardHead(const Shape& z, size_t bh, Panels& p, const float* q, const float* k, const float* v,
                 const float* mask, const float* keyMask, const float* queryMask, float* out, float* lse,
                 float* probs) {
  const size_t b = bh / z.H, h = bh % z.H;
  p.pack(z, k, v, b, h, false);
  const uint64_t thr = static_cast<uint64_t>(m::floor(z.rate * 4294967296.0));
  const float keepScale = static_cast<float>(1.0 / (1.0 - z.rate));
  for (size_t i = 0; i < z.tq; i++) {
    float* oi = out + ((b * z.tq + i) * z.H + h) * z.dv;
    float* pr = probs ? probs + (bh * z.tq + i) * z.tk : nullptr;
    const bool rowOn = !queryMask || queryMask[b * z.tq + i] != 0.0f;
    const float mx = rowOn ? scoreRow(z, p, q + ((b * z.tq + i) * z.H + h) * z.dk, mask, keyMask, b, i)
                           : -__builtin_inff();
    if (mx == -__builtin_inff()) {
      fill(oi, z.dv, 0.0f);
      lse[bh * z.tq + i] = -__builtin_inff();
      if (pr) fill(pr, z.tk, 0.0f);
      continue;
    }
    expRow(p.s, p.e, p.tk4, mx);
    double sum = 0;
    for (size_t j = 0; j < z.tk; j++) sum += p.e[j];
    const float inv = static_cast<float>(1.0 / sum);
    fill(oi, z.dv, 0.0f);
    const uint32_t key = thr ? rowKey(z.seed, static_cast<uint32_t>(bh), static_cast<uint32_t>(i)) : 0;
    for (size_t j = 0; j < z.tk; j++) {
      const float pj = p.e[j] * inv;
      if (pr) pr[j] = pj;
      if (pj == 0.0f || (thr && dropBits(key, static_cast<uint32_t>(j)) < thr)) continue;
      axpy(thr ? pj * keepScale : pj, p.vRows + j * z.dv, oi, z.dv);
    }
    lse[bh * z.tq + i] = static_cast<float>(static_cast<double>(mx) + m::log(sum));
  }
}

void backwardHead(const Shape& z, size_t bh, Panels& p, float* gk, float* gv, const float* q, const float* k,
                  const float* v, const float* mask, const float* keyMask, const float* queryMask, const float* out,
                  const float* lse, const float* dOut, float* dq, float* dk, float* dv) {
  const size_t b = bh / z.H, h = bh % z.H;
  p.pack(z, k, v, b, h, true);
  fill(gk, z.tk * z.dk, 0.0f);
  fill(gv, z.tk * z.dv, 0.0f);
  const uint64_t thr = static_cast<uint64_t>(m::floor(z.rate * 4294967296.0));
  const float keepScale = static_cast<float>(1.0 / (1.0 - z.rate));
  float* dp = p.e;  // e is free in backward: it holds dOut·v per key
  for (size_t i = 0; i < z.tq; i++) {
    const float* qi = q + ((b * z.tq + i) * z.H + h) * z.dk;
    const float* oi = out + ((b * z.tq + i) * z.H + h) * z.dv;
    const float* gi = dOut + ((b * z.tq + i) * z.H + h) * z.dv;
    float* dqi = dq + ((b * z.tq + i) * z.H + h) * z.dk;
    fill(dqi, z.dk, 0.0f);
    const float l = lse[bh * z.tq + i];
    if ((queryMask && queryMask[b * z.tq + i] == 0.0f) || l == -__builtin_inff()) continue;
    scoreRow(z, p, qi, mask, keyMask, b, i);
    rowTimesPanel(gi, p.vT, z.dv, p.tk4, dp);
    const float D = dot(gi, oi, z.dv);
    const uint32_t key = thr ? rowKey(z.seed, static_cast<uint32_t>(bh), static_cast<uint32_t>(i)) : 0;
    expRow(p.s, p.s, p.tk4, l);  // the probabilities, in place of the scores (masked keys give 0)
    for (size_t j = 0; j < z.tk; j++) {
      const float pj = p.s[j];
      if (pj == 0.0f) continue;
      const float keep = thr ? (dropBits(key, static_cast<uint32_t>(j)) < thr ? 0.0f : keepScale) : 1.0f;
      axpy(pj * keep, gi, gv + j * z.dv, z.dv);
      const float ds = pj * (keep * dp[j] - D) * z.scale;
      axpy(ds, p.kRows + j * z.dk, dqi, z.dk);
      axpy(ds, qi, gk + j * z.dk, z.dk);
    }
  }
  for (size_t j = 0; j < z.tk; j++) {
    copy(dk + ((b * z.tk + j) * z.H + h) * z.dk, gk + j * z.dk, z.dk);
    copy(dv + ((b * z.tk + j) * z.H + h) * z.dv, gv + j * z.dv, z.dv);
  }
}

Shape shapeOf(int B, int H, int tq, int tk, int dk, int dv, double scale, int causal, double rate, int seed) {
  return Shape{static_cast<size_t>(B),  static_cast<size_t>(H),  static_cast<size_t>(tq),
               static_cast<size_t>(tk), static_cast<size_t>(dk), static_cast<size_t>(dv),
               static_cast<float>(scale), causal != 0, rate, static_cast<uint32_t>(seed)};
}

}  // namespace

BP_EXPORT("attentionForward")
double bpAttentionForward(int32_t* status, int pooled, const float* q, const float* k, const float* v,
                          const float* mask, const float* keyMask, const float* queryMask, float* out, float* lse,
                          float* probs, int B, int H, int tq, int tk, int dk, int dv, double scale, int causal,
                          double rate, int seed) {
  const Shape z = shapeOf(B, H, tq, tk, dk, dv, scale, causal, rate, seed);
  int32_t failed = 0;
  parallel(execOf(pooled), static_cast<int>(z.B * z.H), [&](int bh, int) {
    if (z.tq == 0) return;
    Panels p{};
    if (!allocPanels(p, z, false)) {
      __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
      return;
    }
    forwardHead(z, static_cast<size_t>(bh), p, q, k, v, mask, keyMask, queryMask, out, lse, probs);
    release(p.kRows);
  });
  if (failed) *status = kOutOfMemory;
  return 0;
}

BP_EXPORT("attentionBackward")
double bpAttentionBackward(int32_t* status, int pooled, const float* q, const float* k, const float* v,
                           const float* mask, const float* keyMask, const float* queryMask, const float* out,
                           const float* lse, const float* dOut, float* dq, float* dk, float* dv, int B, int H, int tq,
                           int tk, int kd, int vd, double scale, int causal, double rate, int seed) {
  const Shape z = shapeOf(B, H, tq, tk, kd, vd, scale, causal, rate, seed);
  int32_t failed = 0;
  parallel(execOf(pooled), static_cast<int>(z.B * z.H), [&](int bh, int) {
    Panels p{};
    Scratch<float> g(z.tk * (z.dk + z.dv));
    const bool panels = allocPanels(p, z, true);
    if (!panels || !g) {
      if (panels) release(p.kRows);
      __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
      return;
    }
    backwardHead(z, static_cast<size_t>(bh), p, g.p, g.p + z.tk * z.dk, q, k, v, mask, keyMask, queryMask, out, lse,
                 dOut, dq, dk, dv);
    release(p.kRows);
  });
  if (failed) *status = kOutOfMemory;
  return 0;
}
