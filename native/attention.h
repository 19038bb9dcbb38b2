// Fused scaled dot-product attention (formulas in src/backend/ops.ts), forward and backward, float32 and float64.
// Flash attention on the CPU: keys are taken in tiles of 64 and each query row keeps a running maximum and sum
// of its softmax, so no tq×tk matrix exists (memory per thread is O(steps·depth)); backward recomputes each tile
// of probabilities from the saved log-sum-exp. Work is split by (batch, head): each pair is computed whole by
// one thread in a fixed order, so the result is the same bits at any thread count (thread_pool.h). float32 runs
// the widest vector tiles the CPU has (the convolutions' choice, convIsa(); BACKPROP_CONV_KERNELS lowers it),
// float64 the 2-lane baseline tiles. Arguments are checked by the exports (exports_attention.cc).
#pragma once
#include <cstddef>
#include <cstdint>

namespace bp {

struct AttnShape {
  size_t batch, heads, tq, tk, dk, dv;
  double scale;
  bool causal;
  double dropout;
  uint32_t seed;
};

template <typename T>
struct AttnForward {
  const T *q, *k, *v, *mask, *keyMask, *queryMask;
  T *out, *lse, *probs;
  AttnShape s;
};

template <typename T>
struct AttnBackward {
  const T *q, *k, *v, *mask, *keyMask, *queryMask, *out, *lse, *dOut;
  T *dq, *dk, *dv;
  AttnShape s;
};

void attentionForward(const AttnForward<float>& a);
void attentionForward(const AttnForward<double>& a);
void attentionBackward(const AttnBackward<float>& a);
void attentionBackward(const AttnBackward<double>& a);

// The vector width (floats) of the float32 tiles in use: 16, 8 or 4.
int attentionLanes();

}  // namespace bp
