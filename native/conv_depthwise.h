// graph-model layers: depthwise convolutions (groups = inC > 1, each input channel convolved with its own
// depthMultiplier filters: DepthwiseConv2D, and the first half of SeparableConv2D), float32 and float64. The
// im2col path would run one tiny gemm (n = depthMultiplier) per group and panel; here each output pixel
// accumulates its clipped window tap by tap with the channels innermost (contiguous in NHWC, so the loops
// vectorize), bias and activation on the row while it is in cache. The batch is split into chunks of whole
// samples on the convolution thread pool; dW is summed per sample, then per chunk in float64, then over chunks in
// chunk order, so a given thread count gives the same bits whatever the scheduling.
#pragma once
#include "conv_geometry.h"

namespace bp {

// Whether this convolution takes the depthwise kernels: one group per input channel (more than one channel),
// unless BACKPROP_CONV_KERNELS=blas asks for im2col + OpenBLAS everywhere.
bool depthwiseSupported(const ConvGeom& g);

template <typename T>
void depthwiseForward(const T* x, const T* w, const T* b, T* z, T* y, const ConvGeom& g, int act, double alpha);

// dz = f'(z) ⊙ dy (dz may be dy), dw and db (null: skipped) overwritten, dx (null: skipped) overwritten.
template <typename T>
void depthwiseBackward(const T* x, const T* w, const T* z, const T* y, const T* dy, T* dz, T* dw, T* db, T* dx,
                       const ConvGeom& g, int act, double alpha);

}  // namespace bp
