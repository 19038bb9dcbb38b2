// Exports: conv2dForward/Backward, maxPool2dForward/Backward, avgPool2dForward/Backward,
// batchNormForward/Backward and their async twins. Each checks every argument through Args (the same checks
// as src/backend/js/conv-ops.ts; the convolution's in conv_checks.cc, shared with the transposed convolution)
// before any pointer is dereferenced, then dispatches on the float kind.
#include <string>

#include "args.h"
#include "async_job.h"
#include "batch_norm.h"
#include "conv.h"
#include "conv_checks.h"
#include "exports.h"
#include "pool.h"

namespace bp {

namespace {

const char* const kPoolDims[] = {"batch",   "inH",    "inW",     "inC",  "kH",  "kW",
                                 "strideH", "strideW", "padTop", "padLeft", "outH", "outW"};

void checkWindows(const Args& g, bool height, uint64_t size, uint64_t k, uint64_t stride, uint64_t pad,
                  uint64_t out) {
  if (out == 0) return;
  // (out-1)·stride < 2^62: exact in 64 bits.
  if (size < 1 || pad >= k || (out - 1) * stride >= size + pad) {
    std::string axis = height ? "H" : "W";
    g.rangeError(std::string("a pooling window lies outside the input along ") + (height ? "height" : "width") +
                 " ('in" + axis + "' = " + std::to_string(size) + ", 'k" + axis + "' = " + std::to_string(k) +
                 ", 'stride" + axis + "' = " + std::to_string(stride) + ", '" + (height ? "padTop" : "padLeft") +
                 "' = " + std::to_string(pad) + ", 'out" + axis + "' = " + std::to_string(out) +
                 "); the windows must overlap the input");
  }
}

// The 12 pooling dims from argument `first` on: [input length, output length].
std::pair<uint64_t, uint64_t> poolDims(const Args& g, size_t first, ConvGeom* out) {
  uint64_t d[12];
  for (size_t i = 0; i < 12; i++) d[i] = g.dim(first + i, kPoolDims[i]);
  ConvGeom& c = *out;
  c.batch = d[0]; c.inH = d[1]; c.inW = d[2]; c.inC = d[3]; c.kH = d[4]; c.kW = d[5];
  c.sH = d[6]; c.sW = d[7]; c.pT = d[8]; c.pL = d[9]; c.outH = d[10]; c.outW = d[11];
  c.outC = c.inC;
  atLeastOne(g, "strideH", c.sH);
  atLeastOne(g, "strideW", c.sW);
  checkWindows(g, true, c.inH, c.kH, c.sH, c.pT, c.outH);
  checkWindows(g, false, c.inW, c.kW, c.sW, c.pL, c.outW);
  uint64_t in = g.product("batch*inH*inW*inC", g.product("batch*inH*inW", c.batch, c.inH, c.inW), c.inC);
  uint64_t o = g.product("batch*outH*outW*inC", g.product("batch*outH*outW", c.batch, c.outH, c.outW), c.inC);
  return {in, o};
}

Job prepareConvForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, convForwardArgCount(ConvKind::Conv));
  const ConvForwardCall k = checkConvForward(g, ConvKind::Conv);
  if (offThread) g.requireSharedBuffers();
  if (k.x.kind == Kind::F32) {
    return [k] {
      conv2dForward(k.x.as<float>(), k.w.as<float>(), k.b.as<float>(), k.z.as<float>(), k.y.as<float>(), k.c, k.act,
                    k.alpha);
    };
  }
  return [k] {
    conv2dForward(k.x.as<double>(), k.w.as<double>(), k.b.as<double>(), k.z.as<double>(), k.y.as<double>(), k.c, k.act,
                  k.alpha);
  };
}

Job prepareConvBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, convBackwardArgCount(ConvKind::Conv));
  const ConvBackwardCall k = checkConvBackward(g, ConvKind::Conv);
  if (offThread) g.requireSharedBuffers();
  if (k.x.kind == Kind::F32) {
    return [k] {
      conv2dBackward(k.x.as<float>(), k.w.as<float>(), k.z.as<float>(), k.y.as<float>(), k.dy.as<float>(),
                     k.dz.as<float>(), k.dw.as<float>(), k.db.as<float>(), k.dx.as<float>(), k.c, k.act, k.alpha);
    };
  }
  return [k] {
    conv2dBackward(k.x.as<double>(), k.w.as<double>(), k.z.as<double>(), k.y.as<double>(), k.dy.as<double>(),
                   k.dz.as<double>(), k.dw.as<double>(), k.db.as<double>(), k.dx.as<double>(), k.c, k.act, k.alpha);
  };
}

// Max pooling's argmax holds window positions as Int32: a window may hold at most 2^31 - 1 of them.
void windowFitsInt32(const Args& g, const ConvGeom& c) {
  if (g.product("kH*kW", c.kH, c.kW) > 2147483647ULL) g.rangeError("kH*kW exceeds 2^31-1 (argmax positions are Int32)");
}

