// What every kernel file of the WebAssembly backend shares: freestanding C++ (no C or C++ library: the module
// imports nothing but its memory), 128-bit SIMD vector types, the export macro, the allocator and the thread
// pool's execution context. Built by wasm/build.sh with Debian's clang for wasm32 with SIMD128 and threads.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define BP_EXPORT(name) extern "C" __attribute__((export_name(name), used))
#define BP_INLINE inline __attribute__((always_inline))

namespace bp {

typedef float f4 __attribute__((vector_size(16)));
typedef int32_t i4 __attribute__((vector_size(16)));
typedef double d2 __attribute__((vector_size(16)));
// The same types at any alignment (loads and stores of arrays at float offsets).
typedef float f4u __attribute__((vector_size(16), aligned(4)));
typedef double d2u __attribute__((vector_size(16), aligned(8)));

BP_INLINE f4 load4(const float* p) { return *reinterpret_cast<const f4u*>(p); }
BP_INLINE void store4(float* p, f4 v) { *reinterpret_cast<f4u*>(p) = v; }
BP_INLINE f4 splat4(float v) { return f4{v, v, v, v}; }
// One float broadcast to the four lanes straight from memory (one instruction with AVX).
BP_INLINE f4 bcast4(const float* p) { return (f4)wasm_v128_load32_splat(p); }
// relu as ops.ts defines it: z < 0 ? 0 : z (NaN propagates).
BP_INLINE f4 relu4(f4 z) { return (f4)wasm_f32x4_pmax((v128_t)z, (v128_t)f4{}); }
BP_INLINE float hsum4(f4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

template <typename T>
BP_INLINE T min(T a, T b) {
  return b < a ? b : a;
}
template <typename T>
BP_INLINE T max(T a, T b) {
  return a < b ? b : a;
}

void fill(float* p, size_t n, float v);
void copy(float* dst, const float* src, size_t n);

// ---- memory: a thread-safe allocator over the module's shared memory (runtime.cc) -----------------------------
// Blocks are 64-byte aligned. alloc returns null when the memory cannot grow (4 GiB); kernels then report
// kOutOfMemory and the JS side runs the op on the JS kernel instead (the inputs are untouched until the copy-out).
void* alloc(size_t bytes);
void release(void* p);
template <typename T>
T* allocArray(size_t n) {
  return static_cast<T*>(alloc(n * sizeof(T)));
}

// Status codes the exports return (as doubles; ops that return a number write them to *status instead).
// A positive status s is an index error at position s - 1 of the op's index array.
constexpr int kOk = 0;
constexpr int kOutOfMemory = -1;

// Scoped scratch: freed when it goes out of scope.
template <typename T>
struct Scratch {
  T* p;
  explicit Scratch(size_t n) : p(allocArray<T>(n == 0 ? 1 : n)) {}
  ~Scratch() { release(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  explicit operator bool() const { return p != nullptr; }
};

// ---- threads (pool.cc) -------------------------------------------------------------------------------------
struct Pool;
// How an op runs: on the calling thread only (pool null), or split over the pool's threads as well.
struct Exec {
  Pool* pool;
  int helpers;  // read once when the op starts, so the op's scratch and its regions agree on the thread count
  // Threads that may take tasks (the caller and the pool's helpers): sizes per-thread scratch.
  int threads() const { return 1 + helpers; }
};

// The context of an export's `pooled` flag: the pool when the JS side lent it to this op, else the caller alone.
Exec execOf(int pooled);

typedef void (*TaskFn)(void* ctx, int task, int thread);
// Runs fn(ctx, task, thread) for every task in [0, tasks), each once, on the caller and (when ex.pool) the
// helpers; returns when all are done. `thread` is in [0, ex.threads()) and no two concurrent tasks share one.
// The split is the caller's (fixed by the problem, never by the thread count), so results do not depend on
// which thread ran a task or how many there were.
void runTasks(const Exec& ex, int tasks, TaskFn fn, void* ctx);

template <typename F>
void parallel(const Exec& ex, int tasks, const F& f) {
  struct Thunk {
    static void run(void* c, int task, int thread) { (*static_cast<const F*>(c))(task, thread); }
  };
  runTasks(ex, tasks, &Thunk::run, const_cast<F*>(&f));
}

}  // namespace bp
