// Exports of the autodiff ops (bp.ops): unary, binary, select, reduce, matMul (and its async twin), stridedCopy,
// gather, scatterAdd, oneHot. Each checks its arguments through a TableCall whose description mirrors the op's row
// in src/backend/op-table.ts — shapes and codes are copied once there and only the copies are used — plus what the
// table cannot say (broadcast-compatible shapes, strided positions inside their arrays), then dispatches on the
// float kind. The checks match src/backend/js/autodiff-ops.ts, so both backends refuse the same calls.
#include <array>
#include <string>

#include "async_job.h"
#include "elementwise.h"
#include "exports.h"
#include "reduce.h"
#include "strided.h"
#include "table_call.h"

namespace bp {

namespace {
constexpr K F = K::Floats, I32 = K::Int32s, D = K::Dim, N = K::Num, B = K::Bool, S = K::Shape, C = K::Code,
            CS = K::Codes;
constexpr uint64_t kRank = kMaxKernelRank;

template <size_t n>
constexpr size_t countOf(const ArgDef (&)[n]) { return n; }

// RangeError unless each dim of shape `i` is 1 or that of shape `out`.
void broadcastable(const TableCall& c, const ArgDef* defs, size_t out, size_t i, size_t rank) {
  const int64_t* o = c.ints(out);
  const int64_t* s = c.ints(i);
  for (size_t d = 0; d < rank; d++) {
    if (s[d] != 1 && s[d] != o[d]) {
      c.args().rangeError(std::string("'") + defs[i].name + "'[" + std::to_string(d) + "] = " + std::to_string(s[d]) +
                          " must be 1 or " + defs[out].name + "[" + std::to_string(d) + "] = " + std::to_string(o[d]));
    }
  }
}

[[noreturn]] void badIndex(const TableCall& c, const BadIndex& bad, uint64_t bound) {
  c.args().rangeError("'indices'[" + std::to_string(bad.at) + "] = " + std::to_string(bad.value) + " is outside [0, " +
                      std::to_string(bound) + ")");
}
}  // namespace

#define BP_KIND_DISPATCH(call, BODY) \
  if ((call).f64()) { using T = double; BODY; } else { using T = float; BODY; }

static const ArgDef kUnary[] = {
    {"codes", CS, "chain", UNARY_COUNT}, {"params", F, "chain*2"}, {"x", F, "len"},
    {"y", F, "len", 0, true, "x"},       {"len", D, nullptr},      {"chain", D, nullptr, kMaxChain}};
static const ArgDef kBinary[] = {
    {"op", C, nullptr, BINARY_COUNT},      {"rank", D, nullptr, kRank},       {"outShape", S, "rank"},
    {"aShape", S, "rank"},                 {"bShape", S, "rank"},             {"a", F, "#aShape"},
    {"b", F, "#bShape"},                   {"out", F, "#outShape", 0, true, "a,b"},
    {"post", CS, "chain", UNARY_COUNT},    {"postParams", F, "chain*2"},      {"chain", D, nullptr, kMaxChain}};
static const ArgDef kSelect[] = {
    {"rank", D, nullptr, kRank}, {"outShape", S, "rank"}, {"condShape", S, "rank"}, {"aShape", S, "rank"},
    {"bShape", S, "rank"},       {"cond", F, "#condShape"}, {"a", F, "#aShape"},   {"b", F, "#bShape"},
    {"out", F, "#outShape", 0, true, "cond,a,b"}};
static const ArgDef kReduce[] = {
    {"op", C, nullptr, REDUCE_COUNT}, {"rank", D, nullptr, kRank}, {"xShape", S, "rank"},
    {"yShape", S, "rank"},            {"x", F, "#xShape"},         {"y", F, "#yShape", 0, true}};
static const ArgDef kMatMul[] = {
    {"transA", B, nullptr}, {"transB", B, nullptr},   {"rank", D, nullptr, kRank},
    {"outBatch", S, "rank"}, {"aBatch", S, "rank"},   {"bBatch", S, "rank"},
    {"m", D, nullptr},       {"n", D, nullptr},       {"k", D, nullptr},
    {"a", F, "#aBatch*m*k"}, {"b", F, "#bBatch*k*n"}, {"c", F, "#outBatch*m*n", 0, true}};
static const ArgDef kStridedCopy[] = {
    {"rank", D, nullptr, kRank}, {"shape", S, "rank"}, {"xStrides", S, "rank"}, {"xOffset", D, nullptr},
    {"yStrides", S, "rank"},     {"yOffset", D, nullptr}, {"x", F, "xLen"},      {"y", F, "yLen", 0, true},
    {"xLen", D, nullptr},        {"yLen", D, nullptr}};
static const ArgDef kGather[] = {
    {"x", F, "outer*n*inner"}, {"indices", I32, "count"}, {"y", F, "outer*count*inner", 0, true},
    {"outer", D, nullptr},     {"n", D, nullptr},         {"inner", D, nullptr},
    {"count", D, nullptr}};
static const ArgDef kScatterAdd[] = {
    {"dy", F, "outer*count*inner"}, {"indices", I32, "count"}, {"dx", F, "outer*n*inner", 0, true},
    {"outer", D, nullptr},          {"n", D, nullptr},         {"inner", D, nullptr},
    {"count", D, nullptr}};
static const ArgDef kOneHot[] = {{"indices", I32, "count"}, {"y", F, "count*depth", 0, true}, {"count", D, nullptr},
                                 {"depth", D, nullptr},     {"on", N, nullptr},                {"off", N, nullptr}};

Napi::Value Unary(const Napi::CallbackInfo& info) {
  TableCall c(info, "unary", kUnary, countOf(kUnary));
  BP_KIND_DISPATCH(c, unaryKernel(c.ints(0), c.arr(1).as<T>(), c.arr(2).as<T>(), c.arr(3).as<T>(), c.dim(4), c.dim(5)));
  return info.Env().Undefined();
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  TableCall c(info, "binary", kBinary, countOf(kBinary));
  size_t rank = c.dim(1);
  broadcastable(c, kBinary, 2, 3, rank);
  broadcastable(c, kBinary, 2, 4, rank);
  BP_KIND_DISPATCH(c, binaryKernel(c.code(0), rank, c.ints(2), c.ints(3), c.ints(4), c.arr(5).as<T>(),
                                   c.arr(6).as<T>(), c.arr(7).as<T>(), c.ints(8), c.arr(9).as<T>(), c.dim(10)));
  return info.Env().Undefined();
}

Napi::Value Select(const Napi::CallbackInfo& info) {
  TableCall c(info, "select", kSelect, countOf(kSelect));
  size_t rank = c.dim(0);
  for (size_t i = 2; i <= 4; i++) broadcastable(c, kSelect, 1, i, rank);
  BP_KIND_DISPATCH(c, selectKernel(rank, c.ints(1), c.ints(2), c.ints(3), c.ints(4), c.arr(5).as<T>(),
                                   c.arr(6).as<T>(), c.arr(7).as<T>(), c.arr(8).as<T>()));
  return info.Env().Undefined();
}

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  TableCall c(info, "reduce", kReduce, countOf(kReduce));
  size_t rank = c.dim(1);
  broadcastable(c, kReduce, 2, 3, rank);
  BP_KIND_DISPATCH(c, reduceKernel(c.code(0), rank, c.ints(2), c.ints(3), c.arr(4).as<T>(), c.arr(5).as<T>()));
  return info.Env().Undefined();
}

