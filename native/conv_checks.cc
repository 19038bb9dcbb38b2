#include "conv_checks.h"

#include <string>

#include "activations.h"

namespace bp {

namespace {

const char* const kDims[] = {"batch",   "inH",    "inW",     "inC",       "kH",        "kW",   "outC", "strideH",
                             "strideW", "padTop", "padLeft", "dilationH", "dilationW", "outH", "outW", "groups"};

struct ConvSizes {
  uint64_t input, output, kernel;
  const char* kernelDims;
};

// A BLAS dimension (an int).
void blasDim(const Args& g, const char* what, uint64_t v) {
  if (v > 2147483647ULL) g.rangeError(std::string(what) + " = " + std::to_string(v) + " exceeds 2^31-1");
}

// The dims of `kind` from argument `first` on; the lengths they imply.
ConvSizes convGeometry(const Args& g, ConvKind kind, size_t first, ConvGeom* out) {
  const bool conv = kind == ConvKind::Conv;
  uint64_t d[16];
  d[15] = 1;
  for (size_t i = 0; i < convDimCount(kind); i++) d[i] = g.dim(first + i, kDims[i]);
  ConvGeom& c = *out;
  c.batch = d[0]; c.inH = d[1]; c.inW = d[2]; c.inC = d[3]; c.kH = d[4]; c.kW = d[5]; c.outC = d[6];
  c.sH = d[7]; c.sW = d[8]; c.pT = d[9]; c.pL = d[10]; c.dH = d[11]; c.dW = d[12]; c.outH = d[13]; c.outW = d[14];
  c.groups = d[15];
  atLeastOne(g, "strideH", c.sH);
  atLeastOne(g, "strideW", c.sW);
  atLeastOne(g, "dilationH", c.dH);
  atLeastOne(g, "dilationW", c.dW);
  uint64_t colsOut = 0;
  if (conv) {
    atLeastOne(g, "groups", c.groups);
    if (c.inC % c.groups != 0 || c.outC % c.groups != 0) {
      g.rangeError("'groups' (" + std::to_string(c.groups) + ") must divide inC (" + std::to_string(c.inC) +
                   ") and outC (" + std::to_string(c.outC) + ")");
    }
  } else {
    // The im2col columns of the adjoint convolution and of the flipped one are BLAS dimensions.
    colsOut = g.product("kH*kW*outC", c.kH, c.kW, c.outC);
    const uint64_t colsIn = g.product("kH*kW*inC", c.kH, c.kW, c.inC);
    blasDim(g, "kH*kW*outC", colsOut);
    blasDim(g, "kH*kW*inC", colsIn);
  }
  ConvSizes s;
  s.input = g.product("batch*inH*inW*inC", g.product("batch*inH*inW", c.batch, c.inH, c.inW), c.inC);
  s.output = g.product("batch*outH*outW*outC", g.product("batch*outH*outW", c.batch, c.outH, c.outW), c.outC);
  if (conv) {
    const uint64_t kg = g.product("kH*kW*(inC/groups)", c.kH, c.kW, c.cg());
    blasDim(g, "kH*kW*(inC/groups)", kg);
    s.kernelDims = "kH*kW*(inC/groups)*outC";
    s.kernel = g.product(s.kernelDims, kg, c.outC);
  } else {
    s.kernelDims = "kH*kW*outC*inC";
    s.kernel = g.product(s.kernelDims, colsOut, c.inC);
  }
  return s;
}

// The activation and alpha after the dims (from argument `at`); softmax, a whole-row activation, is refused.
void actAndAlpha(const Args& g, size_t at, int* act, double* alpha) {
  *act = g.act(at);
  *alpha = g.num(at + 1, "alpha");
  if (*act == SOFTMAX) g.rangeError("'act' cannot be softmax here (apply softmax in a separate layer)");
}

}  // namespace

void atLeastOne(const Args& g, const char* name, uint64_t v) {
  if (v < 1) g.rangeError(std::string("'") + name + "' must be >= 1, got " + std::to_string(v));
}

ConvForwardCall checkConvForward(const Args& g, ConvKind kind) {
  ConvForwardCall k;
  k.x = g.floats(0, "x");
  k.w = g.floats(1, "w", k.x);
  k.b = g.optFloats(2, "b", k.x);
  k.z = g.floats(3, "z", k.x);
  k.y = g.floats(4, "y", k.x);
  const ConvSizes s = convGeometry(g, kind, 5, &k.c);
  actAndAlpha(g, 5 + convDimCount(kind), &k.act, &k.alpha);
  g.lengthIs(k.x, s.input, "batch*inH*inW*inC");
  g.lengthIs(k.w, s.kernel, s.kernelDims);
  if (k.b.present) g.lengthIs(k.b, k.c.outC, "outC");
  g.lengthIs(k.z, s.output, "batch*outH*outW*outC");
  g.lengthIs(k.y, s.output, "batch*outH*outW*outC");
  for (const Arr* o : {&k.z, &k.y}) {
    g.noOverlap(*o, k.x);
    g.noOverlap(*o, k.w);
    g.noOverlap(*o, k.b);
  }
  // relu(z) > 0 exactly where z > 0, so relu's backward can read z's sign from y: y may replace z.
  if (k.act == LINEAR || k.act == RELU) g.sameOrDisjoint(k.y, k.z);
  else g.noOverlap(k.y, k.z);
  return k;
}

ConvBackwardCall checkConvBackward(const Args& g, ConvKind kind) {
  ConvBackwardCall k;
  k.x = g.floats(0, "x");
  k.w = g.floats(1, "w", k.x);
  k.z = g.floats(2, "z", k.x);
  k.y = g.floats(3, "y", k.x);
  k.dy = g.floats(4, "dy", k.x);
  k.dz = g.floats(5, "dz", k.x);
  k.dw = g.floats(6, "dw", k.x);
  k.db = g.optFloats(7, "db", k.x);
  k.dx = g.optFloats(8, "dx", k.x);
  const ConvSizes s = convGeometry(g, kind, 9, &k.c);
  actAndAlpha(g, 9 + convDimCount(kind), &k.act, &k.alpha);
  g.lengthIs(k.x, s.input, "batch*inH*inW*inC");
  g.lengthIs(k.w, s.kernel, s.kernelDims);
  for (const Arr* a : {&k.z, &k.y, &k.dy, &k.dz}) g.lengthIs(*a, s.output, "batch*outH*outW*outC");
  g.lengthIs(k.dw, s.kernel, s.kernelDims);
  if (k.db.present) g.lengthIs(k.db, k.c.outC, "outC");
  if (k.dx.present) g.lengthIs(k.dx, s.input, "batch*inH*inW*inC");
  g.sameOrDisjoint(k.dz, k.dy);
  const Arr* outs[] = {&k.dz, &k.dw, &k.db, &k.dx};
  const Arr* ins[] = {&k.x, &k.w, &k.z, &k.y};
  for (const Arr* o : outs) {
    for (const Arr* i : ins) g.noOverlap(*o, *i);
    for (const Arr* o2 : outs)
      if (o2 != o && o != &k.dz && o2 != &k.dz) g.noOverlap(*o, *o2);
    if (o != &k.dz) {
      g.noOverlap(*o, k.dz);
      g.noOverlap(*o, k.dy);
    }
  }
  return k;
}

}  // namespace bp
