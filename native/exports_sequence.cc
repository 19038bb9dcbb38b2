// Exports of the sequence-model ops: embedding lookups and their sparse SGD step, the recurrent layers over a
// whole sequence (sync and off-main-thread), layer normalization. Each checks its arguments through a
// TableCall whose description mirrors the op's row in src/backend/op-table.ts, then dispatches on the float
// kind. The async twins also require every array to be backed by a non-growable SharedArrayBuffer.
#include <string>

#include "async_job.h"
#include "exports.h"
#include "gru.h"
#include "recurrent.h"
#include "sequence.h"
#include "table_call.h"

namespace bp {

namespace {
constexpr K F = K::Floats, O = K::OptFloats, I32 = K::Int32s, D = K::Dim, N = K::Num, B = K::Bool, A = K::Act;

template <size_t n>
constexpr size_t countOf(const ArgDef (&)[n]) { return n; }

[[noreturn]] void badId(const TableCall& c, const BadIndex& bad, uint64_t vocab) {
  c.args().rangeError("'ids'[" + std::to_string(bad.at) + "] = " + std::to_string(bad.value) + " is outside [0, " +
                      std::to_string(vocab) + ")");
}

void recurrentActs(const TableCall& c, size_t actAt, long recAt) {
  const char* names[] = {"act", "recurrentAct"};
  size_t at[] = {actAt, recAt < 0 ? actAt : static_cast<size_t>(recAt)};
  for (int k = 0; k < (recAt < 0 ? 1 : 2); k++) {
    int code = c.act(at[k]);
    if (!rnn::isRecurrentActivation(code)) {
      c.args().rangeError(std::string("'") + names[k] +
                          "' must be one of linear, sigmoid, tanh, relu, elu, selu, softplus, softsign, hardSigmoid "
                          "(activations whose derivative follows from their output), got code " +
                          std::to_string(code));
    }
  }
}

template <typename T>
T* p(const Arr& a) { return a.present ? a.as<T>() : nullptr; }
}  // namespace

#define BP_KIND_DISPATCH(call, BODY) \
  if ((call).f64()) { using T = double; BODY; } else { using T = float; BODY; }

// ---- Embedding -------------------------------------------------------------------------------------------

static const ArgDef kEmbeddingForward[] = {
    {"ids", I32, "n"}, {"table", F, "vocab*dim"}, {"out", F, "n*dim"}, {"n", D, nullptr}, {"vocab", D, nullptr},
    {"dim", D, nullptr}};
static const ArgDef kEmbeddingBackward[] = {
    {"ids", I32, "n"}, {"dy", F, "n*dim"}, {"dTable", F, "vocab*dim"}, {"n", D, nullptr}, {"vocab", D, nullptr},
    {"dim", D, nullptr}};
static const ArgDef kSparseSgdStep[] = {
    {"ids", I32, "n"}, {"w", F, "vocab*dim"}, {"g", F, "vocab*dim"}, {"n", D, nullptr}, {"vocab", D, nullptr},
    {"dim", D, nullptr}, {"lr", N, nullptr}};

Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  TableCall c(info, "embeddingForward", kEmbeddingForward, countOf(kEmbeddingForward));
  BadIndex bad;
  const int32_t* ids = c.arr(0).as<int32_t>();
  BP_KIND_DISPATCH(c, bad = embeddingForward(ids, c.arr(1).as<T>(), c.arr(2).as<T>(), c.dim(3), c.dim(4), c.dim(5)));
  if (bad.found) badId(c, bad, c.dim(4));
  return info.Env().Undefined();
}

Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  TableCall c(info, "embeddingBackward", kEmbeddingBackward, countOf(kEmbeddingBackward));
  BadIndex bad;
  const int32_t* ids = c.arr(0).as<int32_t>();
  BP_KIND_DISPATCH(c, bad = embeddingBackward(ids, c.arr(1).as<T>(), c.arr(2).as<T>(), c.dim(3), c.dim(4), c.dim(5)));
  if (bad.found) badId(c, bad, c.dim(4));
  return info.Env().Undefined();
}