Job prepareMaxPoolForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 15);
  Arr x = g.floats(0, "x"), y = g.floats(1, "y", x), argmax = g.int32s(2, "argmax");
  ConvGeom c;
  auto [in, out] = poolDims(g, 3, &c);
  windowFitsInt32(g, c);
  g.lengthIs(x, in, "batch*inH*inW*inC");
  g.lengthIs(y, out, "batch*outH*outW*inC");
  g.lengthIs(argmax, out, "batch*outH*outW*inC");
  g.noOverlap(y, x);
  g.noOverlap(argmax, x);
  g.noOverlap(argmax, y);
  if (offThread) g.requireSharedBuffers();
  if (x.kind == Kind::F32) return [=] { maxPool2dForward(x.as<float>(), y.as<float>(), argmax.as<int32_t>(), c); };
  return [=] { maxPool2dForward(x.as<double>(), y.as<double>(), argmax.as<int32_t>(), c); };
}

Job prepareMaxPoolBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 15);
  Arr dy = g.floats(0, "dy"), argmax = g.int32s(1, "argmax"), dx = g.floats(2, "dx", dy);
  ConvGeom c;
  auto [in, out] = poolDims(g, 3, &c);
  windowFitsInt32(g, c);
  g.lengthIs(dy, out, "batch*outH*outW*inC");
  g.lengthIs(argmax, out, "batch*outH*outW*inC");
  g.lengthIs(dx, in, "batch*inH*inW*inC");
  g.noOverlap(dx, dy);
  g.noOverlap(dx, argmax);
  if (offThread) g.requireSharedBuffers();
  // The kernel checks each index in the one read it uses.
  if (dy.kind == Kind::F32) return [=] { maxPool2dBackward(dy.as<float>(), argmax.as<int32_t>(), dx.as<float>(), c); };
  return [=] { maxPool2dBackward(dy.as<double>(), argmax.as<int32_t>(), dx.as<double>(), c); };
}

Job prepareAvgPoolForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 14);
  Arr x = g.floats(0, "x"), y = g.floats(1, "y", x);
  ConvGeom c;
  auto [in, out] = poolDims(g, 2, &c);
  g.lengthIs(x, in, "batch*inH*inW*inC");
  g.lengthIs(y, out, "batch*outH*outW*inC");
  g.noOverlap(y, x);
  if (offThread) g.requireSharedBuffers();
  if (x.kind == Kind::F32) return [=] { avgPool2dForward(x.as<float>(), y.as<float>(), c); };
  return [=] { avgPool2dForward(x.as<double>(), y.as<double>(), c); };
}

Job prepareAvgPoolBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 14);
  Arr dy = g.floats(0, "dy"), dx = g.floats(1, "dx", dy);
  ConvGeom c;
  auto [in, out] = poolDims(g, 2, &c);
  g.lengthIs(dy, out, "batch*outH*outW*inC");
  g.lengthIs(dx, in, "batch*inH*inW*inC");
  g.noOverlap(dx, dy);
  if (offThread) g.requireSharedBuffers();
  if (dy.kind == Kind::F32) return [=] { avgPool2dBackward(dy.as<float>(), dx.as<float>(), c); };
  return [=] { avgPool2dBackward(dy.as<double>(), dx.as<double>(), c); };
}

Job prepareBatchNormForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 13);
  Arr x = g.floats(0, "x"), gamma = g.optFloats(1, "gamma", x), beta = g.optFloats(2, "beta", x);
  Arr mm = g.floats(3, "movingMean", x), mv = g.floats(4, "movingVariance", x);
  Arr mean = g.floats(5, "mean", x), invStd = g.floats(6, "invStd", x), y = g.floats(7, "y", x);
  uint64_t rows = g.dim(8, "rows"), cols = g.dim(9, "cols");
  double epsilon = g.num(10, "epsilon"), momentum = g.num(11, "momentum");
  bool training = g.boolean(12, "training");
  uint64_t len = g.product("rows*cols", rows, cols);
  g.lengthIs(x, len, "rows*cols");
  g.lengthIs(y, len, "rows*cols");
  const Arr* perColumn[] = {&gamma, &beta, &mm, &mv, &mean, &invStd};
  for (const Arr* a : perColumn) if (a->present) g.lengthIs(*a, cols, "cols");
  g.sameOrDisjoint(y, x);
  const Arr* outs[] = {&y, &mean, &invStd, &mm, &mv};
  const Arr* all[] = {&x, &gamma, &beta, &mm, &mv, &mean, &invStd, &y};
  for (const Arr* o : outs) {
    for (const Arr* a : all) if (a != o && !(o == &y && a == &x)) g.noOverlap(*o, *a);
  }
  if (offThread) g.requireSharedBuffers();
  if (x.kind == Kind::F32) {
    return [=] {
      batchNormForward(x.as<float>(), gamma.as<float>(), beta.as<float>(), mm.as<float>(), mv.as<float>(),
                       mean.as<float>(), invStd.as<float>(), y.as<float>(), rows, cols, epsilon, momentum, training);
    };
  }
  return [=] {
    batchNormForward(x.as<double>(), gamma.as<double>(), beta.as<double>(), mm.as<double>(), mv.as<double>(),
                     mean.as<double>(), invStd.as<double>(), y.as<double>(), rows, cols, epsilon, momentum, training);
  };
}

