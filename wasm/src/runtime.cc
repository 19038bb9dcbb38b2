// The module's own runtime: memcpy/memset for the compiler, and a small thread-safe allocator over the shared
// memory (used for the copies of an op's arrays, by the JS side, and for the kernels' scratch).
#include "base.h"

extern "C" {
// The compiler emits calls to these for block copies; with bulk memory they are single instructions.
void* memcpy(void* dst, const void* src, size_t n) {
  __builtin_memcpy(dst, src, n);
  return dst;
}
void* memmove(void* dst, const void* src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}
void* memset(void* dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}
extern unsigned char __heap_base;
}

namespace bp {

void fill(float* p, size_t n, float v) {
  if (v == 0.0f && !__builtin_signbit(v)) {
    __builtin_memset(p, 0, n * sizeof(float));
    return;
  }
  const f4 vv = splat4(v);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) store4(p + i, vv);
  for (; i < n; i++) p[i] = v;
}

void copy(float* dst, const float* src, size_t n) {
  if (dst != src) __builtin_memmove(dst, src, n * sizeof(float));
}

namespace {

// Size classes: four per power of two from 256 bytes (header included), so a block wastes at most a quarter of
// its size; freed blocks wait on their class's list for the next request of that class. Training repeats the
// same sizes every step, so after the first step every request is served from a list.
constexpr uint32_t kHeader = 64;
constexpr uint32_t kMagic = 0x62707761;  // "bpwa"
constexpr int kClasses = 4 * 24;          // up to 2^32 bytes
constexpr uint64_t kMemoryLimit = uint64_t(1) << 32;

struct Header {
  uint32_t cls;
  uint32_t magic;
};

uint64_t classSize(int c) {
  const uint64_t base = uint64_t(256) << (c / 4);
  return base + (base / 4) * static_cast<uint64_t>(c % 4);
}

int classFor(uint64_t need) {
  int c = 0;
  while (c < kClasses && classSize(c) < need) c++;
  return c;
}

// The allocator's lock, a futex: 0 free, 1 held, 2 held with a thread waiting (only then does unlock wake one).
int32_t lockWord;
uint32_t brk;  // the top of the heap (0 until the first allocation)
void* freeList[kClasses];

void lock() {
  int32_t expected = 0;
  if (__atomic_compare_exchange_n(&lockWord, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  while (__atomic_exchange_n(&lockWord, 2, __ATOMIC_ACQUIRE) != 0) {
    __builtin_wasm_memory_atomic_wait32(&lockWord, 2, 1000000);
  }
}

void unlock() {
  if (__atomic_exchange_n(&lockWord, 0, __ATOMIC_RELEASE) == 2) __builtin_wasm_memory_atomic_notify(&lockWord, 1);
}

}  // namespace

// The memory's size in bytes, kept here for the JS side: a read of this word tells it whether its views of the
// memory are stale (cheaper than asking the engine for the memory's buffer on every op).
uint32_t memoryBytes;

namespace {

// Makes [0, top) addressable, growing by at least an eighth of the memory at a time (each growth makes the JS
// side refresh its views). False when the memory is at its maximum.
bool reach(uint64_t top) {
  const uint64_t page = 65536;
  const uint64_t have = static_cast<uint64_t>(__builtin_wasm_memory_size(0)) * page;
  if (top <= have) return true;
  if (top > kMemoryLimit) return false;
  uint64_t want = (top - have + page - 1) / page;
  const uint64_t extra = have / page / 8;
  const uint64_t cap = kMemoryLimit / page - have / page;
  if (want < extra) want = min(extra, cap);
  bool grown = __builtin_wasm_memory_grow(0, static_cast<size_t>(want)) != static_cast<size_t>(-1);
  if (!grown) {
    want = (top - have + page - 1) / page;
    grown = __builtin_wasm_memory_grow(0, static_cast<size_t>(want)) != static_cast<size_t>(-1);
  }
  if (grown) {
    const uint64_t bytes = static_cast<uint64_t>(__builtin_wasm_memory_size(0)) * page;
    __atomic_store_n(&memoryBytes, bytes >= kMemoryLimit ? uint32_t(0xffffffff) : static_cast<uint32_t>(bytes),
                     __ATOMIC_SEQ_CST);
  }
  return grown;
}

}  // namespace

void* alloc(size_t bytes) {
  const int c = classFor(static_cast<uint64_t>(bytes) + kHeader);
  if (c >= kClasses) return nullptr;
  lock();
  void* block = freeList[c];
  if (block) {
    freeList[c] = *static_cast<void**>(static_cast<void*>(static_cast<unsigned char*>(block) + kHeader));
  } else {
    if (brk == 0) brk = (reinterpret_cast<uintptr_t>(&__heap_base) + 63) & ~uintptr_t(63);
    const uint64_t top = static_cast<uint64_t>(brk) + classSize(c);
    if (!reach(top)) {
      unlock();
      return nullptr;
    }
    block = reinterpret_cast<void*>(static_cast<uintptr_t>(brk));
    brk = static_cast<uint32_t>(top);  // top < 2^32: reach() refused anything larger
  }
  unlock();
  Header* h = static_cast<Header*>(block);
  h->cls = static_cast<uint32_t>(c);
  h->magic = kMagic;
  return static_cast<unsigned char*>(block) + kHeader;
}

void release(void* p) {
  if (!p) return;
  unsigned char* block = static_cast<unsigned char*>(p) - kHeader;
  Header* h = reinterpret_cast<Header*>(block);
  if (h->magic != kMagic || h->cls >= static_cast<uint32_t>(kClasses)) __builtin_trap();
  h->magic = 0;  // a second release of the same block traps instead of corrupting a list
  lock();
  *static_cast<void**>(p) = freeList[h->cls];
  freeList[h->cls] = block;
  unlock();
}

}  // namespace bp

BP_EXPORT("bp_alloc") void* bp_alloc(size_t bytes) { return bp::alloc(bytes); }
BP_EXPORT("bp_memory_bytes_word") uint32_t* bp_memory_bytes_word() { return &bp::memoryBytes; }
BP_EXPORT("bp_release") void bp_release(void* p) { bp::release(p); }
