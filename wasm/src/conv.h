// Float32 convolutions of the WebAssembly backend (formulas in src/backend/ops.ts). The same three paths as the
// native addon, with 128-bit vectors: register-tile kernels reading the input windows in place (conv_direct.cc),
// Winograd F(2×2, 3×3) for 3×3 stride-1 layers with 16+ input channels (winograd.cc), and im2col panels + the
// module's gemm for everything else (conv_generic.cc: groups, 1×1, channel counts not a multiple of 4).
// The direct and Winograd kernels split the batch into a fixed number of chunks of whole samples (chunkCount: it
// depends on the batch only), run by the thread pool; sums over samples (dW, db) are kept per chunk and added in
// chunk order, so the results are the same whatever the thread count.
#pragma once
#include "base.h"

namespace bp {

// NHWC input [batch, inH, inW, inC], kernel [kH, kW, inC/groups, outC], output [batch, outH, outW, outC]. Pooling
// uses the same fields with outC = inC, groups = 1 and dilation 1. Every field is < 2^31 (checked by the JS side).
struct ConvGeom {
  size_t batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW, groups;
  size_t cg() const { return inC / groups; }
  size_t fg() const { return outC / groups; }
  size_t kg() const { return kH * kW * cg(); }
  size_t rows() const { return batch * outH * outW; }
  int64_t rowStart(size_t oy) const { return static_cast<int64_t>(oy * sH) - static_cast<int64_t>(pT); }
  int64_t colStart(size_t ox) const { return static_cast<int64_t>(ox * sW) - static_cast<int64_t>(pL); }
  // A 1×1 convolution at stride 1 without padding over the whole input: x is already the im2col matrix.
  bool pointwise() const {
    return kH == 1 && kW == 1 && sH == 1 && sW == 1 && pT == 0 && pL == 0 && groups == 1 && outH == inH &&
           outW == inW;
  }
};

// Chunks of whole samples: at most 16, fixed by the batch alone.
BP_INLINE size_t chunkCount(size_t batch) { return batch == 0 ? 1 : min<size_t>(batch, 16); }

// Each returns kOk or kOutOfMemory (nothing written then that the caller reads back: the JS side reruns the op).
bool directSupported(const ConvGeom& g);
int directForward(const Exec& ex, const float* x, const float* w, const float* b, float* z, float* y,
                  const ConvGeom& g, int act, double alpha);
int directBackward(const Exec& ex, const float* x, const float* w, const float* z, const float* y, const float* dy,
                   float* dz, float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha);

bool winogradSupported(const ConvGeom& g);
int winogradForward(const Exec& ex, const float* x, const float* w, const float* b, float* z, float* y,
                    const ConvGeom& g, int act, double alpha);
int winogradBackward(const Exec& ex, const float* x, const float* w, const float* z, const float* y, const float* dy,
                     float* dz, float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha);

int genericForward(const Exec& ex, const float* x, const float* w, const float* b, float* z, float* y,
                   const ConvGeom& g, int act, double alpha);
int genericBackward(const Exec& ex, const float* x, const float* w, const float* z, const float* y, const float* dy,
                    float* dz, float* dw, float* db, float* dx, const ConvGeom& g, int act, double alpha);

// The transposed convolution of g's convolution (g's input gradient, as a layer), and g's weight gradient alone
// (conv_generic.cc; groups 1): the pieces of conv2dTranspose* (kernels_conv.cc).
int genericTransposeForward(const Exec& ex, const float* x, const float* w, const float* b, float* z, float* y,
                            const ConvGeom& g, int act, double alpha);
int genericWeightGrad(const Exec& ex, const float* x, const float* dz, float* dw, const ConvGeom& g);

// Pooling (pool2d.cc): kOk, kOutOfMemory, or for max-pooling's backward the position + 1 of a bad index.
int maxPool2dForward(const Exec& ex, const float* x, float* y, int32_t* argmax, const ConvGeom& g);
int maxPool2dBackward(const Exec& ex, const float* dy, const int32_t* argmax, float* dx, const ConvGeom& g);
int avgPool2dForward(const Exec& ex, const float* x, float* y, const ConvGeom& g);
int avgPool2dBackward(const Exec& ex, const float* dy, float* dx, const ConvGeom& g);

// Batch normalization (batch_norm.cc).
int batchNormForward(const Exec& ex, const float* x, const float* gamma, const float* beta, float* movingMean,
                     float* movingVariance, float* mean, float* invStd, float* y, size_t rows, size_t cols,
                     double epsilon, double momentum, bool training);
int batchNormBackward(const Exec& ex, const float* x, const float* gamma, const float* mean, const float* invStd,
                      const float* dy, float* dx, float* dgamma, float* dbeta, size_t rows, size_t cols);

}  // namespace bp