Job prepareBatchNormBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 10);
  Arr x = g.floats(0, "x"), gamma = g.optFloats(1, "gamma", x), mean = g.floats(2, "mean", x);
  Arr invStd = g.floats(3, "invStd", x), dy = g.floats(4, "dy", x), dx = g.floats(5, "dx", x);
  Arr dgamma = g.optFloats(6, "dgamma", x), dbeta = g.optFloats(7, "dbeta", x);
  uint64_t rows = g.dim(8, "rows"), cols = g.dim(9, "cols");
  uint64_t len = g.product("rows*cols", rows, cols);
  for (const Arr* a : {&x, &dy, &dx}) g.lengthIs(*a, len, "rows*cols");
  for (const Arr* a : {&gamma, &mean, &invStd, &dgamma, &dbeta}) if (a->present) g.lengthIs(*a, cols, "cols");
  g.sameOrDisjoint(dx, dy);
  const Arr* ins[] = {&x, &gamma, &mean, &invStd};
  const Arr* outs[] = {&dx, &dgamma, &dbeta};
  for (const Arr* o : outs) {
    for (const Arr* i : ins) g.noOverlap(*o, *i);
    for (const Arr* o2 : outs) if (o2 != o) g.noOverlap(*o, *o2);
    if (o != &dx) g.noOverlap(*o, dy);
  }
  if (offThread) g.requireSharedBuffers();
  if (x.kind == Kind::F32) {
    return [=] {
      batchNormBackward(x.as<float>(), gamma.as<float>(), mean.as<float>(), invStd.as<float>(), dy.as<float>(),
                        dx.as<float>(), dgamma.as<float>(), dbeta.as<float>(), rows, cols);
    };
  }
  return [=] {
    batchNormBackward(x.as<double>(), gamma.as<double>(), mean.as<double>(), invStd.as<double>(), dy.as<double>(),
                      dx.as<double>(), dgamma.as<double>(), dbeta.as<double>(), rows, cols);
  };
}

// The synchronous export: prepare (every check), then run here; a failure found by the kernel (an index out of
// range) becomes a RangeError naming the op.
using Prepare = Job (*)(const Napi::CallbackInfo&, const char*, bool);
Napi::Value runSync(const Napi::CallbackInfo& info, Prepare prepare, const char* op) {
  Job job = prepare(info, op, false);
  try {
    job();
  } catch (const KernelRangeError& e) {
    throw Napi::RangeError::New(info.Env(), std::string(op) + "(): " + e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), std::string(op) + "(): not enough memory for the kernel's scratch space");
  }
  return info.Env().Undefined();
}

}  // namespace

Napi::Value Conv2dForward(const Napi::CallbackInfo& info) { return runSync(info, prepareConvForward, "conv2dForward"); }
Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) { return runSync(info, prepareConvBackward, "conv2dBackward"); }
Napi::Value MaxPool2dForward(const Napi::CallbackInfo& info) { return runSync(info, prepareMaxPoolForward, "maxPool2dForward"); }
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) { return runSync(info, prepareMaxPoolBackward, "maxPool2dBackward"); }
Napi::Value AvgPool2dForward(const Napi::CallbackInfo& info) { return runSync(info, prepareAvgPoolForward, "avgPool2dForward"); }
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) { return runSync(info, prepareAvgPoolBackward, "avgPool2dBackward"); }
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) { return runSync(info, prepareBatchNormForward, "batchNormForward"); }
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) { return runSync(info, prepareBatchNormBackward, "batchNormBackward"); }

Napi::Value Conv2dForwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareConvForward(info, "conv2dForwardAsync", true)); }
Napi::Value Conv2dBackwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareConvBackward(info, "conv2dBackwardAsync", true)); }
Napi::Value MaxPool2dForwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareMaxPoolForward(info, "maxPool2dForwardAsync", true)); }
Napi::Value MaxPool2dBackwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareMaxPoolBackward(info, "maxPool2dBackwardAsync", true)); }
Napi::Value AvgPool2dForwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareAvgPoolForward(info, "avgPool2dForwardAsync", true)); }
Napi::Value AvgPool2dBackwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareAvgPoolBackward(info, "avgPool2dBackwardAsync", true)); }
Napi::Value BatchNormForwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareBatchNormForward(info, "batchNormForwardAsync", true)); }
Napi::Value BatchNormBackwardAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareBatchNormBackward(info, "batchNormBackwardAsync", true)); }

}  // namespace bp
