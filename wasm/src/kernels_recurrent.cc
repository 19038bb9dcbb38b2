// Exports: SimpleRNN, LSTM and GRU over a whole sequence (native/recurrent.h and native/gru.h; formulas and layouts
// in src/backend/ops.ts). Per step: one gemm of the previous state with the recurrent kernel into that step's
// block of the input projection (one gemm for all steps), then one pass over the gates. Backward through time
// writes the gate gradients over the gates and takes the weight gradients as one gemm over all steps. The gemms
// run on the pool; the gate passes are short and run on the op's thread.
#include "recurrent.h"

using namespace bp;
using namespace bp::rnn;

#define BP_TRY(call)                  \
  do {                                \
    if (!(call)) return kOutOfMemory; \
  } while (0)

namespace {

int simpleRnnForward(const Exec& ex, const float* x, const float* W, const float* U, const float* bias,
                     const float* mask, float* xT, float* z, float* hs, float* y, size_t B, size_t S, size_t I,
                     size_t N, int act, bool back) {
  toTimeMajor(x, xT, B, S, I, back);
  BP_TRY(gemmLd(ex, false, false, S * B, N, I, 1.0f, xT, I, W, N, 0.0f, z, N));
  for (size_t s = 0; s < S; s++) {
    const size_t t = back ? S - 1 - s : s;
    float* zs = z + s * B * N;
    float* h = hs + s * B * N;
    const float* hp = s ? h - B * N : nullptr;
    if (hp) BP_TRY(gemmLd(ex, false, false, B, N, N, 1.0f, hp, N, U, N, 1.0f, zs, N));
    for (size_t b = 0; b < B; b++) {
      float* zr = zs + b * N;
      float* hr = h + b * N;
      if (bias)
        for (size_t j = 0; j < N; j++) zr[j] += bias[j];
      if (keeps(mask, b, S, t)) {
        copy(hr, zr, N);
        activateInPlace(act, hr, N);
      } else if (hp) {
        copy(hr, hp + b * N, N);
      } else {
        fill(hr, N, 0.0f);
      }
    }
    if (y) storeStep(hs, y, s, B, S, N);
  }
  return kOk;
}

int simpleRnnBackward(const Exec& ex, float* xT, const float* W, const float* U, const float* mask, float* z,
                      const float* hs, const float* dySeq, const float* dyLast, float* dK, float* dU, float* db,
                      float* dx, float* dh, size_t B, size_t S, size_t I, size_t N, int act, bool back) {
  if (dyLast) copy(dh, dyLast, B * N);
  else fill(dh, B * N, 0.0f);
  if (db) fill(db, N, 0.0f);
  for (size_t s = S; s-- > 0;) {
    const size_t t = back ? S - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, B, S, N);
    float* zs = z + s * B * N;
    for (size_t b = 0; b < B; b++) {
      float* zr = zs + b * N;
      if (!keeps(mask, b, S, t)) {
        fill(zr, N, 0.0f);
        continue;
      }
      const float* hr = hs + (s * B + b) * N;
      float* d = dh + b * N;
      for (size_t j = 0; j < N; j++) {
        zr[j] = d[j] * derivativeFromOutput(act, hr[j]);
        d[j] = 0.0f;
      }
    }
    if (db) addColumnSums(zs, B, N, N, db);
    if (s) BP_TRY(gemmLd(ex, false, true, B, N, N, 1.0f, zs, N, U, N, 1.0f, dh, N));
  }
  BP_TRY(weightGradients(ex, xT, hs, z, dK, dU, B, S, I, N, N));
  if (dx) BP_TRY(inputGradient(ex, z, W, xT, dx, B, S, I, N, back));
  return kOk;
}

