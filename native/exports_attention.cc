// Exports of the attention ops (sync and off-main-thread). Each checks its arguments through a TableCall whose
// description mirrors the op's row in src/backend/op-table.ts, then the values the table cannot express (a
// finite scale, a dropout rate in [0, 1)), then dispatches on the float kind. The async twins also require every
// array to be backed by a non-growable SharedArrayBuffer.
#include <cmath>
#include <new>
#include <string>

#include "async_job.h"
#include "attention.h"
#include "exports.h"
#include "table_call.h"

namespace bp {

namespace {
constexpr K F = K::Floats, O = K::OptFloats, D = K::Dim, N = K::Num, B = K::Bool;

template <size_t n>
constexpr size_t countOf(const ArgDef (&)[n]) { return n; }

#define BP_ATTN_Q "batch*tq*heads*keyDim"
#define BP_ATTN_K "batch*tk*heads*keyDim"
#define BP_ATTN_V "batch*tk*heads*valueDim"
#define BP_ATTN_OUT "batch*tq*heads*valueDim"
#define BP_ATTN_MASKS {"mask", O, "batch*tq*tk"}, {"keyMask", O, "batch*tk"}, {"queryMask", O, "batch*tq"}
#define BP_ATTN_DIMS                                                                                          \
  {"batch", D, nullptr}, {"heads", D, nullptr}, {"tq", D, nullptr}, {"tk", D, nullptr}, {"keyDim", D, nullptr}, \
      {"valueDim", D, nullptr}, {"scale", N, nullptr}, {"causal", B, nullptr}, {"dropout", N, nullptr},          \
      {"seed", D, nullptr}

const ArgDef kForward[] = {{"q", F, BP_ATTN_Q},   {"k", F, BP_ATTN_K},       {"v", F, BP_ATTN_V}, BP_ATTN_MASKS,
                           {"out", F, BP_ATTN_OUT}, {"lse", F, "batch*heads*tq"}, {"probs", O, "batch*heads*tq*tk"},
                           BP_ATTN_DIMS};
const ArgDef kBackward[] = {{"q", F, BP_ATTN_Q},     {"k", F, BP_ATTN_K},  {"v", F, BP_ATTN_V}, BP_ATTN_MASKS,
                            {"out", F, BP_ATTN_OUT}, {"lse", F, "batch*heads*tq"}, {"dOut", F, BP_ATTN_OUT},
                            {"dq", F, BP_ATTN_Q},    {"dk", F, BP_ATTN_K}, {"dv", F, BP_ATTN_V}, BP_ATTN_DIMS};

// The shape from the ten trailing arguments (from `first` on), with the checks the table cannot express. Bad
// numbers are quoted as JS writes them (the argument is a number: ToString runs no user code).
AttnShape shapeOf(const Napi::CallbackInfo& info, const TableCall& c, size_t first) {
  auto js = [&](size_t i) { return info[i].ToString().Utf8Value(); };
  AttnShape s;
  s.batch = c.dim(first);
  s.heads = c.dim(first + 1);
  s.tq = c.dim(first + 2);
  s.tk = c.dim(first + 3);
  s.dk = c.dim(first + 4);
  s.dv = c.dim(first + 5);
  s.scale = c.num(first + 6);
  s.causal = c.flag(first + 7);
  s.dropout = c.num(first + 8);
  s.seed = static_cast<uint32_t>(c.dim(first + 9));
  if (!std::isfinite(s.scale)) c.args().rangeError("'scale' must be a finite number, got " + js(first + 6));
  if (!(s.dropout >= 0 && s.dropout < 1)) c.args().rangeError("'dropout' must be in [0, 1), got " + js(first + 8));
  return s;
}

template <typename T>
const T* in(const Arr& a) { return a.present ? a.as<T>() : nullptr; }
template <typename T>
T* outp(const Arr& a) { return a.present ? a.as<T>() : nullptr; }

Job prepareForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kForward, countOf(kForward));
  const AttnShape s = shapeOf(info, c, 9);
  if (offThread) c.args().requireSharedBuffers();
  Arr a[9];
  for (int i = 0; i < 9; i++) a[i] = c.arr(i);
  if (c.f64()) {
    AttnForward<double> f{in<double>(a[0]), in<double>(a[1]), in<double>(a[2]), in<double>(a[3]), in<double>(a[4]),
                          in<double>(a[5]), outp<double>(a[6]), outp<double>(a[7]), outp<double>(a[8]), s};
    return [f] { attentionForward(f); };
  }
  AttnForward<float> f{in<float>(a[0]), in<float>(a[1]), in<float>(a[2]), in<float>(a[3]), in<float>(a[4]),
                       in<float>(a[5]), outp<float>(a[6]), outp<float>(a[7]), outp<float>(a[8]), s};
  return [f] { attentionForward(f); };
}

Job prepareBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kBackward, countOf(kBackward));
  const AttnShape s = shapeOf(info, c, 12);
  if (offThread) c.args().requireSharedBuffers();
  Arr a[12];
  for (int i = 0; i < 12; i++) a[i] = c.arr(i);
  if (c.f64()) {
    AttnBackward<double> g{in<double>(a[0]),  in<double>(a[1]),  in<double>(a[2]),  in<double>(a[3]),
                           in<double>(a[4]),  in<double>(a[5]),  in<double>(a[6]),  in<double>(a[7]),
                           in<double>(a[8]),  outp<double>(a[9]), outp<double>(a[10]), outp<double>(a[11]), s};
    return [g] { attentionBackward(g); };
  }
  AttnBackward<float> g{in<float>(a[0]), in<float>(a[1]),  in<float>(a[2]),   in<float>(a[3]),  in<float>(a[4]),
                        in<float>(a[5]), in<float>(a[6]),  in<float>(a[7]),   in<float>(a[8]),  outp<float>(a[9]),
                        outp<float>(a[10]), outp<float>(a[11]), s};
  return [g] { attentionBackward(g); };
}

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

Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  return runSync(info, prepareForward, "attentionForward");
}
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  return runSync(info, prepareBackward, "attentionBackward");
}
Napi::Value AttentionForwardAsync(const Napi::CallbackInfo& info) {
  return queueJob(info, prepareForward(info, "attentionForwardAsync", true));
}
Napi::Value AttentionBackwardAsync(const Napi::CallbackInfo& info) {
  return queueJob(info, prepareBackward(info, "attentionBackwardAsync", true));
}

}  // namespace bp
