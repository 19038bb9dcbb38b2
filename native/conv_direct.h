// Float32 convolutions without im2col buffers or BLAS: register tiles (conv_tiles.h) read the input windows in
// place, with bias and ReLU in the forward tile's epilogue, on AVX-512 or AVX2+FMA (chosen at run time; other
// CPUs and float64 use the im2col + OpenBLAS path of conv.h). The batch is split into chunks of whole samples
// run by the thread pool (thread_pool.h); dW and db are summed per chunk, then over chunks in chunk order.
// Measured on the Keras MNIST CNN's 32→64 3×3 layer: ~140 GFLOP/s per core each way, against ~90 for im2col +
// sgemm (the im2col copies and the small-K gemms of backward cost more than the products themselves).
#pragma once
#include "conv_geometry.h"

namespace bp {

// The vector instructions the float32 convolution kernels use on this CPU (BACKPROP_CONV_KERNELS may lower it).
enum class ConvIsa { None, Avx2, Avx512 };
ConvIsa convIsa();
// Whether 3×3 stride-1 convolutions may take the Winograd kernels (BACKPROP_CONV_KERNELS=...,nowinograd: no).
bool convWinogradAllowed();

// Whether the direct kernels take this convolution on this CPU: one group, a multiple of 8 output channels, and
// offsets within a (padded) sample that fit in 32 bits.
bool directConvSupported(const ConvGeom& g);

void directConvForward(const float* x, const float* w, const float* b, float* z, float* y, const ConvGeom& g,
                       int act, double alpha);

// Which kernels float32 convolutions use here: "avx512", "avx2" or "blas" (im2col + OpenBLAS).
const char* directConvKernels();

void directConvBackward(const float* x, const float* w, const float* z, const float* y, const float* dy, float* dz,
                        float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha);

// graph-model layers: the input gradient alone, dx = ∂/∂x given dz (overwritten): a transposed convolution's
// forward. Same conditions as directConvBackward (directConvSupported).
void directConvInputGrad(const float* dz, const float* w, float* dx, const ConvGeom& g);

}  // namespace bp
