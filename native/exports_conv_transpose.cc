// graph-model layers. Exports: conv2dTransposeForward/Backward and their async twins. Each checks every argument
// through Args, by the convolution's checks (conv_checks.cc; the same checks as src/backend/js/conv-checks.ts),
// before any pointer is dereferenced, then dispatches on the float kind.
#include <string>

#include "args.h"
#include "async_job.h"
#include "conv_checks.h"
#include "conv_transpose.h"
#include "exports.h"

namespace bp {

namespace {

Job prepareForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, convForwardArgCount(ConvKind::Transpose));
  const ConvForwardCall k = checkConvForward(g, ConvKind::Transpose);
  if (offThread) g.requireSharedBuffers();
  if (k.x.kind == Kind::F32) {
    return [k] {
      conv2dTransposeForward(k.x.as<float>(), k.w.as<float>(), k.b.as<float>(), k.z.as<float>(), k.y.as<float>(), k.c,
                             k.act, k.alpha);
    };
  }
  return [k] {
    conv2dTransposeForward(k.x.as<double>(), k.w.as<double>(), k.b.as<double>(), k.z.as<double>(), k.y.as<double>(),
                           k.c, k.act, k.alpha);
  };
}

Job prepareBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  Args g(info, op, convBackwardArgCount(ConvKind::Transpose));
  const ConvBackwardCall k = checkConvBackward(g, ConvKind::Transpose);
  if (offThread) g.requireSharedBuffers();
  if (k.x.kind == Kind::F32) {
    return [k] {
      conv2dTransposeBackward(k.x.as<float>(), k.w.as<float>(), k.z.as<float>(), k.y.as<float>(), k.dy.as<float>(),
                              k.dz.as<float>(), k.dw.as<float>(), k.db.as<float>(), k.dx.as<float>(), k.c, k.act,
                              k.alpha);
    };
  }
  return [k] {
    conv2dTransposeBackward(k.x.as<double>(), k.w.as<double>(), k.z.as<double>(), k.y.as<double>(), k.dy.as<double>(),
                            k.dz.as<double>(), k.dw.as<double>(), k.db.as<double>(), k.dx.as<double>(), k.c, k.act,
                            k.alpha);
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
