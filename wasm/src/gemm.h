// Single-precision matrix product for the WebAssembly backend: BLIS-style blocking (B packed once into column
// slivers, A packed per block into row slivers) around a register tile of 128-bit vectors. Every element of C is
// summed over k in one fixed order (blocks of kKc in order, then k within a block), whatever the split of C into
// tasks, so results do not depend on the thread count.
#pragma once
#include "base.h"

namespace bp {

// A strided matrix view: element (i, j) at p[i·rs + j·cs].
struct Mat {
  const float* p;
  size_t rs, cs;
};

// Row-major m×k (or, transposed, the k×m array read as its transpose) as a Mat.
BP_INLINE Mat rowMajor(const float* p, size_t ld, bool trans) { return trans ? Mat{p, 1, ld} : Mat{p, ld, 1}; }

// C = alpha·A·B + beta·C for A m×k, B k×n, C m×n with row stride ldc. With beta = 0, C is not read.
// Returns false when scratch memory could not be allocated (C then is unchanged).
bool gemm(const Exec& ex, size_t m, size_t n, size_t k, float alpha, Mat a, Mat b, float beta, float* c, size_t ldc);

}  // namespace bp