Napi::Value SparseSgdStep(const Napi::CallbackInfo& info) {
  TableCall c(info, "sparseSgdStep", kSparseSgdStep, countOf(kSparseSgdStep));
  BadIndex bad;
  const int32_t* ids = c.arr(0).as<int32_t>();
  BP_KIND_DISPATCH(c, bad = sparseSgd(ids, c.arr(1).as<T>(), c.arr(2).as<T>(), c.dim(3), c.dim(4), c.dim(5), c.num(6)));
  if (bad.found) badId(c, bad, c.dim(4));
  return info.Env().Undefined();
}

// ---- SimpleRNN ---------------------------------------------------------------------------------------------

static const ArgDef kSimpleRnnForward[] = {
    {"x", F, "batch*steps*inputSize"}, {"kernel", F, "inputSize*units"}, {"recurrentKernel", F, "units*units"},
    {"bias", O, "units"}, {"mask", O, "batch*steps"}, {"xT", F, "steps*batch*inputSize"}, {"z", F, "steps*batch*units"},
    {"hs", F, "steps*batch*units"}, {"y", O, "batch*steps*units"}, {"batch", D, nullptr}, {"steps", D, nullptr},
    {"inputSize", D, nullptr}, {"units", D, nullptr}, {"act", A, nullptr}, {"goBackwards", B, nullptr}};
static const ArgDef kSimpleRnnBackward[] = {
    {"xT", F, "steps*batch*inputSize"}, {"kernel", F, "inputSize*units"}, {"recurrentKernel", F, "units*units"},
    {"mask", O, "batch*steps"}, {"z", F, "steps*batch*units"}, {"hs", F, "steps*batch*units"},
    {"dySeq", O, "batch*steps*units"}, {"dyLast", O, "batch*units"}, {"dKernel", F, "inputSize*units"},
    {"dRecurrentKernel", F, "units*units"}, {"dBias", O, "units"}, {"dx", O, "batch*steps*inputSize"},
    {"dh", F, "batch*units"}, {"batch", D, nullptr}, {"steps", D, nullptr}, {"inputSize", D, nullptr},
    {"units", D, nullptr}, {"act", A, nullptr}, {"goBackwards", B, nullptr}};

static Job prepareSimpleRnnForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kSimpleRnnForward, countOf(kSimpleRnnForward));
  recurrentActs(c, 13, -1);
  c.blasDim("steps*batch", c.dim(10), c.dim(9));
  if (offThread) c.args().requireSharedBuffers();
  size_t b = c.dim(9), s = c.dim(10), in = c.dim(11), u = c.dim(12);
  int act = c.act(13);
  bool back = c.flag(14);
  Arr a[9];
  for (int i = 0; i < 9; i++) a[i] = c.arr(i);
  BP_KIND_DISPATCH(c, return [=] {
    rnn::simpleRnnForward(p<T>(a[0]), p<T>(a[1]), p<T>(a[2]), p<T>(a[3]), p<T>(a[4]), p<T>(a[5]), p<T>(a[6]),
                          p<T>(a[7]), p<T>(a[8]), b, s, in, u, act, back);
  });
}

static Job prepareSimpleRnnBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kSimpleRnnBackward, countOf(kSimpleRnnBackward));
  recurrentActs(c, 17, -1);
  c.blasDim("steps*batch", c.dim(14), c.dim(13));
  if (offThread) c.args().requireSharedBuffers();
  size_t b = c.dim(13), s = c.dim(14), in = c.dim(15), u = c.dim(16);
  int act = c.act(17);
  bool back = c.flag(18);
  Arr a[13];
  for (int i = 0; i < 13; i++) a[i] = c.arr(i);
  BP_KIND_DISPATCH(c, return [=] {
    rnn::simpleRnnBackward(p<T>(a[0]), p<T>(a[1]), p<T>(a[2]), p<T>(a[3]), p<T>(a[4]), p<T>(a[5]), p<T>(a[6]),
                           p<T>(a[7]), p<T>(a[8]), p<T>(a[9]), p<T>(a[10]), p<T>(a[11]), p<T>(a[12]), b, s, in, u,
                           act, back);
  });
}

