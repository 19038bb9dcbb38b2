// Exports: convolution, pooling and batch normalization (the export convention is in kernels_dense.cc). The
// convolution picks its kernels as the native addon does: Winograd for 3×3 stride-1 layers with 16+ input
// channels, the direct register tiles for other single-group layers with a multiple of 4 filters, im2col + gemm
// for the rest. BACKPROP_CONV_KERNELS is not read here: the JS side passes its choice (kernelChoice).
#include "activations.h"
#include "conv.h"

using namespace bp;

namespace {

// Which kernels may run: 0 = all, 1 = no Winograd, 2 = im2col + gemm only (for tests comparing the paths).
int32_t kernelLimit;

ConvGeom convGeom(int batch, int inH, int inW, int inC, int kH, int kW, int outC, int sH, int sW, int pT, int pL,
                  int dH, int dW, int outH, int outW, int groups) {
  ConvGeom g;
  g.batch = batch, g.inH = inH, g.inW = inW, g.inC = inC, g.kH = kH, g.kW = kW, g.outC = outC;
  g.sH = sH, g.sW = sW, g.pT = pT, g.pL = pL, g.dH = dH, g.dW = dW, g.outH = outH, g.outW = outW, g.groups = groups;
  return g;
}

ConvGeom poolGeom(int batch, int inH, int inW, int inC, int kH, int kW, int sH, int sW, int pT, int pL, int outH,
                  int outW) {
  return convGeom(batch, inH, inW, inC, kH, kW, inC, sH, sW, pT, pL, 1, 1, outH, outW, 1);
}

bool usable(const ConvGeom& g) { return g.rows() * g.outC > 0 && g.kg() > 0; }

}  // namespace

BP_EXPORT("bp_set_conv_kernels") void bpSetConvKernels(int limit) { kernelLimit = limit; }

BP_EXPORT("conv2dForward")
double bpConv2dForward(int32_t* status, int pooled, const float* x, const float* w, const float* b, float* z, float* y,
                       int batch, int inH, int inW, int inC, int kH, int kW, int outC, int sH, int sW, int pT, int pL,
                       int dH, int dW, int outH, int outW, int groups, int act, double alpha) {
  const ConvGeom g = convGeom(batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW, groups);
  const Exec ex = execOf(pooled);
  int s;
  if (usable(g) && kernelLimit == 0 && winogradSupported(g)) s = winogradForward(ex, x, w, b, z, y, g, act, alpha);
  else if (usable(g) && kernelLimit <= 1 && directSupported(g)) s = directForward(ex, x, w, b, z, y, g, act, alpha);
  else s = genericForward(ex, x, w, b, z, y, g, act, alpha);
  *status = s;
  return 0;
}

BP_EXPORT("conv2dBackward")
double bpConv2dBackward(int32_t* status, int pooled, const float* x, const float* w, const float* z, const float* y,
                        const float* dy, float* dz, float* dw, float* db, float* dx, int batch, int inH, int inW,
                        int inC, int kH, int kW, int outC, int sH, int sW, int pT, int pL, int dH, int dW, int outH,
                        int outW, int groups, int act, double alpha) {
  const ConvGeom g = convGeom(batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW, groups);
  const Exec ex = execOf(pooled);
  int s;
  if (usable(g) && kernelLimit == 0 && winogradSupported(g))
    s = winogradBackward(ex, x, w, z, y, dy, dz, dw, db, dx, g, act, alpha);
  else if (usable(g) && kernelLimit <= 1 && directSupported(g))
    s = directBackward(ex, x, w, z, y, dy, dz, dw, db, dx, g, act, alpha);
  else
    s = genericBackward(ex, x, w, z, y, dy, dz, dw, db, dx, g, act, alpha);
  *status = s;
  return 0;
}

BP_EXPORT("maxPool2dForward")
double bpMaxPoolForward(int32_t* status, int pooled, const float* x, float* y, int32_t* argmax, int batch, int inH,
                        int inW, int inC, int kH, int kW, int sH, int sW, int pT, int pL, int outH, int outW) {
  *status = maxPool2dForward(execOf(pooled), x, y, argmax, poolGeom(batch, inH, inW, inC, kH, kW, sH, sW, pT, pL, outH, outW));
  return 0;
}

BP_EXPORT("maxPool2dBackward")
double bpMaxPoolBackward(int32_t* status, int pooled, const float* dy, const int32_t* argmax, float* dx, int batch,
                         int inH, int inW, int inC, int kH, int kW, int sH, int sW, int pT, int pL, int outH,
                         int outW) {
  *status =
      maxPool2dBackward(execOf(pooled), dy, argmax, dx, poolGeom(batch, inH, inW, inC, kH, kW, sH, sW, pT, pL, outH, outW));
  return 0;
}

BP_EXPORT("avgPool2dForward")
double bpAvgPoolForward(int32_t* status, int pooled, const float* x, float* y, int batch, int inH, int inW, int inC,
                        int kH, int kW, int sH, int sW, int pT, int pL, int outH, int outW) {
  *status = avgPool2dForward(execOf(pooled), x, y, poolGeom(batch, inH, inW, inC, kH, kW, sH, sW, pT, pL, outH, outW));
  return 0;
}

