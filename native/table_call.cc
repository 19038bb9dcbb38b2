#include "table_call.h"

#include <cstring>
#include <string>

namespace bp {

TableCall::TableCall(const Napi::CallbackInfo& info, const char* op, const ArgDef* defs, size_t count)
    : args_(info, op, count), defs_(defs), count_(count) {
  if (count > kMax) args_.typeError("too many arguments for a table call");
  const Arr* like = nullptr;
  for (size_t i = 0; i < count; i++) {
    const ArgDef& d = defs[i];
    switch (d.kind) {
      case K::Floats:
        arrs_[i] = like ? args_.floats(i, d.name, *like) : args_.floats(i, d.name);
        if (!like) like = &arrs_[i];
        break;
      case K::OptFloats:
        arrs_[i] = like ? args_.optFloats(i, d.name, *like) : args_.optFloats(i, d.name, Arr());
        if (!like && arrs_[i].present) like = &arrs_[i];
        break;
      case K::Int32s: arrs_[i] = args_.int32s(i, d.name); break;
      case K::Dim: values_[i] = static_cast<double>(args_.dim(i, d.name)); break;
      case K::Num: values_[i] = args_.num(i, d.name); break;
      case K::Bool: values_[i] = args_.boolean(i, d.name) ? 1 : 0; break;
      case K::Act: values_[i] = args_.act(i, d.name); break;
    }
  }
  f64_ = like && like->kind == Kind::F64;
  for (size_t i = 0; i < count; i++) {
    const ArgDef& d = defs[i];
    if (!d.length || !arrs_[i].present) continue;
    uint64_t want = 1;
    for (const char* p = d.length; *p;) {
      const char* end = std::strchr(p, '*');
      size_t len = end ? static_cast<size_t>(end - p) : std::strlen(p);
      uint64_t f = sizeOf(p, len);
      if (__builtin_mul_overflow(want, f, &want) || want > (1ULL << 53) - 1) {
        args_.rangeError(std::string(d.length) + " overflows");
      }
      p += len + (end ? 1 : 0);
    }
    args_.lengthIs(arrs_[i], want, d.length);
  }
  for (size_t i = 0; i < count; i++) {
    for (size_t j = 0; j < i; j++) args_.noOverlap(arrs_[i], arrs_[j]);
  }
}

uint64_t TableCall::sizeOf(const char* name, size_t len) const {
  if (len > 0 && name[0] >= '0' && name[0] <= '9') return std::stoull(std::string(name, len));
  for (size_t i = 0; i < count_; i++) {
    if (defs_[i].kind == K::Dim && std::strlen(defs_[i].name) == len && std::strncmp(defs_[i].name, name, len) == 0) {
      return dim(i);
    }
  }
  args_.typeError("op table: unknown size '" + std::string(name, len) + "'");
}

void TableCall::blasDim(const char* what, uint64_t a, uint64_t b) const {
  uint64_t p;
  if (__builtin_mul_overflow(a, b, &p) || p > 2147483647ULL) {
    args_.rangeError(std::string(what) + " = " + std::to_string(a) + "·" + std::to_string(b) + " exceeds 2^31-1");
  }
}

}  // namespace bp