// ---- LSTM --------------------------------------------------------------------------------------------------

static const ArgDef kLstmForward[] = {
    {"x", F, "batch*steps*inputSize"}, {"kernel", F, "inputSize*4*units"}, {"recurrentKernel", F, "units*4*units"},
    {"bias", O, "4*units"}, {"mask", O, "batch*steps"}, {"xT", F, "steps*batch*inputSize"},
    {"gates", F, "steps*batch*4*units"}, {"cells", F, "steps*batch*units"}, {"hs", F, "steps*batch*units"},
    {"y", O, "batch*steps*units"}, {"batch", D, nullptr}, {"steps", D, nullptr}, {"inputSize", D, nullptr},
    {"units", D, nullptr}, {"act", A, nullptr}, {"recurrentAct", A, nullptr}, {"goBackwards", B, nullptr}};
static const ArgDef kLstmBackward[] = {
    {"xT", F, "steps*batch*inputSize"}, {"kernel", F, "inputSize*4*units"}, {"recurrentKernel", F, "units*4*units"},
    {"mask", O, "batch*steps"}, {"gates", F, "steps*batch*4*units"}, {"cells", F, "steps*batch*units"},
    {"hs", F, "steps*batch*units"}, {"dySeq", O, "batch*steps*units"}, {"dyLast", O, "batch*units"},
    {"dKernel", F, "inputSize*4*units"}, {"dRecurrentKernel", F, "units*4*units"}, {"dBias", O, "4*units"},
    {"dx", O, "batch*steps*inputSize"}, {"dh", F, "batch*units"}, {"dc", F, "batch*units"}, {"batch", D, nullptr},
    {"steps", D, nullptr}, {"inputSize", D, nullptr}, {"units", D, nullptr}, {"act", A, nullptr},
    {"recurrentAct", A, nullptr}, {"goBackwards", B, nullptr}};

static Job prepareLstmForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kLstmForward, countOf(kLstmForward));
  recurrentActs(c, 14, 15);
  c.blasDim("steps*batch", c.dim(11), c.dim(10));
  c.blasDim("4*units", 4, c.dim(13));
  if (offThread) c.args().requireSharedBuffers();
  size_t b = c.dim(10), s = c.dim(11), in = c.dim(12), u = c.dim(13);
  int act = c.act(14), rec = c.act(15);
  bool back = c.flag(16);
  Arr a[10];
  for (int i = 0; i < 10; i++) a[i] = c.arr(i);
  BP_KIND_DISPATCH(c, return [=] {
    rnn::lstmForward(p<T>(a[0]), p<T>(a[1]), p<T>(a[2]), p<T>(a[3]), p<T>(a[4]), p<T>(a[5]), p<T>(a[6]), p<T>(a[7]),
                     p<T>(a[8]), p<T>(a[9]), b, s, in, u, act, rec, back);
  });
}

static Job prepareLstmBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kLstmBackward, countOf(kLstmBackward));
  recurrentActs(c, 19, 20);
  c.blasDim("steps*batch", c.dim(16), c.dim(15));
  c.blasDim("4*units", 4, c.dim(18));
  if (offThread) c.args().requireSharedBuffers();
  size_t b = c.dim(15), s = c.dim(16), in = c.dim(17), u = c.dim(18);
  int act = c.act(19), rec = c.act(20);
  bool back = c.flag(21);
  Arr a[15];
  for (int i = 0; i < 15; i++) a[i] = c.arr(i);
  BP_KIND_DISPATCH(c, return [=] {
    rnn::lstmBackward(p<T>(a[0]), p<T>(a[1]), p<T>(a[2]), p<T>(a[3]), p<T>(a[4]), p<T>(a[5]), p<T>(a[6]), p<T>(a[7]),
                      p<T>(a[8]), p<T>(a[9]), p<T>(a[10]), p<T>(a[11]), p<T>(a[12]), p<T>(a[13]), p<T>(a[14]), b, s,
                      in, u, act, rec, back);
  });
}

