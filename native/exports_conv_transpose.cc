// graph-model layers. Exports: conv2dTransposeForward/Backward and their async twins. Each checks every argument
// through Args (the same checks as src/backend/js/conv-transpose.ts) before any pointer is dereferenced, then
// dispatches on the float kind.
#include <string>

#include "args.h"
#include "async_job.h"
#include "conv_transpose.h"
#include "exports.h"

namespace bp {

namespace {

const char* const kDims[] = {"batch",   "inH",    "inW",     "inC",       "kH",        "kW",   "outC", "strideH",
                             "strideW", "padTop", "padLeft", "dilationH", "dilationW", "outH", "outW"};

struct Sizes {
  uint64_t input, output, kernel;
};

// The 15 dims from argument `first` on; the lengths they imply.
Sizes transposeDims(const Args& g, size_t first, TransposeGeom* out) {
  uint64_t d[15];
  for (size_t i = 0; i < 15; i++) d[i] = g.dim(first + i, kDims[i]);
  TransposeGeom& t = *out;
  t.batch = d[0]; t.inH = d[1]; t.inW = d[2]; t.inC = d[3]; t.kH = d[4]; t.kW = d[5]; t.outC = d[6];
  t.sH = d[7]; t.sW = d[8]; t.pT = d[9]; t.pL = d[10]; t.dH = d[11]; t.dW = d[12]; t.outH = d[13]; t.outW = d[14];
  t.groups = 1;
  const char* const positive[] = {"strideH", "strideW", "dilationH", "dilationW"};
  const uint64_t values[] = {t.sH, t.sW, t.dH, t.dW};
  for (int i = 0; i < 4; i++) {
    if (values[i] < 1) g.rangeError(std::string("'") + positive[i] + "' must be >= 1, got " + std::to_string(values[i]));
  }
  // The im2col columns of the adjoint convolution and of the flipped one are BLAS dimensions (ints).
  const uint64_t colsOut = g.product("kH*kW*outC", t.kH, t.kW, t.outC);
  const uint64_t colsIn = g.product("kH*kW*inC", t.kH, t.kW, t.inC);
  if (colsOut > 2147483647ULL) g.rangeError("kH*kW*outC = " + std::to_string(colsOut) + " exceeds 2^31-1");
  if (colsIn > 2147483647ULL) g.rangeError("kH*kW*inC = " + std::to_string(colsIn) + " exceeds 2^31-1");
  Sizes s;
  s.input = g.product("batch*inH*inW*inC", g.product("batch*inH*inW", t.batch, t.inH, t.inW), t.inC);
  s.output = g.product("batch*outH*outW*outC", g.product("batch*outH*outW", t.batch, t.outH, t.outW), t.outC);
  s.kernel = g.product("kH*kW*outC*inC", colsOut, t.inC);
  return s;
}

void notSoftmax(const Args& g, int act) {
  if (act == SOFTMAX) g.rangeError("'act' cannot be softmax here (apply softmax in a separate layer)");
}

Job prepareForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 22);
  Arr x = g.floats(0, "x"), w = g.floats(1, "w", x), b = g.optFloats(2, "b", x);
  Arr z = g.floats(3, "z", x), y = g.floats(4, "y", x);
  TransposeGeom t;
  Sizes s = transposeDims(g, 5, &t);
  int act = g.act(20);
  double alpha = g.num(21, "alpha");
  notSoftmax(g, act);
  g.lengthIs(x, s.input, "batch*inH*inW*inC");
  g.lengthIs(w, s.kernel, "kH*kW*outC*inC");
  if (b.present) g.lengthIs(b, t.outC, "outC");
  g.lengthIs(z, s.output, "batch*outH*outW*outC");
  g.lengthIs(y, s.output, "batch*outH*outW*outC");
  for (const Arr* o : {&z, &y}) {
    g.noOverlap(*o, x);
    g.noOverlap(*o, w);
    g.noOverlap(*o, b);
  }
  if (act == LINEAR || act == RELU) g.sameOrDisjoint(y, z);
  else g.noOverlap(y, z);
  if (offThread) g.requireSharedBuffers();
  if (x.kind == Kind::F32) {
    return [=] {
      conv2dTransposeForward(x.as<float>(), w.as<float>(), b.as<float>(), z.as<float>(), y.as<float>(), t, act, alpha);
    };
  }
  return [=] {
    conv2dTransposeForward(x.as<double>(), w.as<double>(), b.as<double>(), z.as<double>(), y.as<double>(), t, act,
                           alpha);
  };
}

