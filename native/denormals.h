// Flush-to-zero for the optimizer kernels. Optimizer state decays geometrically wherever a gradient is
// exactly zero (dead ReLU units, unused inputs): Adam's m shrinks by beta1 each step and spends ~150 steps
// in float32's denormal range before reaching 0. x86 cores take a microcode assist on denormal operands,
// which made Adam over a 784-256 layer ~2.5x slower in real training than on normal numbers. TensorFlow
// runs its CPU kernels with FTZ/DAZ for the same reason. Values below the smallest normal number
// (1.2e-38 in float32, 2.2e-308 in float64) become 0; nothing larger changes.
#pragma once
#if defined(__SSE2__) || defined(__x86_64__)
#include <xmmintrin.h>
#define BP_HAVE_MXCSR 1
#endif

namespace bp {

// Scoped: MXCSR is per thread and belongs to the caller (Node's main thread or a libuv worker), so the
// previous mode is restored on exit.
class FlushDenormals {
 public:
#ifdef BP_HAVE_MXCSR
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtz | kDaz); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
#else
  FlushDenormals() {}
#endif
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
#ifdef BP_HAVE_MXCSR
  static constexpr unsigned kFtz = 0x8000, kDaz = 0x0040;
  unsigned saved_;
#endif
};

}  // namespace bp
