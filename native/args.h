// Argument checking for every export. No call from JS, however wrong, may crash the process or
// touch memory outside the arrays it passed: every export builds its view of the arguments here
// first, and the kernels only ever see checked pointers and lengths.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace bp {

enum class Kind { F32, F64 };

// A checked view of a Float32Array / Float64Array (or Int32Array for labels).
struct Arr {
  void* data = nullptr;
  size_t len = 0;
  size_t elemSize = 0;
  Kind kind = Kind::F32;
  const char* name = "";
  bool present = false;
  uintptr_t begin() const { return reinterpret_cast<uintptr_t>(data); }
  uintptr_t end() const { return begin() + len * elemSize; }
  template <typename T> T* as() const { return static_cast<T*>(data); }
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op, size_t count);

  [[noreturn]] void typeError(const std::string& msg) const;
  [[noreturn]] void rangeError(const std::string& msg) const;

  Arr floats(size_t i, const char* name) const;                  // any float kind
  Arr floats(size_t i, const char* name, const Arr& like) const; // same kind as `like`
  Arr optFloats(size_t i, const char* name, const Arr& like) const;  // null allowed
  Arr int32s(size_t i, const char* name) const;
  uint64_t dim(size_t i, const char* name) const;
  double num(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name) const;
  int act(size_t i) const;
  int act(size_t i, const char* name) const;  // an activation code argument with its own name

  void lengthIs(const Arr& a, uint64_t want, const char* dims) const;
  uint64_t product(const char* dims, uint64_t a, uint64_t b, uint64_t c = 1) const;
  void noOverlap(const Arr& a, const Arr& b) const;
  void sameOrDisjoint(const Arr& a, const Arr& b) const;
  void sameLength(const Arr& a, const Arr& first) const;
  // For the async twins: every array argument parsed so far must be backed by a non-growable
  // SharedArrayBuffer (TypeError otherwise), the one kind of buffer that JS cannot resize, transfer or
  // detach while the op runs on another thread. Uses Node-API only (the prebuilt binary stays ABI-stable).
  void requireSharedBuffers() const;

  Napi::Env env() const { return info_.Env(); }

 private:
  Arr typedArray(size_t i, const char* name, bool allowNull, const Arr* like, bool int32) const;
  const Napi::CallbackInfo& info_;
  const char* op_;
  // The typed-array arguments seen (position and name), for requireSharedBuffers(). No op takes more.
  static constexpr size_t kMaxArrays = 24;
  mutable size_t arrayIndex_[kMaxArrays] = {};
  mutable const char* arrayName_[kMaxArrays] = {};
  mutable size_t arrays_ = 0;
};

}  // namespace bp
