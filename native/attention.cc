#include "attention.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "attention_tiles.h"
#include "conv_direct.h"
#include "thread_pool.h"

// The per-ISA entry points, into which the tiles are inlined. As the convolutions' (conv_tiles.h): they run only on
// CPUs with FMA, so a·b + c contracts into FMAs there; the results then depend on the kernel choice, and every
// choice is checked against the float64 reference (test/native/attention-kernels.test.ts).
#if defined(__x86_64__)
#define BP_ATTN_AVX512 \
  __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma,avx2"), optimize("fp-contract=fast")))
#define BP_ATTN_AVX2 __attribute__((target("avx2,fma"), optimize("fp-contract=fast")))
#else
// Other CPUs (the linux-arm64 prebuilt) never run these entry points: convIsa() is None there, so the tiles are
// Base. They still compile, as plain vector code.
#define BP_ATTN_AVX512
#define BP_ATTN_AVX2
#endif

namespace bp {

namespace {

using attn::kBK;
using attn::kBQ;
using attn::padded;

constexpr size_t roundUp(size_t n, size_t m) { return (n + m - 1) / m * m; }

// Scratch memory per thread and slot, grown when a larger shape first needs it and reused after; O(steps·depth).
template <typename T>
T* buf(int slot, size_t n) {
  thread_local std::vector<T> slots[13];
  std::vector<T>& v = slots[slot];
  if (v.size() < n) v.resize(n);
  return v.data();
}

template <typename T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// Which keys a row may see: `keyOk` (1 or 0 per key of the head, 0 past tk) and, per row, causality and the
// boolean mask. Masked scores become −∞. Returns the row's largest score (NaN, once seen, wins: it must reach the
// outputs).
template <typename T, int W>
BP_ATTN_TILE T maskRow(T* srow, const T* keyOk, size_t j0, size_t nk, size_t i, bool causal, const T* allow) {
  using V = typename attn::Vec<T, W>::V;
  if (causal && j0 + nk > i + 1) {
    for (size_t j = i + 1 - std::min(i + 1, j0); j < nk; j++) srow[j] = kNegInf<T>;
  }
  if (allow) {
    for (size_t j = 0; j < nk; j++)
      if (allow[j0 + j] == T(0)) srow[j] = kNegInf<T>;
  }
  const V ninf = V{} + kNegInf<T>, zero = V{};
  V m = ninf;
  for (size_t j = 0; j < kBK; j += W) {
    V x = attn::load<T, W>(srow + j);
    x = attn::load<T, W>(keyOk + j0 + j) != zero ? x : ninf;
    attn::store<T, W>(srow + j, x);
    m = (x > m) | (x != x) ? x : m;
  }
  T r = kNegInf<T>;
  for (int l = 0; l < W; l++) r = (m[l] > r || m[l] != m[l]) ? m[l] : r;
  return r;
}

// srow = e^(srow − shift) over a row of kBK; returns the row's sum.
template <typename T, int W>
BP_ATTN_TILE T expRow(T* srow, T shift) {
  using V = typename attn::Vec<T, W>::V;
  V acc = V{};
  for (size_t j = 0; j < kBK; j += W) {
    const V e = attn::Exp<T, W>::of(attn::load<T, W>(srow + j) - shift);
    attn::store<T, W>(srow + j, e);
    acc += e;
  }
  T r = 0;
  for (int l = 0; l < W; l++) r += acc[l];
  return r;
}

// Dropout of one row of probabilities (ops.ts): kept pairs scaled by 1/(1 − rate), dropped ones 0.
template <typename T>
BP_ATTN_TILE void dropRow(T* p, size_t nk, uint32_t rowKey, size_t j0, uint32_t thr, T keepScale) {
  for (size_t j = 0; j < nk; j++) {
    p[j] = attn::dropoutBits(rowKey, static_cast<uint32_t>(j0 + j)) < thr ? T(0) : p[j] * keepScale;
  }
}

uint32_t dropThreshold(double rate) {
  return rate > 0 ? static_cast<uint32_t>(std::floor(rate * 4294967296.0)) : 0;
}

template <typename T, int W>
struct Kernel {
  using V = typename attn::Vec<T, W>::V;

