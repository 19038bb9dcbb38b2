// Vectorizable float32 exp, sigmoid and tanh for the recurrent kernels, where they are most of the
// elementwise work (an LSTM step of batch 64 × 128 units evaluates 40,960 of them). libm's scalar calls
// stop the compiler from vectorizing a loop; these are branch-free polynomials it turns into SIMD code.
// Accuracy: exp within ~2 ulp of the correctly rounded value (Cephes' expf: Cody-Waite reduction and a
// degree-5 polynomial), sigmoid and tanh within a few ulp, far inside the float32 agreement tolerance with
// the double-precision JS reference. float64 keeps libm (exact agreement matters there, speed less).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace bp {

inline float expApprox(float x) {
  // Clamp so that 2^n stays a normal float: e^-87.3 ≈ 1.2e-38 and e^88 ≈ 1.7e38 (NaN passes through).
  x = x < -87.3f ? -87.3f : x > 88.0f ? 88.0f : x;
  // n = round(x·log2 e) by adding 1.5·2^23 (no floor call, which would stop vectorization on baseline x86-64).
  const float kRound = 12582912.0f;
  float fx = (x * 1.44269504088896341f + kRound) - kRound;
  float r = x - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.0f;
  // A NaN's exponent is taken as 0 (converting NaN to an integer is undefined); y is NaN anyway.
  int32_t bits = (static_cast<int32_t>(fx == fx ? fx : 0.0f) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

inline float sigmoidApprox(float x) { return 1.0f / (1.0f + expApprox(-x)); }

inline float tanhApprox(float x) {
  float a = std::fabs(x);
  // Small |x|: Cephes' tanhf polynomial (1 - 2/(e^2a + 1) would cancel); otherwise through exp.
  float z = a * a;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                  1.33314422036e-1f) * z - 3.33332819422e-1f) * z * a + a;
  float big = 1.0f - 2.0f / (expApprox(2.0f * a) + 1.0f);
  return std::copysign(a < 0.625f ? small : big, x);
}

}  // namespace bp