int lstmForward(const Exec& ex, const float* x, const float* W, const float* U, const float* bias, const float* mask,
                float* xT, float* gates, float* cells, float* hs, float* y, size_t B, size_t S, size_t I, size_t N,
                int act, int rec, bool back) {
  const size_t G = 4 * N;
  toTimeMajor(x, xT, B, S, I, back);
  BP_TRY(gemmLd(ex, false, false, S * B, G, I, 1.0f, xT, I, W, G, 0.0f, gates, G));
  for (size_t s = 0; s < S; s++) {
    const size_t t = back ? S - 1 - s : s;
    float* g = gates + s * B * G;
    float* cs = cells + s * B * N;
    float* h = hs + s * B * N;
    if (s) BP_TRY(gemmLd(ex, false, false, B, G, N, 1.0f, h - B * N, N, U, G, 1.0f, g, G));
    for (size_t b = 0; b < B; b++) {
      float* gr = g + b * G;
      if (bias)
        for (size_t j = 0; j < G; j++) gr[j] += bias[j];
      activateInPlace(rec, gr, 2 * N);
      activateInPlace(act, gr + 2 * N, N);
      activateInPlace(rec, gr + 3 * N, N);
      float* c = cs + b * N;
      float* hr = h + b * N;
      const float* cp = s ? c - B * N : nullptr;
      if (!keeps(mask, b, S, t)) {
        if (cp) {
          copy(c, cp, N);
          copy(hr, hr - B * N, N);
        } else {
          fill(c, N, 0.0f);
          fill(hr, N, 0.0f);
        }
        continue;
      }
      const float *ig = gr, *fg = gr + N, *cg = gr + 2 * N, *og = gr + 3 * N;
      if (cp)
        for (size_t j = 0; j < N; j++) c[j] = fg[j] * cp[j] + ig[j] * cg[j];
      else
        for (size_t j = 0; j < N; j++) c[j] = fg[j] * 0.0f + ig[j] * cg[j];
      copy(hr, c, N);
      activateInPlace(act, hr, N);
      for (size_t j = 0; j < N; j++) hr[j] *= og[j];
    }
    if (y) storeStep(hs, y, s, B, S, N);
  }
  return kOk;
}

int lstmBackward(const Exec& ex, float* xT, const float* W, const float* U, const float* mask, float* gates,
                 float* cells, const float* hs, const float* dySeq, const float* dyLast, float* dK, float* dU,
                 float* db, float* dx, float* dh, float* dc, size_t B, size_t S, size_t I, size_t N, int act, int rec,
                 bool back) {
  const size_t G = 4 * N;
  if (dyLast) copy(dh, dyLast, B * N);
  else fill(dh, B * N, 0.0f);
  fill(dc, B * N, 0.0f);
  if (db) fill(db, G, 0.0f);
  for (size_t s = S; s-- > 0;) {
    const size_t t = back ? S - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, B, S, N);
    float* g = gates + s * B * G;
    float* cs = cells + s * B * N;
    // c_s is needed from here on only as act(c_s) (c_{s-1} stays as it is for this step).
    activateInPlace(act, cs, B * N);
    for (size_t b = 0; b < B; b++) {
      float* gr = g + b * G;
      if (!keeps(mask, b, S, t)) {
        fill(gr, G, 0.0f);
        continue;
      }
      const float* tc = cs + b * N;
      const float* cp = s ? cells + ((s - 1) * B + b) * N : nullptr;
      float* dhr = dh + b * N;
      float* dcr = dc + b * N;
      float *ig = gr, *fg = gr + N, *cg = gr + 2 * N, *og = gr + 3 * N;
      for (size_t j = 0; j < N; j++) {
        const float i = ig[j], f = fg[j], c = cg[j], o = og[j], th = tc[j], dhv = dhr[j];
        const float cpv = cp ? cp[j] : 0.0f;
        const float dcv = dcr[j] + dhv * o * derivativeFromOutput(act, th);
        ig[j] = dcv * c * derivativeFromOutput(rec, i);
        fg[j] = dcv * cpv * derivativeFromOutput(rec, f);
        cg[j] = dcv * i * derivativeFromOutput(act, c);
        og[j] = dhv * th * derivativeFromOutput(rec, o);
        dcr[j] = dcv * f;
        dhr[j] = 0.0f;
      }
    }
    if (db) addColumnSums(g, B, G, G, db);
    if (s) BP_TRY(gemmLd(ex, false, true, B, N, G, 1.0f, g, G, U, G, 1.0f, dh, N));
  }
  BP_TRY(weightGradients(ex, xT, hs, gates, dK, dU, B, S, I, N, G));
  if (dx) BP_TRY(inputGradient(ex, gates, W, xT, dx, B, S, I, G, back));
  return kOk;
}