static Job prepareMatMul(const Napi::CallbackInfo& info, const char* op, bool offThread) {
  TableCall c(info, op, kMatMul, countOf(kMatMul));
  size_t rank = c.dim(2);
  broadcastable(c, kMatMul, 3, 4, rank);
  broadcastable(c, kMatMul, 3, 5, rank);
  if (offThread) c.args().requireSharedBuffers();
  std::array<int64_t, kMaxKernelRank> shapes[3] = {};
  for (size_t j = 0; j < 3; j++) std::copy(c.ints(3 + j), c.ints(3 + j) + rank, shapes[j].begin());
  bool ta = c.flag(0), tb = c.flag(1);
  size_t m = c.dim(6), n = c.dim(7), k = c.dim(8);
  Arr a = c.arr(9), b = c.arr(10), out = c.arr(11);
  BP_KIND_DISPATCH(c, return [=] {
    matMulKernel(ta, tb, rank, shapes[0].data(), shapes[1].data(), shapes[2].data(), m, n, k, a.as<T>(), b.as<T>(),
                 out.as<T>());
  });
}

Napi::Value MatMul(const Napi::CallbackInfo& info) {
  prepareMatMul(info, "matMul", false)();
  return info.Env().Undefined();
}

Napi::Value MatMulAsync(const Napi::CallbackInfo& info) { return queueJob(info, prepareMatMul(info, "matMulAsync", true)); }

Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  TableCall c(info, "stridedCopy", kStridedCopy, countOf(kStridedCopy));
  size_t rank = c.dim(0);
  const char* names[2] = {"xStrides", "yStrides"};
  for (int side = 0; side < 2; side++) {
    int64_t offset = static_cast<int64_t>(c.dim(side ? 5 : 3));
    int64_t len = static_cast<int64_t>(c.dim(side ? 9 : 8));
    int64_t reach = stridedReach(rank, c.ints(1), c.ints(side ? 4 : 2), offset);
    if (reach >= len) {
      c.args().rangeError(std::string("'shape' with '") + names[side] + "' and offset " + std::to_string(offset) +
                          " reaches position " + std::to_string(reach) + ", past the array's length " +
                          std::to_string(len));
    }
  }
  BP_KIND_DISPATCH(c, stridedCopyKernel(rank, c.ints(1), c.ints(2), c.dim(3), c.ints(4), c.dim(5), c.arr(6).as<T>(),
                                        c.arr(7).as<T>()));
  return info.Env().Undefined();
}