  // dst[c·ld + j] = src[(row0 + j)·stride + c] for j < n, c < depth, zero for n ≤ j < ld: a head's keys (or values)
  // transposed, taken in blocks of 8 so that the writes stay contiguous.
  static BP_ATTN_TILE void transposeKeys(T* dst, size_t ld, const T* src, size_t stride, size_t row0, size_t n,
                                         size_t depth) {
    for (size_t j0 = 0; j0 < n; j0 += 8) {
      const size_t m = std::min<size_t>(8, n - j0);
      for (size_t c = 0; c < depth; c++)
        for (size_t j = 0; j < m; j++) dst[c * ld + j0 + j] = src[(row0 + j0 + j) * stride + c];
    }
    for (size_t c = 0; c < depth; c++) std::fill(dst + c * ld + n, dst + (c + 1) * ld, T(0));
  }

  // keyOk[j] for the head's keys of sample b: 1 when the key exists and keyMask allows it.
  static BP_ATTN_TILE void keysAllowed(T* keyOk, const T* keyMask, size_t b, size_t tk, size_t tkp) {
    for (size_t j = 0; j < tkp; j++) keyOk[j] = j < tk && (!keyMask || keyMask[b * tk + j] != T(0)) ? T(1) : T(0);
  }

  static BP_ATTN_TILE void forward(const AttnForward<T>& a, size_t n0, size_t n1) {
    const AttnShape& s = a.s;
    const size_t H = s.heads, tq = s.tq, tk = s.tk, dk = s.dk, dv = s.dv;
    const size_t dkp = padded(dk), dvp = padded(dv), tkp = roundUp(tk, kBK);
    const T scale = static_cast<T>(s.scale);
    const uint32_t thr = dropThreshold(s.dropout);
    const T keepScale = static_cast<T>(1.0 / (1.0 - s.dropout));
    T* kt = buf<T>(0, dk * tkp);
    T* vp = buf<T>(1, tkp * dvp);
    T* qp = buf<T>(2, kBQ * dkp);
    T* sc = buf<T>(3, kBQ * kBK);
    T* o = buf<T>(4, kBQ * dvp);
    T* rm = buf<T>(5, kBQ);
    T* rl = buf<T>(6, kBQ);
    T* keyOk = buf<T>(7, tkp);
    for (size_t item = n0; item < n1; item++) {
      const size_t b = item / H, h = item % H;
      // The head's keys transposed (row c: component c of every key) and its values, zero past tk.
      transposeKeys(kt, tkp, a.k + h * dk, H * dk, b * tk, tk, dk);
      std::fill(vp, vp + tkp * dvp, T(0));
      if (dv)
        for (size_t j = 0; j < tk; j++) std::memcpy(vp + j * dvp, a.v + ((b * tk + j) * H + h) * dv, dv * sizeof(T));
      keysAllowed(keyOk, a.keyMask, b, tk, tkp);
      for (size_t i0 = 0; i0 < tq; i0 += kBQ) {
        const size_t rq = std::min(kBQ, tq - i0), rq4 = roundUp(rq, 4);
        std::fill(qp, qp + rq4 * dkp, T(0));
        for (size_t r = 0; r < rq; r++) {
          const T* qr = a.q + ((b * tq + i0 + r) * H + h) * dk;
          for (size_t c = 0; c < dk; c++) qp[r * dkp + c] = qr[c] * scale;
        }
        std::fill(o, o + rq4 * dvp, T(0));
        std::fill(rm, rm + kBQ, kNegInf<T>);
        std::fill(rl, rl + kBQ, T(0));
        // With a causal mask, key tiles past the tile's last query are all masked.
        const size_t kEnd = s.causal ? std::min(tk, i0 + rq) : tk;
        for (size_t j0 = 0; j0 < kEnd; j0 += kBK) {
          const size_t nk = std::min(kBK, tk - j0);
          // Keys no row of the tile may see (causal) are not computed: maskRow masks those columns whatever
          // they hold, and the weighted sum stops before them.
          const size_t live = std::min(nk, kEnd - j0), cols = attn::panelCols<W>(live);
          attn::panelProduct<T, W>(qp, dkp, dk, kt + j0, tkp, sc, rq4, cols);
          for (size_t r = 0; r < rq4; r++) {
            T* srow = sc + r * kBK;
            const size_t i = i0 + r;
            if (r >= rq || (a.queryMask && a.queryMask[b * tq + i] == T(0))) {
              std::fill(srow, srow + kBK, T(0));
              continue;
            }
            const T mx = maskRow<T, W>(srow, keyOk, j0, nk, i, s.causal, a.mask ? a.mask + (b * tq + i) * tk : nullptr);
            const T mNew = rm[r] > mx || mx != mx ? rm[r] : mx;
            if (mNew == kNegInf<T>) {
              std::fill(srow, srow + kBK, T(0));
              continue;
            }
            const T alpha = rm[r] == kNegInf<T> ? T(0) : std::exp(rm[r] - mNew);
            rl[r] = rl[r] * alpha + expRow<T, W>(srow, mNew);
            rm[r] = mNew;
            if (alpha != T(1)) {
              for (size_t c = 0; c < dvp; c++) o[r * dvp + c] *= alpha;
            }
            if (thr) dropRow(srow, nk, attn::dropoutRowKey(s.seed, item, i), j0, thr, keepScale);
          }
          attn::accumulateRows<T, W>(sc, kBK, 1, live, vp + j0 * dvp, dvp, o, dvp, rq4, dvp);
        }
        for (size_t r = 0; r < rq; r++) {
          const size_t i = i0 + r;
          T* orow = a.out + ((b * tq + i) * H + h) * dv;
          T* lse = a.lse + item * tq + i;
          if (rm[r] == kNegInf<T>) {
            std::fill(orow, orow + dv, T(0));
            *lse = kNegInf<T>;
            continue;
          }
          const T inv = T(1) / rl[r];
          for (size_t c = 0; c < dv; c++) orow[c] = o[r * dvp + c] * inv;
          *lse = rm[r] + std::log(rl[r]);
        }
        if (a.probs) writeProbs(a, item, b, i0, rq, rq4, qp, kt, tkp, keyOk, sc);
      }
    }
  }