int gruForward(const Exec& ex, const float* x, const float* W, const float* U, const float* bias, const float* rbias,
               const float* mask, float* xT, float* gates, float* rh, float* hs, float* scratch, float* y, size_t B,
               size_t S, size_t I, size_t N, int act, int rec, bool resetAfter, bool back) {
  const size_t G = 3 * N;
  toTimeMajor(x, xT, B, S, I, back);
  BP_TRY(gemmLd(ex, false, false, S * B, G, I, 1.0f, xT, I, W, G, 0.0f, gates, G));
  for (size_t s = 0; s < S; s++) {
    const size_t t = back ? S - 1 - s : s;
    float* g = gates + s * B * G;
    float* h = hs + s * B * N;
    float* rhs = rh + s * B * N;
    const float* hp = s ? h - B * N : nullptr;
    if (resetAfter) {
      if (hp) BP_TRY(gemmLd(ex, false, false, B, G, N, 1.0f, hp, N, U, G, 0.0f, scratch, G));
      else fill(scratch, B * G, 0.0f);
      if (rbias)
        for (size_t b = 0; b < B; b++)
          for (size_t j = 0; j < G; j++) scratch[b * G + j] += rbias[j];
    } else if (hp) {
      BP_TRY(gemmLd(ex, false, false, B, 2 * N, N, 1.0f, hp, N, U, G, 1.0f, g, G));
    }
    for (size_t b = 0; b < B; b++) {
      float* gr = g + b * G;
      float* rhr = rhs + b * N;
      if (bias)
        for (size_t j = 0; j < G; j++) gr[j] += bias[j];
      if (resetAfter) {
        const float* sr = scratch + b * G;
        for (size_t j = 0; j < 2 * N; j++) gr[j] += sr[j];
        activateInPlace(rec, gr, 2 * N);
        for (size_t j = 0; j < N; j++) {
          rhr[j] = sr[2 * N + j];
          gr[2 * N + j] += gr[N + j] * rhr[j];
        }
      } else {
        activateInPlace(rec, gr, 2 * N);
        if (hp)
          for (size_t j = 0; j < N; j++) rhr[j] = gr[N + j] * hp[b * N + j];
        else
          fill(rhr, N, 0.0f);
      }
    }
    if (!resetAfter && hp) BP_TRY(gemmLd(ex, false, false, B, N, N, 1.0f, rhs, N, U + 2 * N, G, 1.0f, g + 2 * N, G));
    for (size_t b = 0; b < B; b++) {
      float* gr = g + b * G;
      float* hr = h + b * N;
      activateInPlace(act, gr + 2 * N, N);
      const float* z = gr;
      const float* hh = gr + 2 * N;
      const bool keep = keeps(mask, b, S, t);
      if (hp) {
        const float* hpr = hp + b * N;
        if (keep)
          for (size_t j = 0; j < N; j++) hr[j] = z[j] * hpr[j] + (1.0f - z[j]) * hh[j];
        else
          copy(hr, hpr, N);
      } else {
        if (keep)
          for (size_t j = 0; j < N; j++) hr[j] = z[j] * 0.0f + (1.0f - z[j]) * hh[j];
        else
          fill(hr, N, 0.0f);
      }
    }
    if (y) storeStep(hs, y, s, B, S, N);
  }
  return kOk;
}

