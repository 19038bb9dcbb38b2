// Elementary functions for a module without a C library. The double-precision ones (exp, expm1, log, log1p,
// tanh) are accurate to an ulp or two of double, so a float32 result computed through them rounds like the JS
// reference's Math.* (the agreement suite's float32 tolerance is ~10 float ulps). The float vector ones (exp,
// sigmoid, tanh on four lanes) are those of native/fastmath.h, for the recurrent gates where they are most of the
// elementwise work.
#pragma once
#include "base.h"

namespace bp {
namespace m {

BP_INLINE double fabs(double x) { return __builtin_fabs(x); }
BP_INLINE double sqrt(double x) { return __builtin_sqrt(x); }
BP_INLINE double floor(double x) { return __builtin_floor(x); }
BP_INLINE double copysign(double x, double y) { return __builtin_copysign(x, y); }
BP_INLINE bool isnan(double x) { return x != x; }

constexpr double kInf = __builtin_inf();
constexpr double kNaN = __builtin_nan("");
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 with its low 32 bits zero: k·kLn2Hi is exact
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kInvLn2 = 1.44269504088896338700e+00;

// 2^k for an integer k in [-1074, 1023] (two steps below the normal range).
BP_INLINE double pow2(int k) {
  if (k < -1022) return pow2(k + 600) * __builtin_bit_cast(double, uint64_t(1023 - 600) << 52);
  return __builtin_bit_cast(double, static_cast<uint64_t>(k + 1023) << 52);
}

// e^r - 1 for |r| <= 0.35: the Taylor series to r^14 (truncation below 1e-19 relative).
BP_INLINE double expm1Small(double r) {
  double p = 1.0 / 87178291200.0;
  p = p * r + 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  return r + r * r * p;
}

inline double exp(double x) {
  if (isnan(x)) return x;
  if (x > 709.782712893384) return kInf;
  if (x < -745.1332191019412) return 0.0;
  const double kd = floor(x * kInvLn2 + 0.5);
  const int k = static_cast<int>(kd);
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  const double e = 1.0 + expm1Small(r);
  if (k > 1023) return e * 2.0 * pow2(k - 1);
  return e * pow2(k);
}

inline double expm1(double x) {
  if (fabs(x) <= 0.34657359027997264) return expm1Small(x);
  if (x < -40.0) return -1.0;
  return exp(x) - 1.0;
}

inline double log(double x) {
  if (isnan(x) || x < 0) return kNaN;
  if (x == 0) return -kInf;
  if (x == kInf) return x;
  int e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984.0;  // 2^54: subnormals to normal
    e = -54;
  }
  uint64_t bits = __builtin_bit_cast(uint64_t, x);
  e += static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & ((uint64_t(1) << 52) - 1)) | (uint64_t(1023) << 52);
  double mant = __builtin_bit_cast(double, bits);  // in [1, 2)
  if (mant > 1.4142135623730951) {
    mant *= 0.5;
    e += 1;
  }
  // fdlibm's form: log(1 + f) = f - hfsq + s·(hfsq + R), s = f/(2+f), R = Σ_k 2·z^k/(2k+1), z = s², |s| <= 0.1716.
  const double f = mant - 1.0, hfsq = 0.5 * f * f, s = f / (2.0 + f), z = s * s;
  double R = 2.0 / 23.0;
  R = R * z + 2.0 / 21.0;
  R = R * z + 2.0 / 19.0;
  R = R * z + 2.0 / 17.0;
  R = R * z + 2.0 / 15.0;
  R = R * z + 2.0 / 13.0;
  R = R * z + 2.0 / 11.0;
  R = R * z + 2.0 / 9.0;
  R = R * z + 2.0 / 7.0;
  R = R * z + 2.0 / 5.0;
  R = R * z + 2.0 / 3.0;
  R *= z;
  const double logm = f - (hfsq - s * (hfsq + R));
  const double de = static_cast<double>(e);
  return (de * kLn2Lo + logm) + de * kLn2Hi;
}

inline double log1p(double x) {
  if (isnan(x) || x < -1.0) return kNaN;
  if (x == -1.0) return -kInf;
  if (x == kInf) return x;
  const double u = 1.0 + x;
  if (u == 1.0) return x;
  // log(u)·x/(u-1) corrects the rounding of 1 + x (Goldberg).
  return log(u) * (x / (u - 1.0));
}

inline double tanh(double x) {
  const double a = fabs(x);
  if (isnan(x)) return x;
  if (a > 22.0) return copysign(1.0, x);
  if (a < 3.7252902984e-09) return x;
  const double t = expm1(2.0 * a);
  return copysign(t / (t + 2.0), x);
}

// x^n for an integer n >= 1 (Adam's bias corrections), by squaring.
inline double powInt(double x, double n) {
  double r = 1.0, b = x;
  uint64_t k = n >= 9.0e15 ? uint64_t(9.0e15) : static_cast<uint64_t>(n);
  while (k) {
    if (k & 1) r *= b;
    b *= b;
    k >>= 1;
  }
  return r;
}

// ---- float32 × 4 (native/fastmath.h's polynomials, lane by lane the same arithmetic) ----------------------------

BP_INLINE f4 exp4(f4 x) {
  x = (f4)wasm_f32x4_pmin((v128_t)splat4(88.0f), (v128_t)x);    // 88 < x ? 88 : x
  x = (f4)wasm_f32x4_pmax((v128_t)splat4(-87.3f), (v128_t)x);   // -87.3 > ... (NaN passes: comparisons fail)
  const f4 kRound = splat4(12582912.0f);
  const f4 fx = (x * splat4(1.44269504088896341f) + kRound) - kRound;
  f4 r = x - fx * splat4(0.693359375f);
  r = r - fx * splat4(-2.12194440e-4f);
  f4 p = splat4(1.9875691500e-4f);
  p = p * r + splat4(1.3981999507e-3f);
  p = p * r + splat4(8.3334519073e-3f);
  p = p * r + splat4(4.1665795894e-2f);
  p = p * r + splat4(1.6666665459e-1f);
  p = p * r + splat4(5.0000001201e-1f);
  const f4 y = p * (r * r) + r + splat4(1.0f);
  // NaN lanes convert to 0 (saturating conversion): y is NaN there anyway.
  const i4 n = (i4)wasm_i32x4_trunc_sat_f32x4((v128_t)fx);
  const i4 bits = (n + i4{127, 127, 127, 127}) << 23;
  return y * (f4)bits;
}

BP_INLINE f4 sigmoid4(f4 x) { return splat4(1.0f) / (splat4(1.0f) + exp4(-x)); }

BP_INLINE f4 tanh4(f4 x) {
  const f4 a = (f4)wasm_f32x4_abs((v128_t)x);
  const f4 z = a * a;
  const f4 small = ((((splat4(-5.70498872745e-3f) * z + splat4(2.06390887954e-2f)) * z - splat4(5.37397155531e-2f)) * z +
                     splat4(1.33314422036e-1f)) * z - splat4(3.33332819422e-1f)) * z * a + a;
  const f4 big = splat4(1.0f) - splat4(2.0f) / (exp4(splat4(2.0f) * a) + splat4(1.0f));
  const i4 useSmall = a < splat4(0.625f);
  const f4 mag = (f4)wasm_v128_bitselect((v128_t)small, (v128_t)big, (v128_t)useSmall);
  // copysign: the magnitude's bits with x's sign bit.
  const i4 sign = (i4)x & i4{INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
  return (f4)(((i4)mag & i4{INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX}) | sign);
}

}  // namespace m
}  // namespace bp