// ---- GRU ---------------------------------------------------------------------------------------------------

static const ArgDef kGruForward[] = {
    {"x", F, "batch*steps*inputSize"}, {"kernel", F, "inputSize*3*units"}, {"recurrentKernel", F, "units*3*units"},
    {"bias", O, "3*units"}, {"recurrentBias", O, "3*units"}, {"mask", O, "batch*steps"},
    {"xT", F, "steps*batch*inputSize"}, {"gates", F, "steps*batch*3*units"}, {"rh", F, "steps*batch*units"},
    {"hs", F, "steps*batch*units"}, {"scratch", F, "batch*3*units"}, {"y", O, "batch*steps*units"},
    {"batch", D, nullptr}, {"steps", D, nullptr}, {"inputSize", D, nullptr}, {"units", D, nullptr},
    {"act", A, nullptr}, {"recurrentAct", A, nullptr}, {"resetAfter", B, nullptr}, {"goBackwards", B, nullptr}};
static const ArgDef kGruBackward[] = {
    {"xT", F, "steps*batch*inputSize"}, {"kernel", F, "inputSize*3*units"}, {"recurrentKernel", F, "units*3*units"},
    {"mask", O, "batch*steps"}, {"gates", F, "steps*batch*3*units"}, {"rh", F, "steps*batch*units"},
    {"hs", F, "steps*batch*units"}, {"dySeq", O, "batch*steps*units"}, {"dyLast", O, "batch*units"},
    {"dKernel", F, "inputSize*3*units"}, {"dRecurrentKernel", F, "units*3*units"}, {"dBias", O, "3*units"},
    {"dRecurrentBias", O, "3*units"}, {"dx", O, "batch*steps*inputSize"}, {"dh", F, "batch*units"},
    {"scratch", F, "batch*3*units"}, {"batch", D, nullptr}, {"steps", D, nullptr}, {"inputSize", D, nullptr},
    {"units", D, nullptr}, {"act", A, nullptr}, {"recurrentAct", A, nullptr}, {"resetAfter", B, nullptr},
    {"goBackwards", B, nullptr}};

static void gruBias(const TableCall& c, bool resetAfter, size_t at, const char* name) {
  if (!resetAfter && c.arr(at).present) {
    c.args().rangeError(std::string("'") + name + "' must be null when 'resetAfter' is false (that GRU has one bias)");
  }
}

static Job prepareGruForward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kGruForward, countOf(kGruForward));
  recurrentActs(c, 16, 17);
  bool resetAfter = c.flag(18), back = c.flag(19);
  gruBias(c, resetAfter, 4, "recurrentBias");
  c.blasDim("steps*batch", c.dim(13), c.dim(12));
  c.blasDim("3*units", 3, c.dim(15));
  if (offThread) c.args().requireSharedBuffers();
  size_t b = c.dim(12), s = c.dim(13), in = c.dim(14), u = c.dim(15);
  int act = c.act(16), rec = c.act(17);
  Arr a[12];
  for (int i = 0; i < 12; i++) a[i] = c.arr(i);
  BP_KIND_DISPATCH(c, return [=] {
    rnn::gruForward(p<T>(a[0]), p<T>(a[1]), p<T>(a[2]), p<T>(a[3]), p<T>(a[4]), p<T>(a[5]), p<T>(a[6]), p<T>(a[7]),
                    p<T>(a[8]), p<T>(a[9]), p<T>(a[10]), p<T>(a[11]), b, s, in, u, act, rec, resetAfter, back);
  });
}