  // probs[b, h, i, :] = e^(s − lse) for the tile's queries, 0 where masked.
  static BP_ATTN_TILE void writeProbs(const AttnForward<T>& a, size_t item, size_t b, size_t i0, size_t rq, size_t rq4,
                                      const T* qp, const T* kt, size_t tkp, const T* keyOk, T* sc) {
    const AttnShape& s = a.s;
    const size_t tq = s.tq, tk = s.tk;
    for (size_t j0 = 0; j0 < tk; j0 += kBK) {
      const size_t nk = std::min(kBK, tk - j0);
      attn::panelProduct<T, W>(qp, padded(s.dk), s.dk, kt + j0, tkp, sc, rq4, kBK);
      for (size_t r = 0; r < rq; r++) {
        const size_t i = i0 + r;
        T* srow = sc + r * kBK;
        T* prow = a.probs + (item * tq + i) * tk + j0;
        const T l = a.lse[item * tq + i];
        if (l == kNegInf<T>) {
          std::fill(prow, prow + nk, T(0));
          continue;
        }
        maskRow<T, W>(srow, keyOk, j0, nk, i, s.causal, a.mask ? a.mask + (b * tq + i) * tk : nullptr);
        expRow<T, W>(srow, l);
        std::memcpy(prow, srow, nk * sizeof(T));
      }
    }
  }

