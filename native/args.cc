#include "args.h"

#include <cmath>

#include "activations.h"

namespace bp {

namespace {
const char* describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_function: return "function";
    case napi_bigint: return "bigint";
    default: break;
  }
  if (v.IsArray()) return "a plain array";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_int32_array: return "Int32Array";
      default: return "another typed array kind";
    }
  }
  if (v.IsArrayBuffer()) return "ArrayBuffer";
  return "object";
}
const char* kindName(Kind k) { return k == Kind::F32 ? "Float32Array" : "Float64Array"; }
}  // namespace

Args::Args(const Napi::CallbackInfo& info, const char* op, size_t count) : info_(info), op_(op) {
  if (info.Length() != count) {
    typeError("expected " + std::to_string(count) + " arguments, got " + std::to_string(info.Length()));
  }
}

void Args::typeError(const std::string& msg) const {
  throw Napi::TypeError::New(info_.Env(), std::string(op_) + "(): " + msg);
}
void Args::rangeError(const std::string& msg) const {
  throw Napi::RangeError::New(info_.Env(), std::string(op_) + "(): " + msg);
}

Arr Args::typedArray(size_t i, const char* name, bool allowNull, const Arr* like, bool int32) const {
  Napi::Value v = info_[i];
  Arr out;
  out.name = name;
  if (allowNull && v.IsNull()) return out;
  bool ok = false;
  napi_typedarray_type type = napi_int8_array;
  if (v.IsTypedArray()) {
    type = v.As<Napi::TypedArray>().TypedArrayType();
    ok = int32 ? type == napi_int32_array : (type == napi_float32_array || type == napi_float64_array);
  }
  if (!ok) {
    typeError(std::string("'") + name + "' must be " +
              (int32 ? "an Int32Array" : "a Float32Array or Float64Array") + ", got " + describe(v));
  }
  size_t length = 0, byteOffset = 0;
  void* data = nullptr;
  napi_value buffer;
  napi_status st = napi_get_typedarray_info(info_.Env(), v, &type, &length, &data, &buffer, &byteOffset);
  if (st != napi_ok) typeError(std::string("'") + name + "' could not be read");
  out.kind = type == napi_float64_array ? Kind::F64 : Kind::F32;
  out.elemSize = type == napi_float64_array ? 8 : 4;
  // A typed array over a detached buffer reports length 0 (and may report a null data pointer);
  // treat it as empty so the length check rejects it unless the shape is empty too.
  out.len = data == nullptr ? 0 : length;
  out.data = data;
  out.present = true;
  if (arrays_ < kMaxArrays) {
    arrayIndex_[arrays_] = i;
    arrayName_[arrays_++] = name;
  }
  if (like && like->present && like->kind != out.kind) {
    typeError(std::string("'") + name + "' is a " + kindName(out.kind) + " but the other arrays are " +
              kindName(like->kind) + "; use one float type per call");
  }
  return out;
}

Arr Args::floats(size_t i, const char* name) const { return typedArray(i, name, false, nullptr, false); }
Arr Args::floats(size_t i, const char* name, const Arr& like) const { return typedArray(i, name, false, &like, false); }
Arr Args::optFloats(size_t i, const char* name, const Arr& like) const { return typedArray(i, name, true, &like, false); }
Arr Args::int32s(size_t i, const char* name) const { return typedArray(i, name, false, nullptr, true); }

uint64_t Args::dim(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(std::string("'") + name + "' must be a number, got " + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0 && std::floor(d) == d)) {
    rangeError(std::string("'") + name + "' must be an integer in [0, 2^31-1], got " +
               v.ToString().Utf8Value());
  }
  return static_cast<uint64_t>(d);
}