static Job prepareGruBackward(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kGruBackward, countOf(kGruBackward));
  recurrentActs(c, 20, 21);
  bool resetAfter = c.flag(22), back = c.flag(23);
  gruBias(c, resetAfter, 12, "dRecurrentBias");
  c.blasDim("steps*batch", c.dim(17), c.dim(16));
  c.blasDim("3*units", 3, c.dim(19));
  if (offThread) c.args().requireSharedBuffers();
  size_t b = c.dim(16), s = c.dim(17), in = c.dim(18), u = c.dim(19);
  int act = c.act(20), rec = c.act(21);
  Arr a[16];
  for (int i = 0; i < 16; i++) a[i] = c.arr(i);
  BP_KIND_DISPATCH(c, return [=] {
    rnn::gruBackward(p<T>(a[0]), p<T>(a[1]), p<T>(a[2]), p<T>(a[3]), p<T>(a[4]), p<T>(a[5]), p<T>(a[6]), p<T>(a[7]),
                     p<T>(a[8]), p<T>(a[9]), p<T>(a[10]), p<T>(a[11]), p<T>(a[12]), p<T>(a[13]), p<T>(a[14]),
                     p<T>(a[15]), b, s, in, u, act, rec, resetAfter, back);
  });
}

#define BP_SYNC_AND_ASYNC(Name, prepare, op)                                                                   \
  Napi::Value Name(const Napi::CallbackInfo& info) {                                                           \
    prepare(info, op, false)();                                                                                \
    return info.Env().Undefined();                                                                             \
  }                                                                                                            \
  Napi::Value Name##Async(const Napi::CallbackInfo& info) { return queueJob(info, prepare(info, op "Async", true)); }

BP_SYNC_AND_ASYNC(SimpleRnnForward, prepareSimpleRnnForward, "simpleRnnForward")
BP_SYNC_AND_ASYNC(SimpleRnnBackward, prepareSimpleRnnBackward, "simpleRnnBackward")
BP_SYNC_AND_ASYNC(LstmForward, prepareLstmForward, "lstmForward")
BP_SYNC_AND_ASYNC(LstmBackward, prepareLstmBackward, "lstmBackward")
BP_SYNC_AND_ASYNC(GruForward, prepareGruForward, "gruForward")
BP_SYNC_AND_ASYNC(GruBackward, prepareGruBackward, "gruBackward")

// ---- Layer normalization -----------------------------------------------------------------------------------

static const ArgDef kLayerNormForward[] = {
    {"x", F, "rows*cols"}, {"gamma", O, "cols"}, {"beta", O, "cols"}, {"y", F, "rows*cols"}, {"stats", F, "rows*2"},
    {"rows", D, nullptr}, {"cols", D, nullptr}, {"epsilon", N, nullptr}};
static const ArgDef kLayerNormBackward[] = {
    {"x", F, "rows*cols"}, {"gamma", O, "cols"}, {"stats", F, "rows*2"}, {"dy", F, "rows*cols"}, {"dx", O, "rows*cols"},
    {"dGamma", O, "cols"}, {"dBeta", O, "cols"}, {"rows", D, nullptr}, {"cols", D, nullptr}};

Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  TableCall c(info, "layerNormForward", kLayerNormForward, countOf(kLayerNormForward));
  double eps = c.num(7);
  if (!(eps > 0)) c.args().rangeError("'epsilon' must be > 0, got " + std::to_string(eps));
  BP_KIND_DISPATCH(c, layerNormForward(p<T>(c.arr(0)), p<T>(c.arr(1)), p<T>(c.arr(2)), p<T>(c.arr(3)),
                                       p<T>(c.arr(4)), c.dim(5), c.dim(6), eps));
  return info.Env().Undefined();
}

Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  TableCall c(info, "layerNormBackward", kLayerNormBackward, countOf(kLayerNormBackward));
  BP_KIND_DISPATCH(c, layerNormBackward(p<T>(c.arr(0)), p<T>(c.arr(1)), p<T>(c.arr(2)), p<T>(c.arr(3)),
                                        p<T>(c.arr(4)), p<T>(c.arr(5)), p<T>(c.arr(6)), c.dim(7), c.dim(8)));
  return info.Env().Undefined();
}

}  // namespace bp
