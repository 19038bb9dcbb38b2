// Index arrays (class labels today; pooling argmax and embedding ids tomorrow) address memory by their
// values, and they may live in a SharedArrayBuffer that another thread rewrites while an op runs. So a
// kernel reads each index exactly once into a local, checks that local, and uses only it: a value checked
// in one read and used from another could point anywhere. The load is atomic (relaxed) so the compiler
// cannot turn the one read into two.
#pragma once
#include <cstddef>
#include <cstdint>

namespace bp {

// Where an index fell outside its bound: the op reports it as a RangeError naming the position.
struct BadIndex {
  bool found = false;
  size_t at = 0;
  int32_t value = 0;
};

inline int32_t loadIndexOnce(const int32_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

// Reads indices[i] once; true and *out = the value when it lies in [0, bound), else records it in *bad.
inline bool readIndex(const int32_t* indices, size_t i, size_t bound, size_t* out, BadIndex* bad) {
  int32_t v = loadIndexOnce(indices + i);
  if (v < 0 || static_cast<size_t>(v) >= bound) {
    *bad = {true, i, v};
    return false;
  }
  *out = static_cast<size_t>(v);
  return true;
}

}  // namespace bp
