// Who runs a product's threads. OpenBLAS's own threading shares one product between its threads, which wait on
// each other's packed panels: on the small, thin products of a transformer or an MLP step (2048×128 by 128×128)
// that synchronisation, and OpenBLAS's idle threads spinning while backprop's own pool runs the next kernel, cost
// a good part of the second core. Instead, such a product is cut into as many blocks of rows (or columns) of C as
// there are threads, each an independent single-threaded OpenBLAS call on backprop's thread pool (blas.h,
// gemm). Every element of C is then computed by the same kernel over the same K order as in one whole call.
#pragma once
#include <cstddef>

namespace bp {

// The thread count bp.setThreads chose (OpenBLAS's at load until then): the pool's size and the products' split.
int poolThreads();
// Sets the thread count (the pool's, and OpenBLAS's for the products it still threads itself).
void setPoolThreads(int n);

// Whether products may be split over the pool: OpenBLAS built with pthreads (not OpenMP) and without CPU affinity
// (dropping its thread count to 1 would pin threads otherwise), and BACKPROP_GEMM_SPLIT is not 0.
bool gemmSplitSupported();

// While one lives, OpenBLAS runs single-threaded (the pool's threads each call it on their block); the last one to
// go restores the thread count. Nested and concurrent guards share one count.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

}  // namespace bp
