#include "blas_threads.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

extern "C" {
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
char* openblas_get_config(void);
int openblas_get_parallel(void);
}

namespace bp {

namespace {

std::atomic<int> configured{0};
std::mutex guardMutex;  // guards `holders` and OpenBLAS's thread count changes
int holders = 0;

}  // namespace

int poolThreads() {
  int t = configured.load(std::memory_order_relaxed);
  if (t < 1) {
    // First use: OpenBLAS's count at load (OPENBLAS_NUM_THREADS or its core count), before any guard lowered it.
    std::lock_guard<std::mutex> lock(guardMutex);
    t = configured.load(std::memory_order_relaxed);
    if (t < 1) {
      t = holders == 0 ? openblas_get_num_threads() : 1;
      if (t < 1) t = 1;
      configured.store(t, std::memory_order_relaxed);
    }
  }
  return t;
}

void setPoolThreads(int n) {
  std::lock_guard<std::mutex> lock(guardMutex);
  configured.store(n < 1 ? 1 : n, std::memory_order_relaxed);
  // While a split product runs, OpenBLAS stays at 1; the last guard restores the new count.
  if (holders == 0) openblas_set_num_threads(n);
}

bool gemmSplitSupported() {
  static const bool ok = [] {
    const char* env = std::getenv("BACKPROP_GEMM_SPLIT");
    if (env && std::strcmp(env, "0") == 0) return false;
    const char* config = openblas_get_config();
    return openblas_get_parallel() == 1 && config && std::strstr(config, "NO_AFFINITY") != nullptr;
  }();
  return ok;
}

SingleThreadedBlas::SingleThreadedBlas() {
  poolThreads();  // the configured count is read before the first guard lowers OpenBLAS's
  std::lock_guard<std::mutex> lock(guardMutex);
  if (holders++ == 0) openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  std::lock_guard<std::mutex> lock(guardMutex);
  if (--holders == 0) openblas_set_num_threads(configured.load(std::memory_order_relaxed));
}

}  // namespace bp
