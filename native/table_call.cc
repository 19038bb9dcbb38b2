#include "table_call.h"

#include <cstring>
#include <string>

#include "indices.h"

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
      case K::Int32s:
      case K::Shape:
      case K::Codes: arrs_[i] = args_.int32s(i, d.name); break;
      case K::Dim:
        values_[i] = static_cast<double>(args_.dim(i, d.name));
        if (d.max && values_[i] > static_cast<double>(d.max)) {
          args_.rangeError(std::string("'") + d.name + "' must be at most " + std::to_string(d.max) + ", got " +
                           std::to_string(static_cast<uint64_t>(values_[i])));
        }
        break;
      case K::Code: {
        double v = args_.num(i, d.name);
        if (!(v >= 0 && v < static_cast<double>(d.max) && v == static_cast<double>(static_cast<int64_t>(v)))) {
          args_.rangeError(std::string("'") + d.name + "' must be an op code 0.." + std::to_string(d.max - 1) +
                           ", got " + info[i].ToString().Utf8Value());
        }
        values_[i] = v;
        break;
      }
      case K::Num: values_[i] = args_.num(i, d.name); break;
      case K::Bool: values_[i] = args_.boolean(i, d.name) ? 1 : 0; break;
      case K::Act: values_[i] = args_.act(i, d.name); break;
    }
  }
  f64_ = like && like->kind == Kind::F64;
  // Shapes and codes first (their lengths are dims): copied once, then checked; array lengths may depend on them.
  for (size_t i = 0; i < count; i++) {
    const ArgDef& d = defs[i];
    if (d.kind != K::Shape && d.kind != K::Codes) continue;
    uint64_t want = lengthOf(d);
    args_.lengthIs(arrs_[i], want, d.length);
    if (want > kMaxInts) args_.rangeError(std::string("'") + d.name + "' is longer than " + std::to_string(kMaxInts));
    const int32_t* p = arrs_[i].as<int32_t>();
    for (size_t k = 0; k < want; k++) {
      int64_t v = loadIndexOnce(p + k);
      bool ok = d.kind == K::Shape ? v >= 0 : (v >= 0 && static_cast<uint64_t>(v) < d.max);
      if (!ok) {
        args_.rangeError(std::string("'") + d.name + "'[" + std::to_string(k) + "] = " + std::to_string(v) +
                         (d.kind == K::Shape ? " is not a dimension (>= 0)"
                                             : " is not an op code 0.." + std::to_string(d.max - 1)));
      }
      ints_[i][k] = v;
    }
  }
  for (size_t i = 0; i < count; i++) {
    const ArgDef& d = defs[i];
    if (!d.length || !arrs_[i].present || d.kind == K::Shape || d.kind == K::Codes) continue;
    args_.lengthIs(arrs_[i], lengthOf(d), d.length);
  }
  bool marked = false;
  for (size_t i = 0; i < count; i++) marked = marked || defs[i].out;
  for (size_t i = 0; i < count; i++) {
    for (size_t j = 0; j < i; j++) {
      if (marked && !defs[i].out && !defs[j].out) continue;
      const ArgDef& o = defs[i].out ? defs[i] : defs[j];
      const Arr& oa = defs[i].out ? arrs_[i] : arrs_[j];
      const Arr& ia = defs[i].out ? arrs_[j] : arrs_[i];
      if (aliasAllowed(o, ia.name)) args_.sameOrDisjoint(oa, ia);
      else args_.noOverlap(oa, ia);
    }
  }
}

uint64_t TableCall::lengthOf(const ArgDef& d) const {
  uint64_t want = 1;
  for (const char* p = d.length; *p;) {
    const char* end = std::strchr(p, '*');
    size_t len = end ? static_cast<size_t>(end - p) : std::strlen(p);
    uint64_t f = 1;
    if (len > 0 && p[0] == '#') {
      size_t j = 0;
      while (j < count_ && !(defs_[j].kind == K::Shape && std::strlen(defs_[j].name) == len - 1 &&
                             std::strncmp(defs_[j].name, p + 1, len - 1) == 0)) j++;
      if (j == count_) args_.typeError("op table: unknown shape '" + std::string(p, len) + "'");
      for (size_t k = 0; k < arrs_[j].len; k++) {
        if (__builtin_mul_overflow(f, static_cast<uint64_t>(ints_[j][k]), &f) || f > (1ULL << 53) - 1) {
          args_.rangeError(std::string(d.length) + " overflows");
        }
      }
    } else {
      f = sizeOf(p, len);
    }
    if (__builtin_mul_overflow(want, f, &want) || want > (1ULL << 53) - 1) {
      args_.rangeError(std::string(d.length) + " overflows");
    }
    p += len + (end ? 1 : 0);
  }
  return want;
}

bool TableCall::aliasAllowed(const ArgDef& out, const char* input) const {
  if (!out.alias) return false;
  size_t n = std::strlen(input);
  for (const char* p = out.alias; *p;) {
    const char* end = std::strchr(p, ',');
    size_t len = end ? static_cast<size_t>(end - p) : std::strlen(p);
    if (len == n && std::strncmp(p, input, n) == 0) return true;
    p += len + (end ? 1 : 0);
  }
  return false;
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
