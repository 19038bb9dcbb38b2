#include "thread_pool.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

extern "C" int openblas_get_num_threads(void);

namespace bp {

namespace {

// The pool lives for the whole process (never destroyed: its threads sleep when idle, and a static destructor
// joining threads at exit could race with Node's own shutdown). Workers are created on first need, up to the
// largest chunk count asked for.
class Pool {
 public:
  void run(size_t chunks, const std::function<void(size_t)>& fn) {
    std::unique_lock<std::mutex> busy(runMutex_, std::try_to_lock);
    if (!busy.owns_lock() || chunks <= 1) {
      // Another call holds the pool (or there is nothing to share): run every chunk here, in order.
      for (size_t c = 0; c < chunks; c++) fn(c);
      return;
    }
    ensureWorkers(chunks - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      chunks_ = chunks;
      next_ = 0;
      pending_ = chunks;
      error_ = nullptr;
      active_ = true;
      generation_++;
    }
    wake_.notify_all();
    work();
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
      if (--pending_ == 0) done_.notify_all();
    }
  }

  void loop() {
    size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (!active_) continue;
        participants_++;
      }
      work();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--participants_ == 0) done_.notify_all();
    }
  }

  std::mutex runMutex_;  // one call uses the workers at a time
  std::mutex mutex_;     // guards everything below
  std::condition_variable wake_, done_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t chunks_ = 0, next_ = 0, pending_ = 0, participants_ = 0, generation_ = 0, workers_ = 0;
  bool active_ = false;
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void parallelChunks(size_t chunks, const std::function<void(size_t)>& fn) { pool().run(chunks, fn); }

size_t chunkCount(size_t items) {
  int threads = openblas_get_num_threads();
  size_t t = threads < 1 ? 1 : static_cast<size_t>(threads);
  if (t > 64) t = 64;
  return items < t ? (items == 0 ? 1 : items) : t;
}

}  // namespace bp
