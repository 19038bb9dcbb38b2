// Module entry: the export table. Node-API modules are context-aware, and nothing here keeps
// per-process mutable state besides OpenBLAS's own thread setting, so the addon loads in workers.
#include <cblas.h>

#include <string>

#include "activations.h"
#include "args.h"
#include "attention.h"
#include "blas_threads.h"
#include "conv_direct.h"
#include "exports.h"

extern "C" {
char* openblas_get_config(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
int openblas_get_parallel(void);
}

namespace bp {

Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Args a(info, "blasInfo", 0);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("config", std::string(openblas_get_config()));
  o.Set("core", std::string(openblas_get_corename()));
  o.Set("threads", poolThreads());
  o.Set("parallel", openblas_get_parallel());
  o.Set("convKernels", std::string(directConvKernels()));
  o.Set("attentionLanes", attentionLanes());
  o.Set("gemmSplit", gemmSplitSupported());
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setThreads", 1);
  uint64_t n = a.dim(0, "n");
  if (n < 1 || n > 1024) a.rangeError("'n' must be an integer in [1, 1024], got " + std::to_string(n));
  setPoolThreads(static_cast<int>(n));
  return info.Env().Undefined();
}

// The loader compares this with its own activation table and refuses a stale build.
Napi::Value ActivationCount(const Napi::CallbackInfo& info) {
  Args a(info, "activationCount", 0);
  return Napi::Number::New(info.Env(), ACT_COUNT);
}

}  // namespace bp

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace bp;
  struct Entry { const char* name; Napi::Value (*fn)(const Napi::CallbackInfo&); };
  static const Entry table[] = {
      {"gemm", Gemm}, {"activationForward", ActivationForward}, {"activationBackward", ActivationBackward},
      {"denseForward", DenseForward}, {"denseBackward", DenseBackward},
      {"meanSquaredError", MeanSquaredError}, {"meanAbsoluteError", MeanAbsoluteError}, {"huber", Huber},
      {"binaryCrossentropy", BinaryCrossentropy}, {"sigmoidCrossEntropyWithLogits", SigmoidCrossEntropyWithLogits},
      {"categoricalCrossentropy", CategoricalCrossentropy}, {"softmaxCrossEntropy", SoftmaxCrossEntropy},
      {"softmaxCrossEntropySparse", SoftmaxCrossEntropySparse},
      {"sgdStep", SgdStep}, {"momentumStep", MomentumStep}, {"rmspropStep", RmspropStep},
      {"adagradStep", AdagradStep}, {"adamStep", AdamStep},
      {"sumSquares", SumSquares}, {"scale", Scale}, {"clip", Clip}, {"l1l2", L1l2},
      {"gemmAsync", GemmAsync}, {"denseForwardAsync", DenseForwardAsync}, {"denseBackwardAsync", DenseBackwardAsync},
      {"adamStepAsync", AdamStepAsync},
      {"blasInfo", BlasInfo}, {"setThreads", SetThreads}, {"activationCount", ActivationCount},
      // sequence models
      {"embeddingForward", EmbeddingForward}, {"embeddingBackward", EmbeddingBackward},
      {"sparseSgdStep", SparseSgdStep}, {"simpleRnnForward", SimpleRnnForward},
      {"simpleRnnBackward", SimpleRnnBackward}, {"lstmForward", LstmForward}, {"lstmBackward", LstmBackward},
      {"gruForward", GruForward}, {"gruBackward", GruBackward}, {"layerNormForward", LayerNormForward},
      {"layerNormBackward", LayerNormBackward}, {"simpleRnnForwardAsync", SimpleRnnForwardAsync},
      {"simpleRnnBackwardAsync", SimpleRnnBackwardAsync}, {"lstmForwardAsync", LstmForwardAsync},
      {"lstmBackwardAsync", LstmBackwardAsync}, {"gruForwardAsync", GruForwardAsync},
      {"gruBackwardAsync", GruBackwardAsync},
      // convolution, pooling and batch normalization
      {"conv2dForward", Conv2dForward}, {"conv2dBackward", Conv2dBackward},
      {"maxPool2dForward", MaxPool2dForward}, {"maxPool2dBackward", MaxPool2dBackward},
      {"avgPool2dForward", AvgPool2dForward}, {"avgPool2dBackward", AvgPool2dBackward},
      {"batchNormForward", BatchNormForward}, {"batchNormBackward", BatchNormBackward},
      {"conv2dForwardAsync", Conv2dForwardAsync}, {"conv2dBackwardAsync", Conv2dBackwardAsync},
      {"maxPool2dForwardAsync", MaxPool2dForwardAsync}, {"maxPool2dBackwardAsync", MaxPool2dBackwardAsync},
      {"avgPool2dForwardAsync", AvgPool2dForwardAsync}, {"avgPool2dBackwardAsync", AvgPool2dBackwardAsync},
      {"batchNormForwardAsync", BatchNormForwardAsync}, {"batchNormBackwardAsync", BatchNormBackwardAsync},
      // graph-model layers
      {"conv2dTransposeForward", Conv2dTransposeForward}, {"conv2dTransposeBackward", Conv2dTransposeBackward},
      {"conv2dTransposeForwardAsync", Conv2dTransposeForwardAsync},
      {"conv2dTransposeBackwardAsync", Conv2dTransposeBackwardAsync},
      // autodiff ops (bp.ops)
      {"unary", Unary}, {"binary", Binary}, {"select", Select}, {"reduce", Reduce}, {"matMul", MatMul},
      {"matMulAsync", MatMulAsync}, {"stridedCopy", StridedCopy}, {"gather", Gather}, {"scatterAdd", ScatterAdd},
      {"oneHot", OneHot}, {"elementwiseCounts", ElementwiseCounts},
      // attention
      {"attentionForward", AttentionForward}, {"attentionBackward", AttentionBackward},
      {"attentionForwardAsync", AttentionForwardAsync}, {"attentionBackwardAsync", AttentionBackwardAsync},
  };
  for (const Entry& e : table) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  return exports;
}

NODE_API_MODULE(backprop, Init)
