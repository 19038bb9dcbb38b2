// Winograd convolution F(2×2, 3×3) for float32 3×3 convolutions at stride 1 (Lavin & Gray, 2015): each 2×2 block
// of outputs comes from a 4×4 input patch with 16 multiplications per channel pair instead of 36, as 16 small
// matrix products (one per transformed position) between the transformed input patches and the transformed
// kernel. Backward uses the same forward on the zero-padded output gradient with the flipped kernel (dX), and
// F(3×3, 2×2) for the kernel gradient (dW: each 2×2 block of the output gradient against its 4×4 input patch,
// summed over blocks and samples in the transformed domain, transformed back once). 2.25× fewer multiply-adds
// than the direct kernels; results differ from them by rounding only (the transforms add and halve).
#pragma once
#include "conv_geometry.h"

namespace bp {

// Whether this convolution takes the Winograd path: 3×3, stride 1, dilation 1, one group, at least 16 input and
// a multiple of 8 of both input and output channels, padding at most 2 before (what 'valid' and 'same' give).
bool winogradSupported(const ConvGeom& g);

void winogradForward(const float* x, const float* w, const float* b, float* z, float* y, const ConvGeom& g, int act,
                     double alpha);

void winogradBackward(const float* x, const float* w, const float* z, const float* y, const float* dy, float* dz,
                      float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha);

}  // namespace bp