double Args::num(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(std::string("'") + name + "' must be a number, got " + describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

bool Args::boolean(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (!v.IsBoolean()) typeError(std::string("'") + name + "' must be a boolean, got " + describe(v));
  return v.As<Napi::Boolean>().Value();
}

int Args::act(size_t i) const {
  Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(std::string("'act' must be a number, got ") + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < ACT_COUNT && std::floor(d) == d)) {
    rangeError("'act' must be an activation code 0.." + std::to_string(ACT_COUNT - 1) + ", got " +
               v.ToString().Utf8Value());
  }
  return static_cast<int>(d);
}

int Args::act(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(std::string("'") + name + "' must be a number, got " + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < ACT_COUNT && std::floor(d) == d)) {
    rangeError(std::string("'") + name + "' must be an activation code 0.." + std::to_string(ACT_COUNT - 1) +
               ", got " + v.ToString().Utf8Value());
  }
  return static_cast<int>(d);
}

void Args::lengthIs(const Arr& a, uint64_t want, const char* dims) const {
  if (a.len != want) {
    rangeError(std::string("'") + a.name + "' has length " + std::to_string(a.len) + " but " + dims +
               " = " + std::to_string(want));
  }
}

uint64_t Args::product(const char* dims, uint64_t a, uint64_t b, uint64_t c) const {
  uint64_t ab = 0, abc = 0;
  // 2^53 keeps every product exactly representable on the JS side too.
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc) || abc > (1ULL << 53) - 1) {
    rangeError(std::string(dims) + " overflows");
  }
  return abc;
}

void Args::noOverlap(const Arr& a, const Arr& b) const {
  if (!a.present || !b.present || a.len == 0 || b.len == 0) return;
  if (a.begin() < b.end() && b.begin() < a.end()) {
    rangeError(std::string("'") + a.name + "' and '" + b.name + "' overlap in memory; pass separate arrays");
  }
}

void Args::sameOrDisjoint(const Arr& a, const Arr& b) const {
  if (a.present && b.present && a.begin() == b.begin() && a.len == b.len) return;
  noOverlap(a, b);
}

void Args::requireSharedBuffers() const {
  if (arrays_ == kMaxArrays) typeError("too many array arguments for an off-main-thread op");
  const std::string fix =
      " must be backed by a non-growable SharedArrayBuffer, so it cannot be resized or detached while the op "
      "runs off the main thread; allocate it with bp.floatArray(...) or copy it into one";
  napi_env env = info_.Env();
  // First the check that runs no JS: an ArrayBuffer (resizable or not, detached or not) is refused; a typed
  // array's buffer that is not an ArrayBuffer is a SharedArrayBuffer, which nothing can shrink or detach.
  for (size_t j = 0; j < arrays_; j++) {
    napi_value buffer = nullptr;
    bool isArrayBuffer = true;
    if (napi_get_typedarray_info(env, info_[arrayIndex_[j]], nullptr, nullptr, nullptr, &buffer, nullptr) != napi_ok ||
        napi_is_arraybuffer(env, buffer, &isArrayBuffer) != napi_ok || isArrayBuffer) {
      typeError(std::string("'") + arrayName_[j] + "'" + fix + " (it is backed by an ArrayBuffer)");
    }
  }
  // Then growability, read through the `growable` property. Only after every buffer is known to be shared:
  // whatever JS such a read might run cannot then detach or shrink any argument (a shared buffer only grows).
  for (size_t j = 0; j < arrays_; j++) {
    Napi::Object buffer = info_[arrayIndex_[j]].As<Napi::TypedArray>().ArrayBuffer();
    if (buffer.Get("growable").ToBoolean().Value()) {
      typeError(std::string("'") + arrayName_[j] + "'" + fix + " (it is backed by a growable SharedArrayBuffer)");
    }
  }
}

void Args::sameLength(const Arr& a, const Arr& first) const {
  if (a.len != first.len) {
    rangeError(std::string("'") + a.name + "' has length " + std::to_string(a.len) + " but '" + first.name +
               "' has length " + std::to_string(first.len));
  }
}

}  // namespace bp
