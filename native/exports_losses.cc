// Exports: the fused loss + gradient ops. All share one argument shape (pred, target, grad|null, rows, cols).
#include "args.h"
#include "exports.h"
#include "losses.h"

namespace bp {

namespace {
struct LossArgs {
  Arr p, t, g;
  uint64_t rows, cols;
};

LossArgs lossArgs(const Args& a, const char* predName) {
  LossArgs l;
  l.p = a.floats(0, predName);
  l.t = a.floats(1, "target", l.p);
  l.g = a.optFloats(2, "grad", l.p);
  l.rows = a.dim(3, "rows");
  l.cols = a.dim(4, "cols");
  uint64_t len = a.product("rows*cols", l.rows, l.cols);
  a.lengthIs(l.p, len, "rows*cols");
  a.lengthIs(l.t, len, "rows*cols");
  if (l.g.present) {
    a.lengthIs(l.g, len, "rows*cols");
    a.sameOrDisjoint(l.g, l.p);
    a.noOverlap(l.g, l.t);
  }
  return l;
}

// Elementwise losses take (p, t, g, n); row losses take (p, t, g, rows, cols).
template <double (*F32)(const float*, const float*, float*, size_t),
          double (*F64)(const double*, const double*, double*, size_t)>
Napi::Value elementLoss(const Napi::CallbackInfo& info, const char* op, const char* predName) {
  Args a(info, op, 5);
  LossArgs l = lossArgs(a, predName);
  size_t n = l.rows * l.cols;
  double r = l.p.kind == Kind::F32 ? F32(l.p.as<float>(), l.t.as<float>(), l.g.as<float>(), n)
                                   : F64(l.p.as<double>(), l.t.as<double>(), l.g.as<double>(), n);
  return Napi::Number::New(info.Env(), r);
}

template <double (*F32)(const float*, const float*, float*, size_t, size_t),
          double (*F64)(const double*, const double*, double*, size_t, size_t)>
Napi::Value rowLoss(const Napi::CallbackInfo& info, const char* op, const char* predName) {
  Args a(info, op, 5);
  LossArgs l = lossArgs(a, predName);
  double r = l.p.kind == Kind::F32 ? F32(l.p.as<float>(), l.t.as<float>(), l.g.as<float>(), l.rows, l.cols)
                                   : F64(l.p.as<double>(), l.t.as<double>(), l.g.as<double>(), l.rows, l.cols);
  return Napi::Number::New(info.Env(), r);
}
}  // namespace

Napi::Value MeanSquaredError(const Napi::CallbackInfo& info) {
  return elementLoss<mse<float>, mse<double>>(info, "meanSquaredError", "pred");
}
Napi::Value MeanAbsoluteError(const Napi::CallbackInfo& info) {
  return elementLoss<mae<float>, mae<double>>(info, "meanAbsoluteError", "pred");
}
Napi::Value BinaryCrossentropy(const Napi::CallbackInfo& info) {
  return elementLoss<bce<float>, bce<double>>(info, "binaryCrossentropy", "prob");
}
Napi::Value SigmoidCrossEntropyWithLogits(const Napi::CallbackInfo& info) {
  return elementLoss<bceLogits<float>, bceLogits<double>>(info, "sigmoidCrossEntropyWithLogits", "logits");
}
Napi::Value CategoricalCrossentropy(const Napi::CallbackInfo& info) {
  return rowLoss<cce<float>, cce<double>>(info, "categoricalCrossentropy", "prob");
}
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  return rowLoss<softmaxCe<float>, softmaxCe<double>>(info, "softmaxCrossEntropy", "logits");
}

Napi::Value Huber(const Napi::CallbackInfo& info) {
  Args a(info, "huber", 6);
  LossArgs l = lossArgs(a, "pred");
  double delta = a.num(5, "delta");
  if (!(delta > 0)) a.rangeError("'delta' must be > 0, got " + std::to_string(delta));
  size_t n = l.rows * l.cols;
  double r = l.p.kind == Kind::F32 ? huber(l.p.as<float>(), l.t.as<float>(), l.g.as<float>(), n, delta)
                                   : huber(l.p.as<double>(), l.t.as<double>(), l.g.as<double>(), n, delta);
  return Napi::Number::New(info.Env(), r);
}

Napi::Value SoftmaxCrossEntropySparse(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxCrossEntropySparse", 5);
  Arr x = a.floats(0, "logits");
  Arr labels = a.int32s(1, "labels");
  Arr g = a.optFloats(2, "grad", x);
  uint64_t rows = a.dim(3, "rows"), cols = a.dim(4, "cols");
  uint64_t len = a.product("rows*cols", rows, cols);
  a.lengthIs(x, len, "rows*cols");
  a.lengthIs(labels, rows, "rows");
  if (g.present) {
    a.lengthIs(g, len, "rows*cols");
    a.sameOrDisjoint(g, x);
    a.noOverlap(g, labels);
  }
  // No separate check pass: the kernel checks each label in the one read it uses (indices.h).
  const int32_t* lab = labels.as<int32_t>();
  BadIndex bad;
  double r = x.kind == Kind::F32 ? softmaxCeSparse(x.as<float>(), lab, g.as<float>(), rows, cols, &bad)
                                 : softmaxCeSparse(x.as<double>(), lab, g.as<double>(), rows, cols, &bad);
  if (bad.found) {
    a.rangeError("'labels'[" + std::to_string(bad.at) + "] = " + std::to_string(bad.value) + " is outside [0, " +
                 std::to_string(cols) + ")");
  }
  return Napi::Number::New(info.Env(), r);
}

}  // namespace bp
