// The GRU over a whole sequence, both variants (formulas and layouts in src/backend/ops.ts; the JS reference
// is src/backend/js/gru.ts). resetAfter false (TF.js): per step a gemm of h with the z, r columns of the
// recurrent kernel, then one of r·h with its h columns. resetAfter true (Keras): one gemm of h with the
// whole recurrent kernel into `scratch`. Arguments are checked by the exports (exports_sequence.cc).
#pragma once
#include "recurrent.h"

namespace bp {
namespace rnn {

template <typename T>
BP_SEQ_CLONES void gruForward(const T* x, const T* W, const T* U, const T* bias, const T* rbias, const T* mask, T* xT,
                          T* gates, T* rh, T* hs, T* scratch, T* y, size_t B, size_t S, size_t I, size_t N, int act,
                          int rec, bool resetAfter, bool back) {
  const size_t G = 3 * N;
  toTimeMajor(x, xT, B, S, I, back);
  gemmLd(false, false, S * B, G, I, 1.0, xT, I, W, G, 0.0, gates, G);
  for (size_t s = 0; s < S; s++) {
    size_t t = back ? S - 1 - s : s;
    T* g = gates + s * B * G;
    T* h = hs + s * B * N;
    T* rhs = rh + s * B * N;
    const T* hp = s ? h - B * N : nullptr;
    if (resetAfter) {
      if (hp) gemmLd(false, false, B, G, N, 1.0, hp, N, U, G, 0.0, scratch, G);
      else std::fill(scratch, scratch + B * G, T(0));
      if (rbias) for (size_t b = 0; b < B; b++) for (size_t j = 0; j < G; j++) scratch[b * G + j] += rbias[j];
    } else if (hp) {
      gemmLd(false, false, B, 2 * N, N, 1.0, hp, N, U, G, 1.0, g, G);
    }
    for (size_t b = 0; b < B; b++) {
      T* gr = g + b * G;
      T* rhr = rhs + b * N;
      if (bias) for (size_t j = 0; j < G; j++) gr[j] += bias[j];
      if (resetAfter) {
        const T* sr = scratch + b * G;
        for (size_t j = 0; j < 2 * N; j++) gr[j] += sr[j];
        activateInPlace(rec, gr, 2 * N);
        for (size_t j = 0; j < N; j++) {
          rhr[j] = sr[2 * N + j];
          gr[2 * N + j] += gr[N + j] * rhr[j];
        }
      } else {
        activateInPlace(rec, gr, 2 * N);
        if (hp) for (size_t j = 0; j < N; j++) rhr[j] = gr[N + j] * hp[b * N + j];
        else std::fill(rhr, rhr + N, T(0));
      }
    }
    if (!resetAfter && hp) gemmLd(false, false, B, N, N, 1.0, rhs, N, U + 2 * N, G, 1.0, g + 2 * N, G);
    for (size_t b = 0; b < B; b++) {
      T* gr = g + b * G;
      T* hr = h + b * N;
      activateInPlace(act, gr + 2 * N, N);
      const T* z = gr;
      const T* hh = gr + 2 * N;
      bool keep = keeps(mask, b, S, t);
      if (hp) {
        const T* hpr = hp + b * N;
        if (keep) for (size_t j = 0; j < N; j++) hr[j] = z[j] * hpr[j] + (T(1) - z[j]) * hh[j];
        else std::memcpy(hr, hpr, N * sizeof(T));
      } else {
        if (keep) for (size_t j = 0; j < N; j++) hr[j] = z[j] * T(0) + (T(1) - z[j]) * hh[j];
        else std::fill(hr, hr + N, T(0));
      }
    }
    if (y) storeStep(hs, y, s, B, S, N);
  }
}

template <typename T, typename DA, typename DR>
BP_SEQ_CLONES void gruBackwardSteps(const T* U, const T* mask, T* gates, T* rh, const T* hs, const T* dySeq, T* dh,
                                T* scratch, T* db, T* drb, size_t B, size_t S, size_t N, bool resetAfter, bool back,
                                DA da, DR dr) {
  const size_t G = 3 * N;
  for (size_t s = S; s-- > 0;) {
    size_t t = back ? S - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, B, S, N);
    T* g = gates + s * B * G;
    T* rhs = rh + s * B * N;
    const T* hp = s ? hs + (s - 1) * B * N : nullptr;
    for (size_t b = 0; b < B; b++) {
      T* gr = g + b * G;
      T* rhr = rhs + b * N;
      T* sr = scratch + b * G;
      if (!keeps(mask, b, S, t)) {
        std::fill(gr, gr + G, T(0));
        if (resetAfter) {
          std::fill(sr, sr + G, T(0));
          std::fill(rhr, rhr + N, T(0));
        }
        continue;
      }
      T* d = dh + b * N;
      const T* hpr = hp ? hp + b * N : nullptr;
      for (size_t j = 0; j < N; j++) {
        T z = gr[j], r = gr[N + j], hh = gr[2 * N + j], dhv = d[j];
        T hpv = hpr ? hpr[j] : T(0);
        T dz = dhv * (hpv - hh) * dr(z);
        T dah = dhv * (T(1) - z) * da(hh);
        gr[j] = dz;
        gr[2 * N + j] = dah;
        d[j] = dhv * z;
        if (resetAfter) {
          T drv = dah * rhr[j] * dr(r);
          T dhu = dah * r;
          gr[N + j] = drv;
          sr[j] = dz;
          sr[N + j] = drv;
          sr[2 * N + j] = dhu;
          rhr[j] = dhu;
        }
      }
    }
    if (resetAfter) {
      if (db) addColumnSums(g, B, G, G, db);
      if (drb) {
        addColumnSums(g, B, 2 * N, G, drb);
        addColumnSums(rhs, B, N, N, drb + 2 * N);
      }
      if (s) gemmLd(false, true, B, N, G, 1.0, scratch, G, U, G, 1.0, dh, N);
      continue;
    }
    // d(r·h) = dA_h·U_hᵀ into scratch, then dr and the r·h part of dh; then the z, r columns' part of dh.
    gemmLd(false, true, B, N, N, 1.0, g + 2 * N, G, U + 2 * N, G, 0.0, scratch, N);
    for (size_t b = 0; b < B; b++) {
      if (!keeps(mask, b, S, t)) continue;
      T* gr = g + b * G;
      T* d = dh + b * N;
      const T* drh = scratch + b * N;
      const T* hpr = hp ? hp + b * N : nullptr;
      for (size_t j = 0; j < N; j++) {
        T r = gr[N + j];
        T hpv = hpr ? hpr[j] : T(0);
        gr[N + j] = drh[j] * hpv * dr(r);
        d[j] += drh[j] * r;
      }
    }
    if (db) addColumnSums(g, B, G, G, db);
    if (s) gemmLd(false, true, B, N, 2 * N, 1.0, g, G, U, G, 1.0, dh, N);
  }
}

template <typename T>
void gruBackward(T* xT, const T* W, const T* U, const T* mask, T* gates, T* rh, const T* hs, const T* dySeq,
                 const T* dyLast, T* dK, T* dU, T* db, T* drb, T* dx, T* dh, T* scratch, size_t B, size_t S, size_t I,
                 size_t N, int act, int rec, bool resetAfter, bool back) {
  const size_t G = 3 * N;
  if (dyLast) std::memcpy(dh, dyLast, B * N * sizeof(T));
  else std::fill(dh, dh + B * N, T(0));
  if (db) std::fill(db, db + G, T(0));
  if (drb) std::fill(drb, drb + G, T(0));
  withDerivative(act, [&](auto da) {
    withDerivative(rec, [&](auto dr) {
      gruBackwardSteps(U, mask, gates, rh, hs, dySeq, dh, scratch, db, drb, B, S, N, resetAfter, back, da, dr);
    });
  });
  size_t rows = S * B, prev = rows > B ? rows - B : 0;
  gemmLd(true, false, I, G, rows, 1.0, xT, I, gates, G, 0.0, dK, G);
  gemmLd(true, false, N, 2 * N, prev, 1.0, hs, N, gates + B * G, G, 0.0, dU, G);
  if (resetAfter) gemmLd(true, false, N, N, prev, 1.0, hs, N, rh + B * N, N, 0.0, dU + 2 * N, G);
  else gemmLd(true, false, N, N, rows, 1.0, rh, N, gates + 2 * N, G, 0.0, dU + 2 * N, G);
  if (dx) inputGradient(gates, W, xT, dx, B, S, I, G, back);
}

}  // namespace rnn
}  // namespace bp