BP_EXPORT("avgPool2dBackward")
double bpAvgPoolBackward(int32_t* status, int pooled, const float* dy, float* dx, int batch, int inH, int inW, int inC,
                         int kH, int kW, int sH, int sW, int pT, int pL, int outH, int outW) {
  *status = avgPool2dBackward(execOf(pooled), dy, dx, poolGeom(batch, inH, inW, inC, kH, kW, sH, sW, pT, pL, outH, outW));
  return 0;
}

BP_EXPORT("batchNormForward")
double bpBatchNormForward(int32_t* status, int pooled, const float* x, const float* gamma, const float* beta,
                          float* movingMean, float* movingVariance, float* mean, float* invStd, float* y, int rows,
                          int cols, double epsilon, double momentum, int training) {
  *status = batchNormForward(execOf(pooled), x, gamma, beta, movingMean, movingVariance, mean, invStd, y, rows, cols,
                             epsilon, momentum, training != 0);
  return 0;
}

BP_EXPORT("batchNormBackward")
double bpBatchNormBackward(int32_t* status, int pooled, const float* x, const float* gamma, const float* mean,
                           const float* invStd, const float* dy, float* dx, float* dgamma, float* dbeta, int rows,
                           int cols) {
  *status = batchNormBackward(execOf(pooled), x, gamma, mean, invStd, dy, dx, dgamma, dbeta, rows, cols);
  return 0;
}

namespace {

// The convolution a transposed convolution is the input gradient of: [outH, outW, outC] → [inH, inW, inC].
ConvGeom transposedGeom(int batch, int inH, int inW, int inC, int kH, int kW, int outC, int sH, int sW, int pT,
                        int pL, int dH, int dW, int outH, int outW) {
  return convGeom(batch, outH, outW, outC, kH, kW, inC, sH, sW, pT, pL, dH, dW, inH, inW, 1);
}

}  // namespace

// The transposed convolution (graph-model layers; kernel [kH, kW, outC, inC]): forward is its convolution's input
// gradient (col2im of x·Wᵀ), then bias and activation.
BP_EXPORT("conv2dTransposeForward")
double bpConv2dTransposeForward(int32_t* status, int pooled, const float* x, const float* w, const float* b, float* z,
                                float* y, int batch, int inH, int inW, int inC, int kH, int kW, int outC, int sH,
                                int sW, int pT, int pL, int dH, int dW, int outH, int outW, int act, double alpha) {
  const ConvGeom g = transposedGeom(batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW);
  *status = genericTransposeForward(execOf(pooled), x, w, b, z, y, g, act, alpha);
  return 0;
}

// Backward: dz = act'·dy, db = Σ dz, dx = the convolution of dz (any of the three kernel paths, as conv2dForward
// picks them), dw = the convolution's weight gradient with dz as its input and x as its output gradient.
BP_EXPORT("conv2dTransposeBackward")
double bpConv2dTransposeBackward(int32_t* status, int pooled, const float* x, const float* w, const float* z,
                                 const float* y, const float* dy, float* dz, float* dw, float* db, float* dx,
                                 int batch, int inH, int inW, int inC, int kH, int kW, int outC, int sH, int sW,
                                 int pT, int pL, int dH, int dW, int outH, int outW, int act, double alpha) {
  const ConvGeom g = transposedGeom(batch, inH, inW, inC, kH, kW, outC, sH, sW, pT, pL, dH, dW, outH, outW);
  const Exec ex = execOf(pooled);
  const size_t rows = g.batch * g.inH * g.inW, channels = g.inC;
  activationBackward(act, alpha, z, y, dy, dz, rows, channels);
  if (db) {
    Scratch<double> sums(channels);
    if (!sums) {
      *status = kOutOfMemory;
      return 0;
    }
    for (size_t j = 0; j < channels; j++) sums.p[j] = 0;
    for (size_t r = 0; r < rows; r++)
      for (size_t j = 0; j < channels; j++) sums.p[j] += dz[r * channels + j];
    for (size_t j = 0; j < channels; j++) db[j] = static_cast<float>(sums.p[j]);
  }
  int s = kOk;
  if (dx) {
    // The convolution's output is dx (linear: z and y are the same array).
    if (usable(g) && kernelLimit == 0 && winogradSupported(g))
      s = winogradForward(ex, dz, w, nullptr, dx, dx, g, LINEAR, 0);
    else if (usable(g) && kernelLimit <= 1 && directSupported(g))
      s = directForward(ex, dz, w, nullptr, dx, dx, g, LINEAR, 0);
    else
      s = genericForward(ex, dz, w, nullptr, dx, dx, g, LINEAR, 0);
  }
  if (s == kOk) s = genericWeightGrad(ex, dz, x, dw, g);
  *status = s;
  return 0;
}
