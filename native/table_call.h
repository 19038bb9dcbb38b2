// Argument checking for the sequence-model exports, driven by a description of each op's arguments that
// mirrors its row in src/backend/op-table.ts: the count, each argument by kind (through Args, so messages and
// error classes are those of every other export), every array's length against the product of sizes the
// row gives it ("steps*batch*4*units"), and no two arrays overlapping. Each value is read once, here.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

#include "args.h"

namespace bp {

enum class K { Floats, OptFloats, Int32s, Dim, Num, Bool, Act };

struct ArgDef {
  const char* name;
  K kind;
  const char* length;  // arrays: a product of dim names and integers; nullptr otherwise
};

class TableCall {
 public:
  static constexpr size_t kMax = 24;
  TableCall(const Napi::CallbackInfo& info, const char* op, const ArgDef* defs, size_t count);

  const Args& args() const { return args_; }
  const Arr& arr(size_t i) const { return arrs_[i]; }
  uint64_t dim(size_t i) const { return static_cast<uint64_t>(values_[i]); }
  double num(size_t i) const { return values_[i]; }
  bool flag(size_t i) const { return values_[i] != 0; }
  int act(size_t i) const { return static_cast<int>(values_[i]); }
  // The float kind of the call (that of its first float array).
  bool f64() const { return f64_; }
  // RangeError unless a product of sizes fits the int dimensions BLAS takes.
  void blasDim(const char* what, uint64_t a, uint64_t b) const;

 private:
  uint64_t sizeOf(const char* name, size_t len) const;
  Args args_;
  const ArgDef* defs_;
  size_t count_;
  Arr arrs_[kMax];
  double values_[kMax] = {};
  bool f64_ = false;
};

}  // namespace bp
