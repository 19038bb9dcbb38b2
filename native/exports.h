// The export table's functions, one per op of src/backend/ops.ts.
#pragma once
#include <napi.h>

namespace bp {
Napi::Value Gemm(const Napi::CallbackInfo& info);
Napi::Value ActivationForward(const Napi::CallbackInfo& info);
Napi::Value ActivationBackward(const Napi::CallbackInfo& info);
Napi::Value DenseForward(const Napi::CallbackInfo& info);
Napi::Value DenseBackward(const Napi::CallbackInfo& info);
Napi::Value MeanSquaredError(const Napi::CallbackInfo& info);
Napi::Value MeanAbsoluteError(const Napi::CallbackInfo& info);
Napi::Value Huber(const Napi::CallbackInfo& info);
Napi::Value BinaryCrossentropy(const Napi::CallbackInfo& info);
Napi::Value SigmoidCrossEntropyWithLogits(const Napi::CallbackInfo& info);
Napi::Value CategoricalCrossentropy(const Napi::CallbackInfo& info);
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info);
Napi::Value SoftmaxCrossEntropySparse(const Napi::CallbackInfo& info);
Napi::Value SgdStep(const Napi::CallbackInfo& info);
Napi::Value MomentumStep(const Napi::CallbackInfo& info);
Napi::Value RmspropStep(const Napi::CallbackInfo& info);
Napi::Value AdagradStep(const Napi::CallbackInfo& info);
Napi::Value AdamStep(const Napi::CallbackInfo& info);
Napi::Value SumSquares(const Napi::CallbackInfo& info);
Napi::Value Scale(const Napi::CallbackInfo& info);
Napi::Value Clip(const Napi::CallbackInfo& info);
Napi::Value L1l2(const Napi::CallbackInfo& info);
Napi::Value GemmAsync(const Napi::CallbackInfo& info);
Napi::Value DenseForwardAsync(const Napi::CallbackInfo& info);
Napi::Value DenseBackwardAsync(const Napi::CallbackInfo& info);
Napi::Value AdamStepAsync(const Napi::CallbackInfo& info);
Napi::Value BlasInfo(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);
Napi::Value ActivationCount(const Napi::CallbackInfo& info);
// sequence models
Napi::Value EmbeddingForward(const Napi::CallbackInfo& info);
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info);
Napi::Value SparseSgdStep(const Napi::CallbackInfo& info);
Napi::Value SimpleRnnForward(const Napi::CallbackInfo& info);
Napi::Value SimpleRnnBackward(const Napi::CallbackInfo& info);
Napi::Value LstmForward(const Napi::CallbackInfo& info);
Napi::Value LstmBackward(const Napi::CallbackInfo& info);
Napi::Value GruForward(const Napi::CallbackInfo& info);
Napi::Value GruBackward(const Napi::CallbackInfo& info);
Napi::Value LayerNormForward(const Napi::CallbackInfo& info);
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info);
Napi::Value SimpleRnnForwardAsync(const Napi::CallbackInfo& info);
Napi::Value SimpleRnnBackwardAsync(const Napi::CallbackInfo& info);
Napi::Value LstmForwardAsync(const Napi::CallbackInfo& info);
Napi::Value LstmBackwardAsync(const Napi::CallbackInfo& info);
Napi::Value GruForwardAsync(const Napi::CallbackInfo& info);
Napi::Value GruBackwardAsync(const Napi::CallbackInfo& info);
// convolution, pooling and batch normalization
Napi::Value Conv2dForward(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackward(const Napi::CallbackInfo& info);
Napi::Value MaxPool2dForward(const Napi::CallbackInfo& info);
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info);
Napi::Value AvgPool2dForward(const Napi::CallbackInfo& info);
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info);
Napi::Value BatchNormForward(const Napi::CallbackInfo& info);
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info);
Napi::Value Conv2dForwardAsync(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackwardAsync(const Napi::CallbackInfo& info);
Napi::Value MaxPool2dForwardAsync(const Napi::CallbackInfo& info);
Napi::Value MaxPool2dBackwardAsync(const Napi::CallbackInfo& info);
Napi::Value AvgPool2dForwardAsync(const Napi::CallbackInfo& info);
Napi::Value AvgPool2dBackwardAsync(const Napi::CallbackInfo& info);
Napi::Value BatchNormForwardAsync(const Napi::CallbackInfo& info);
Napi::Value BatchNormBackwardAsync(const Napi::CallbackInfo& info);
// graph-model layers (exports_conv_transpose.cc)
Napi::Value Conv2dTransposeForward(const Napi::CallbackInfo& info);
Napi::Value Conv2dTransposeBackward(const Napi::CallbackInfo& info);
Napi::Value Conv2dTransposeForwardAsync(const Napi::CallbackInfo& info);
Napi::Value Conv2dTransposeBackwardAsync(const Napi::CallbackInfo& info);
// attention
Napi::Value AttentionForward(const Napi::CallbackInfo& info);
Napi::Value AttentionBackward(const Napi::CallbackInfo& info);
Napi::Value AttentionForwardAsync(const Napi::CallbackInfo& info);
Napi::Value AttentionBackwardAsync(const Napi::CallbackInfo& info);
}  // namespace bp