Job prepareBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, 26);
  Arr x = g.floats(0, "x"), w = g.floats(1, "w", x), z = g.floats(2, "z", x), y = g.floats(3, "y", x);
  Arr dy = g.floats(4, "dy", x), dz = g.floats(5, "dz", x), dw = g.floats(6, "dw", x);
  Arr db = g.optFloats(7, "db", x), dx = g.optFloats(8, "dx", x);
  TransposeGeom t;
  Sizes s = transposeDims(g, 9, &t);
  int act = g.act(24);
  double alpha = g.num(25, "alpha");
  notSoftmax(g, act);
  g.lengthIs(x, s.input, "batch*inH*inW*inC");
  g.lengthIs(w, s.kernel, "kH*kW*outC*inC");
  for (const Arr* a : {&z, &y, &dy, &dz}) g.lengthIs(*a, s.output, "batch*outH*outW*outC");
  g.lengthIs(dw, s.kernel, "kH*kW*outC*inC");
  if (db.present) g.lengthIs(db, t.outC, "outC");
  if (dx.present) g.lengthIs(dx, s.input, "batch*inH*inW*inC");
  g.sameOrDisjoint(dz, dy);
  const Arr* outs[] = {&dz, &dw, &db, &dx};
  const Arr* ins[] = {&x, &w, &z, &y};
  for (const Arr* o : outs) {
    for (const Arr* i : ins) g.noOverlap(*o, *i);
    for (const Arr* o2 : outs) if (o2 != o && o != &dz && o2 != &dz) g.noOverlap(*o, *o2);
    if (o != &dz) { g.noOverlap(*o, dz); g.noOverlap(*o, dy); }
  }
  if (offThread) g.requireSharedBuffers();
  if (x.kind == Kind::F32) {
    return [=] {
      conv2dTransposeBackward(x.as<float>(), w.as<float>(), z.as<float>(), y.as<float>(), dy.as<float>(),
                              dz.as<float>(), dw.as<float>(), db.as<float>(), dx.as<float>(), t, act, alpha);
    };
  }
  return [=] {
    conv2dTransposeBackward(x.as<double>(), w.as<double>(), z.as<double>(), y.as<double>(), dy.as<double>(),
                            dz.as<double>(), dw.as<double>(), db.as<double>(), dx.as<double>(), t, act, alpha);
  };
}

// Prepare (every check), then run here; a kernel's allocation failure becomes a RangeError naming the op.
Napi::Value runSync(const Napi::CallbackInfo& info, Job (*prepare)(const Napi::CallbackInfo&, const char*, bool),
                    const char* op) {
  Job job = prepare(info, op, false);
  try {
    job();
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), std::string(op) + "(): not enough memory for the kernel's scratch space");
  }
  return info.Env().Undefined();
}

}  // namespace

Napi::Value Conv2dTransposeForward(const Napi::CallbackInfo& info) {
  return runSync(info, prepareForward, "conv2dTransposeForward");
}
Napi::Value Conv2dTransposeBackward(const Napi::CallbackInfo& info) {
  return runSync(info, prepareBackward, "conv2dTransposeBackward");
}
Napi::Value Conv2dTransposeForwardAsync(const Napi::CallbackInfo& info) {
  return queueJob(info, prepareForward(info, "conv2dTransposeForwardAsync", true));
}
Napi::Value Conv2dTransposeBackwardAsync(const Napi::CallbackInfo& info) {
  return queueJob(info, prepareBackward(info, "conv2dTransposeBackwardAsync", true));
}

}  // namespace bp