Napi::Value Gather(const Napi::CallbackInfo& info) {
  TableCall c(info, "gather", kGather, countOf(kGather));
  BadIndex bad;
  const int32_t* idx = c.arr(1).as<int32_t>();
  BP_KIND_DISPATCH(c, bad = gatherKernel(c.arr(0).as<T>(), idx, c.arr(2).as<T>(), c.dim(3), c.dim(4), c.dim(5),
                                         c.dim(6)));
  if (bad.found) badIndex(c, bad, c.dim(4));
  return info.Env().Undefined();
}

Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  TableCall c(info, "scatterAdd", kScatterAdd, countOf(kScatterAdd));
  BadIndex bad;
  const int32_t* idx = c.arr(1).as<int32_t>();
  BP_KIND_DISPATCH(c, bad = scatterAddKernel(c.arr(0).as<T>(), idx, c.arr(2).as<T>(), c.dim(3), c.dim(4), c.dim(5),
                                             c.dim(6)));
  if (bad.found) badIndex(c, bad, c.dim(4));
  return info.Env().Undefined();
}

Napi::Value OneHot(const Napi::CallbackInfo& info) {
  TableCall c(info, "oneHot", kOneHot, countOf(kOneHot));
  BadIndex bad;
  const int32_t* idx = c.arr(0).as<int32_t>();
  BP_KIND_DISPATCH(c, bad = oneHotKernel(idx, c.arr(1).as<T>(), c.dim(2), c.dim(3), c.num(4), c.num(5)));
  if (bad.found) badIndex(c, bad, c.dim(3));
  return info.Env().Undefined();
}

// The loader compares these with src/backend/elementwise.ts's tables and refuses a stale build.
Napi::Value ElementwiseCounts(const Napi::CallbackInfo& info) {
  Args a(info, "elementwiseCounts", 0);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("unary", static_cast<double>(UNARY_COUNT));
  o.Set("binary", static_cast<double>(BINARY_COUNT));
  o.Set("reduce", static_cast<double>(REDUCE_COUNT));
  return o;
}

}  // namespace bp
