// The argument checks the convolution (exports_conv.cc) and the transposed convolution
// (exports_conv_transpose.cc) share, as src/backend/js/conv-checks.ts shares them in JS: the geometry (dims,
// strides, dilations, groups, the lengths they imply) and the arrays of the fused forward (x, w, b → z, y) and
// backward (→ dz, dw, db, dx). Each argument is read from JS once; the kernels see only the checked copies.
#pragma once
#include <cstddef>
#include <cstdint>

#include "args.h"
#include "conv_geometry.h"

namespace bp {

// A convolution: 16 dims, the last `groups`, a kernel of kH·kW·(inC/groups)·outC. A transposed convolution: the
// first 15 (groups 1), a kernel of kH·kW·outC·inC (its adjoint convolution's, from outC to inC channels).
enum class ConvKind { Conv, Transpose };

// How many arguments a fused forward / backward call of `kind` takes: its arrays, its dims, act and alpha.
constexpr size_t convDimCount(ConvKind kind) { return kind == ConvKind::Conv ? 16 : 15; }
constexpr size_t convForwardArgCount(ConvKind kind) { return 5 + convDimCount(kind) + 2; }
constexpr size_t convBackwardArgCount(ConvKind kind) { return 9 + convDimCount(kind) + 2; }

// 'name' >= 1, else a RangeError naming it.
void atLeastOne(const Args& g, const char* name, uint64_t v);

// A forward call (x, w, b, z, y, ...dims, act, alpha), checked.
struct ConvForwardCall {
  Arr x, w, b, z, y;
  ConvGeom c;
  int act = 0;
  double alpha = 0;
};
ConvForwardCall checkConvForward(const Args& g, ConvKind kind);

// A backward call (x, w, z, y, dy, dz, dw, db, dx, ...dims, act, alpha), checked.
struct ConvBackwardCall {
  Arr x, w, z, y, dy, dz, dw, db, dx;
  ConvGeom c;
  int act = 0;
  double alpha = 0;
};
ConvBackwardCall checkConvBackward(const Args& g, ConvKind kind);

}  // namespace bp
