#include "thread_pool.h"

#include "blas_threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>


namespace bp {

namespace {

// A training step calls the pool about a dozen times, 30–300 µs each with a little JS in between: a thread that
// has just finished spins this long for the next call (or the call's end) before sleeping on its condition
// variable, so a call rarely waits for a thread to wake. Short, so idle threads hardly take a core from others.
constexpr std::chrono::microseconds kSpin{20};

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until ready() or kSpin has passed; returns whether ready.
template <typename Ready>
bool spinUntil(const Ready& ready) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  for (unsigned i = 1;; i++) {
    if (ready()) return true;
    cpuRelax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() >= end) return false;
  }
}

// The pool lives for the whole process (never destroyed: its threads sleep when idle, and a static destructor
// joining threads at exit could race with Node's own shutdown). Workers are created on first need, up to the
// largest chunk count asked for.
class Pool {
 public:
  void run(size_t chunks, const std::function<void(size_t)>& fn) {
    std::unique_lock<std::mutex> busy(runMutex_, std::try_to_lock);
    if (!busy.owns_lock() || chunks <= 1 || poolThreads() <= 1) {
      // Another call holds the pool (or there is nothing to share): run every chunk here, in order.
      for (size_t c = 0; c < chunks; c++) fn(c);
      return;
    }
    // Workers join up to the thread count (the calling thread is one of them); the others stay asleep.
    const int threads = poolThreads();
    const size_t helpers = std::min<size_t>(chunks, threads < 1 ? 1 : static_cast<size_t>(threads)) - 1;
    ensureWorkers(helpers);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      allowed_ = helpers;
      fn_ = &fn;
      chunks_ = chunks;
      next_ = 0;
      pending_ = chunks;
      joined_ = 0;
      error_ = nullptr;
      active_ = true;
      finished_.store(false, std::memory_order_relaxed);
      generation_++;
      published_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    work();
    spinUntil([&] { return finished_.load(std::memory_order_acquire); });
    std::unique_lock<std::mutex> lock(mutex_);
    // Every chunk done and every worker that joined this run gone: none can touch the next run's state.
    done_.wait(lock, [&] { return pending_ == 0 && participants_ == 0; });
    active_ = false;
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void ensureWorkers(size_t n) {
    while (workers_ < n) {
      std::thread(&Pool::loop, this).detach();
      workers_++;
    }
  }

  // Takes chunks until none are left; the last one to finish wakes the caller.
  void work() {
    for (;;) {
      size_t c;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (next_ >= chunks_) return;
        c = next_++;
      }
      std::exception_ptr failure;
      try {
        (*fn_)(c);
      } catch (...) {
        failure = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (failure && !error_) error_ = failure;
      if (--pending_ == 0) finish();
    }
  }

  void loop() {
    size_t seen = 0;
    for (;;) {
      spinUntil([&] { return published_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (!active_ || joined_ >= allowed_) continue;
        joined_++;
        participants_++;
      }
      work();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--participants_ == 0) finish();
    }
  }

  // Called with mutex_ held when a chunk or a worker is done: wakes the caller once nothing runs any more.
  void finish() {
    if (pending_ != 0 || participants_ != 0) return;
    finished_.store(true, std::memory_order_release);
    done_.notify_all();
  }

  std::mutex runMutex_;  // one call uses the workers at a time
  std::mutex mutex_;     // guards everything below
  std::condition_variable wake_, done_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t chunks_ = 0, next_ = 0, pending_ = 0, participants_ = 0, generation_ = 0, workers_ = 0;
  size_t allowed_ = 0, joined_ = 0;  // workers that may join this run, and those that did
  bool active_ = false;
  std::exception_ptr error_;
  // Copies of generation_ and of "every chunk done, no worker inside", read without the mutex while spinning.
  std::atomic<size_t> published_{0};
  std::atomic<bool> finished_{false};
};

Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void parallelChunks(size_t chunks, const std::function<void(size_t)>& fn) { pool().run(chunks, fn); }

size_t chunkCount(size_t items) {
  int threads = poolThreads();
  size_t t = threads < 1 ? 1 : static_cast<size_t>(threads);
  if (t > 64) t = 64;
  // With several threads, a few chunks per thread, taken as threads come free: a core busy with another process
  // then slows the call by a chunk, not by half of it.
  const size_t chunks = t == 1 ? 1 : 4 * t;
  return items < chunks ? (items == 0 ? 1 : items) : chunks;
}

}  // namespace bp
