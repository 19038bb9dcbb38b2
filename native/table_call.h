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

// Shape: an Int32Array of dims (a shape or strides); Code: an integer op code in [0, max); Codes: an Int32Array
// of op codes in [0, max). Shapes and codes are read once, here, into the call's own copy (ints()).
enum class K { Floats, OptFloats, Int32s, Dim, Num, Bool, Act, Shape, Code, Codes };

struct ArgDef {
  const char* name;
  K kind;
  // Arrays: a product of dim names, integers and "#s" (the product of shape argument s's values); else nullptr.
  const char* length;
  uint64_t max = 0;             // Dim: the largest value allowed (0: any); Code, Codes: how many codes there are
  bool out = false;             // an array the op writes: in a row with such marks, only they must not overlap
  const char* alias = nullptr;  // an output: the inputs it may be exactly, comma-separated ("a,b")
};

class TableCall {
 public:
  static constexpr size_t kMax = 24;
  static constexpr size_t kMaxInts = 16;  // the longest Shape or Codes argument
  TableCall(const Napi::CallbackInfo& info, const char* op, const ArgDef* defs, size_t count);

  const Args& args() const { return args_; }
  const Arr& arr(size_t i) const { return arrs_[i]; }
  uint64_t dim(size_t i) const { return static_cast<uint64_t>(values_[i]); }
  double num(size_t i) const { return values_[i]; }
  bool flag(size_t i) const { return values_[i] != 0; }
  int act(size_t i) const { return static_cast<int>(values_[i]); }
  int code(size_t i) const { return static_cast<int>(values_[i]); }
  // The checked copy of a Shape or Codes argument (its length is arr(i).len).
  const int64_t* ints(size_t i) const { return ints_[i]; }
  // The float kind of the call (that of its first float array).
  bool f64() const { return f64_; }
  // RangeError unless a product of sizes fits the int dimensions BLAS takes.
  void blasDim(const char* what, uint64_t a, uint64_t b) const;

 private:
  uint64_t sizeOf(const char* name, size_t len) const;
  uint64_t lengthOf(const ArgDef& d) const;
  bool aliasAllowed(const ArgDef& out, const char* input) const;
  Args args_;
  const ArgDef* defs_;
  size_t count_;
  Arr arrs_[kMax];
  double values_[kMax] = {};
  int64_t ints_[kMax][kMaxInts] = {};
  bool f64_ = false;
};

}  // namespace bp