int gruBackward(const Exec& ex, float* xT, const float* W, const float* U, const float* mask, float* gates, float* rh,
                const float* hs, const float* dySeq, const float* dyLast, float* dK, float* dU, float* db, float* drb,
                float* dx, float* dh, float* scratch, size_t B, size_t S, size_t I, size_t N, int act, int rec,
                bool resetAfter, bool back) {
  const size_t G = 3 * N;
  if (dyLast) copy(dh, dyLast, B * N);
  else fill(dh, B * N, 0.0f);
  if (db) fill(db, G, 0.0f);
  if (drb) fill(drb, G, 0.0f);
  for (size_t s = S; s-- > 0;) {
    const size_t t = back ? S - 1 - s : s;
    if (dySeq) addStepGradient(dySeq, dh, s, B, S, N);
    float* g = gates + s * B * G;
    float* rhs = rh + s * B * N;
    const float* hp = s ? hs + (s - 1) * B * N : nullptr;
    for (size_t b = 0; b < B; b++) {
      float* gr = g + b * G;
      float* rhr = rhs + b * N;
      float* sr = scratch + b * G;
      if (!keeps(mask, b, S, t)) {
        fill(gr, G, 0.0f);
        if (resetAfter) {
          fill(sr, G, 0.0f);
          fill(rhr, N, 0.0f);
        }
        continue;
      }
      float* d = dh + b * N;
      const float* hpr = hp ? hp + b * N : nullptr;
      for (size_t j = 0; j < N; j++) {
        const float z = gr[j], r = gr[N + j], hh = gr[2 * N + j], dhv = d[j];
        const float hpv = hpr ? hpr[j] : 0.0f;
        const float dz = dhv * (hpv - hh) * derivativeFromOutput(rec, z);
        const float dah = dhv * (1.0f - z) * derivativeFromOutput(act, hh);
        gr[j] = dz;
        gr[2 * N + j] = dah;
        d[j] = dhv * z;
        if (resetAfter) {
          const float drv = dah * rhr[j] * derivativeFromOutput(rec, r);
          const float dhu = dah * r;
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
      if (s) BP_TRY(gemmLd(ex, false, true, B, N, G, 1.0f, scratch, G, U, G, 1.0f, dh, N));
      continue;
    }
    // d(r·h) = dA_h·U_hᵀ into scratch, then dr and the r·h part of dh; then the z, r columns' part of dh.
    BP_TRY(gemmLd(ex, false, true, B, N, N, 1.0f, g + 2 * N, G, U + 2 * N, G, 0.0f, scratch, N));
    for (size_t b = 0; b < B; b++) {
      if (!keeps(mask, b, S, t)) continue;
      float* gr = g + b * G;
      float* d = dh + b * N;
      const float* drh = scratch + b * N;
      const float* hpr = hp ? hp + b * N : nullptr;
      for (size_t j = 0; j < N; j++) {
        const float r = gr[N + j];
        const float hpv = hpr ? hpr[j] : 0.0f;
        gr[N + j] = drh[j] * hpv * derivativeFromOutput(rec, r);
        d[j] += drh[j] * r;
      }
    }
    if (db) addColumnSums(g, B, G, G, db);
    if (s) BP_TRY(gemmLd(ex, false, true, B, N, 2 * N, 1.0f, g, G, U, G, 1.0f, dh, N));
  }
  const size_t rows = S * B, prev = rows > B ? rows - B : 0;
  BP_TRY(gemmLd(ex, true, false, I, G, rows, 1.0f, xT, I, gates, G, 0.0f, dK, G));
  BP_TRY(gemmLd(ex, true, false, N, 2 * N, prev, 1.0f, hs, N, gates + B * G, G, 0.0f, dU, G));
  if (resetAfter) BP_TRY(gemmLd(ex, true, false, N, N, prev, 1.0f, hs, N, rh + B * N, N, 0.0f, dU + 2 * N, G));
  else BP_TRY(gemmLd(ex, true, false, N, N, rows, 1.0f, rh, N, gates + 2 * N, G, 0.0f, dU + 2 * N, G));
  if (dx) BP_TRY(inputGradient(ex, gates, W, xT, dx, B, S, I, G, back));
  return kOk;
}

}  // namespace

BP_EXPORT("simpleRnnForward")
double bpSimpleRnnForward(int32_t* status, int pooled, const float* x, const float* W, const float* U,
                          const float* bias, const float* mask, float* xT, float* z, float* hs, float* y, int B, int S,
                          int I, int N, int act, int back) {
  *status = simpleRnnForward(execOf(pooled), x, W, U, bias, mask, xT, z, hs, y, B, S, I, N, act, back != 0);
  return 0;
}

BP_EXPORT("simpleRnnBackward")
double bpSimpleRnnBackward(int32_t* status, int pooled, float* xT, const float* W, const float* U, const float* mask,
                           float* z, const float* hs, const float* dySeq, const float* dyLast, float* dK, float* dU,
                           float* db, float* dx, float* dh, int B, int S, int I, int N, int act, int back) {
  *status = simpleRnnBackward(execOf(pooled), xT, W, U, mask, z, hs, dySeq, dyLast, dK, dU, db, dx, dh, B, S, I, N,
                              act, back != 0);
  return 0;
}

BP_EXPORT("lstmForward")
double bpLstmForward(int32_t* status, int pooled, const float* x, const float* W, const float* U, const float* bias,
                     const float* mask, float* xT, float* gates, float* cells, float* hs, float* y, int B, int S, int I,
                     int N, int act, int rec, int back) {
  *status = lstmForward(execOf(pooled), x, W, U, bias, mask, xT, gates, cells, hs, y, B, S, I, N, act, rec, back != 0);
  return 0;
}

BP_EXPORT("lstmBackward")
double bpLstmBackward(int32_t* status, int pooled, float* xT, const float* W, const float* U, const float* mask,
                      float* gates, float* cells, const float* hs, const float* dySeq, const float* dyLast, float* dK,
                      float* dU, float* db, float* dx, float* dh, float* dc, int B, int S, int I, int N, int act,
                      int rec, int back) {
  *status = lstmBackward(execOf(pooled), xT, W, U, mask, gates, cells, hs, dySeq, dyLast, dK, dU, db, dx, dh, dc, B, S,
                         I, N, act, rec, back != 0);
  return 0;
}

BP_EXPORT("gruForward")
double bpGruForward(int32_t* status, int pooled, const float* x, const float* W, const float* U, const float* bias,
                    const float* rbias, const float* mask, float* xT, float* gates, float* rh, float* hs,
                    float* scratch, float* y, int B, int S, int I, int N, int act, int rec, int resetAfter, int back) {
  *status = gruForward(execOf(pooled), x, W, U, bias, rbias, mask, xT, gates, rh, hs, scratch, y, B, S, I, N, act, rec,
                       resetAfter != 0, back != 0);
  return 0;
}

BP_EXPORT("gruBackward")
double bpGruBackward(int32_t* status, int pooled, float* xT, const float* W, const float* U, const float* mask,
                     float* gates, float* rh, const float* hs, const float* dySeq, const float* dyLast, float* dK,
                     float* dU, float* db, float* drb, float* dx, float* dh, float* scratch, int B, int S, int I, int N,
                     int act, int rec, int resetAfter, int back) {
  *status = gruBackward(execOf(pooled), xT, W, U, mask, gates, rh, hs, dySeq, dyLast, dK, dU, db, drb, dx, dh, scratch,
                        B, S, I, N, act, rec, resetAfter != 0, back != 0);
  return 0;
}