  static BP_ATTN_TILE void backward(const AttnBackward<T>& a, size_t n0, size_t n1) {
    const AttnShape& s = a.s;
    const size_t H = s.heads, tq = s.tq, tk = s.tk, dk = s.dk, dv = s.dv;
    const size_t dkp = padded(dk), dvp = padded(dv), tqp = roundUp(tq, kBQ), tkp = roundUp(tk, kBK);
    const T scale = static_cast<T>(s.scale);
    const uint32_t thr = dropThreshold(s.dropout);
    const T keepScale = static_cast<T>(1.0 / (1.0 - s.dropout));
    T* qa = buf<T>(0, tqp * dkp);  // scaled queries
    T* da = buf<T>(1, tqp * dvp);  // dOut
    T* L = buf<T>(2, tqp);         // log-sum-exp, −∞ for rows that see no key
    T* D = buf<T>(3, tqp);         // dOut·out per row
    T* dqa = buf<T>(4, tqp * dkp);
    T* kt = buf<T>(5, dk * kBK);   // the key tile transposed
    T* kp = buf<T>(6, kBK * dkp);  // the key tile, scaled
    T* vt = buf<T>(7, dv * kBK);   // the value tile transposed
    T* keyOk = buf<T>(8, tkp);
    T* pt = buf<T>(9, kBQ * kBK);  // probabilities (after dropout)
    T* st = buf<T>(10, kBQ * kBK); // dP, then dS
    T* dka = buf<T>(11, kBK * dkp);
    T* dva = buf<T>(12, kBK * dvp);
    for (size_t item = n0; item < n1; item++) {
      const size_t b = item / H, h = item % H;
      std::fill(qa, qa + tqp * dkp, T(0));
      std::fill(da, da + tqp * dvp, T(0));
      std::fill(dqa, dqa + tqp * dkp, T(0));
      for (size_t i = 0; i < tqp; i++) {
        L[i] = kNegInf<T>;
        D[i] = 0;
        if (i >= tq) continue;
        const size_t row = (b * tq + i) * H + h;
        const T* qr = a.q + row * dk;
        const T* dor = a.dOut + row * dv;
        const T* outr = a.out + row * dv;
        for (size_t c = 0; c < dk; c++) qa[i * dkp + c] = qr[c] * scale;
        T d = 0;
        for (size_t c = 0; c < dv; c++) {
          da[i * dvp + c] = dor[c];
          d += dor[c] * outr[c];
        }
        D[i] = d;
        if (!a.queryMask || a.queryMask[b * tq + i] != T(0)) L[i] = a.lse[item * tq + i];
      }
      keysAllowed(keyOk, a.keyMask, b, tk, tkp);
      for (size_t j0 = 0; j0 < tk; j0 += kBK) {
        const size_t nk = std::min(kBK, tk - j0);
        transposeKeys(kt, kBK, a.k + h * dk, H * dk, b * tk + j0, nk, dk);
        transposeKeys(vt, kBK, a.v + h * dv, H * dv, b * tk + j0, nk, dv);
        std::fill(kp, kp + kBK * dkp, T(0));
        for (size_t j = 0; j < nk; j++) {
          const T* kr = a.k + ((b * tk + j0 + j) * H + h) * dk;
          for (size_t c = 0; c < dk; c++) kp[j * dkp + c] = kr[c] * scale;
        }
        std::fill(dka, dka + kBK * dkp, T(0));
        std::fill(dva, dva + kBK * dvp, T(0));
        // With a causal mask, queries before the tile's first key see none of it.
        for (size_t i0 = s.causal ? j0 / kBQ * kBQ : 0; i0 < tq; i0 += kBQ) {
          const size_t rq = std::min(kBQ, tq - i0), rq4 = roundUp(rq, 4);
          // The keys any query of the tile may see (causal: those before its last query); the columns past them
          // are not computed (maskRow masks them, and the sums below stop before them).
          const size_t live = !s.causal ? nk : i0 + rq <= j0 ? 0 : std::min(nk, i0 + rq - j0);
          if (live == 0) continue;
          const size_t cols = attn::panelCols<W>(live), live4 = roundUp(live, 4);
          attn::panelProduct<T, W>(qa + i0 * dkp, dkp, dk, kt, kBK, pt, rq4, cols);
          attn::panelProduct<T, W>(da + i0 * dvp, dvp, dv, vt, kBK, st, rq4, cols);
          for (size_t r = 0; r < rq4; r++) {
            const size_t i = i0 + r;
            T* prow = pt + r * kBK;
            T* srow = st + r * kBK;
            if (L[i] == kNegInf<T>) {
              std::fill(prow, prow + kBK, T(0));
              std::fill(srow, srow + kBK, T(0));
              continue;
            }
            maskRow<T, W>(prow, keyOk, j0, nk, i, s.causal, a.mask ? a.mask + (b * tq + i) * tk : nullptr);
            const T d = D[i];
            expRow<T, W>(prow, L[i]);
            if (thr) {
              const uint32_t rowKey = attn::dropoutRowKey(s.seed, item, i);
              for (size_t j = 0; j < kBK; j++) {
                const bool kept = j < nk && attn::dropoutBits(rowKey, static_cast<uint32_t>(j0 + j)) >= thr;
                const T keep = kept ? keepScale : T(0);
                srow[j] = prow[j] * (keep * srow[j] - d);
                prow[j] *= keep;
              }
            } else {
              for (size_t j = 0; j < kBK; j++) srow[j] = prow[j] * (srow[j] - d);
            }
          }
          // dV += Pᵀ·dOut, dQ += dS·(scale·K), dK += dSᵀ·(scale·Q).
          attn::accumulateRows<T, W>(pt, 1, kBK, rq, da + i0 * dvp, dvp, dva, dvp, live4, dvp);
          attn::accumulateRows<T, W>(st, kBK, 1, live, kp, dkp, dqa + i0 * dkp, dkp, rq4, dkp);
          attn::accumulateRows<T, W>(st, 1, kBK, rq, qa + i0 * dkp, dkp, dka, dkp, live4, dkp);
        }
        for (size_t j = 0; j < nk; j++) {
          const size_t row = (b * tk + j0 + j) * H + h;
          // A depth of 0 leaves the scratch rows empty (null): nothing to copy, and memcpy must not see null.
          if (dk) std::memcpy(a.dk + row * dk, dka + j * dkp, dk * sizeof(T));
          if (dv) std::memcpy(a.dv + row * dv, dva + j * dvp, dv * sizeof(T));
        }
      }
      if (dk)
        for (size_t i = 0; i < tq; i++) std::memcpy(a.dq + ((b * tq + i) * H + h) * dk, dqa + i * dkp, dk * sizeof(T));
    }
  }
};

enum class Tiles { Base, Avx2, Avx512, Avx2Wide };

// The float32 tiles: those of the convolutions' choice (convIsa), or, with BACKPROP_ATTENTION_TILES=wide on an
// AVX2 CPU, the AVX-512 path's 16-lane tiles compiled for AVX2, so that their arithmetic is tested on any machine.
Tiles tiles() {
  static const Tiles t = [] {
    const ConvIsa isa = convIsa();
    const char* env = std::getenv("BACKPROP_ATTENTION_TILES");
    if (isa == ConvIsa::Avx512) return Tiles::Avx512;
    if (isa == ConvIsa::Avx2) return env && std::strcmp(env, "wide") == 0 ? Tiles::Avx2Wide : Tiles::Avx2;
    return Tiles::Base;
  }();
  return t;
}

BP_ATTN_AVX512 void forward512(const AttnForward<float>& a, size_t n0, size_t n1) {
  Kernel<float, 16>::forward(a, n0, n1);
}
BP_ATTN_AVX2 void forward256(const AttnForward<float>& a, size_t n0, size_t n1) { Kernel<float, 8>::forward(a, n0, n1); }
BP_ATTN_AVX2 void forwardWide(const AttnForward<float>& a, size_t n0, size_t n1) {
  Kernel<float, 16>::forward(a, n0, n1);
}
void forwardBase(const AttnForward<float>& a, size_t n0, size_t n1) { Kernel<float, 4>::forward(a, n0, n1); }
void forward64(const AttnForward<double>& a, size_t n0, size_t n1) { Kernel<double, 2>::forward(a, n0, n1); }

BP_ATTN_AVX512 void backward512(const AttnBackward<float>& a, size_t n0, size_t n1) {
  Kernel<float, 16>::backward(a, n0, n1);
}
BP_ATTN_AVX2 void backward256(const AttnBackward<float>& a, size_t n0, size_t n1) {
  Kernel<float, 8>::backward(a, n0, n1);
}
BP_ATTN_AVX2 void backwardWide(const AttnBackward<float>& a, size_t n0, size_t n1) {
  Kernel<float, 16>::backward(a, n0, n1);
}
void backwardBase(const AttnBackward<float>& a, size_t n0, size_t n1) { Kernel<float, 4>::backward(a, n0, n1); }
void backward64(const AttnBackward<double>& a, size_t n0, size_t n1) { Kernel<double, 2>::backward(a, n0, n1); }

// Runs fn over the (batch, head) pairs in chunks of the thread pool; each pair is computed whole by one thread.
template <typename F>
void overHeads(const AttnShape& s, F fn) {
  const size_t items = s.batch * s.heads;
  if (items == 0) return;
  const size_t chunks = chunkCount(items);
  parallelChunks(chunks, [&](size_t c) { fn(items * c / chunks, items * (c + 1) / chunks); });
}

}  // namespace

void attentionForward(const AttnForward<float>& a) {
  const Tiles t = tiles();
  overHeads(a.s, [&](size_t n0, size_t n1) {
    if (t == Tiles::Avx512) forward512(a, n0, n1);
    else if (t == Tiles::Avx2) forward256(a, n0, n1);
    else if (t == Tiles::Avx2Wide) forwardWide(a, n0, n1);
    else forwardBase(a, n0, n1);
  });
}

void attentionForward(const AttnForward<double>& a) {
  overHeads(a.s, [&](size_t n0, size_t n1) { forward64(a, n0, n1); });
}

void attentionBackward(const AttnBackward<float>& a) {
  const Tiles t = tiles();
  overHeads(a.s, [&](size_t n0, size_t n1) {
    if (t == Tiles::Avx512) backward512(a, n0, n1);
    else if (t == Tiles::Avx2) backward256(a, n0, n1);
    else if (t == Tiles::Avx2Wide) backwardWide(a, n0, n1);
    else backwardBase(a, n0, n1);
  });
}

void attentionBackward(const AttnBackward<double>& a) {
  overHeads(a.s, [&](size_t n0, size_t n1) { backward64(a, n0, n1); });
}

int attentionLanes() {
  switch (tiles()) {
    case Tiles::Avx512:
    case Tiles::Avx2Wide: return 16;
    case Tiles::Avx2: return 8;
    default: return 4;
  }
}

}  // namespace bp
