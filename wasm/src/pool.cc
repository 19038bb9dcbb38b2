// The thread pool: helper threads (Node worker threads that instantiated this module on the same shared memory)
// wait in bp_helper_loop for a parallel region; the thread that runs an op publishes its tasks, takes tasks itself,
// and returns when every task is done and no helper is inside the region any more. Tasks are claimed one at a
// time as threads come free; what a task computes is fixed by the op, so the results never depend on the threads.
#include "base.h"

namespace bp {

struct Pool {
  int32_t epoch;    // bumped when a region opens: the futex helpers sleep on
  int32_t state;    // 0 between regions; (helpers allowed to join << 1) | 1 while a region is open
  int32_t next;     // the next task to claim
  int32_t done;     // tasks finished
  int32_t active;   // helpers inside the region
  int32_t joined;   // helpers that joined this region (their thread index is joined + 1)
  int32_t tasks;
  int32_t helpers;  // helper threads allowed to join regions (the thread count - 1)
  int32_t helped;   // tasks run by helpers since the module loaded (tests check the helpers do take tasks)
  TaskFn fn;
  void* ctx;
};

namespace {

Pool thePool;

// Iterations of a polling loop before sleeping: a few microseconds, so that the next region of the same op (a
// training step opens a few dozen, some microseconds apart) rarely has to wake a sleeping thread.
constexpr int kSpin = 4000;

int32_t load(const int32_t* p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

void work(Pool* p, int thread) {
  const int tasks = p->tasks;
  for (;;) {
    const int t = __atomic_fetch_add(&p->next, 1, __ATOMIC_SEQ_CST);
    if (t >= tasks) return;
    p->fn(p->ctx, t, thread);
    if (thread > 0) __atomic_fetch_add(&p->helped, 1, __ATOMIC_RELAXED);
    if (__atomic_add_fetch(&p->done, 1, __ATOMIC_SEQ_CST) == tasks) {
      __builtin_wasm_memory_atomic_notify(&p->done, 1);
    }
  }
}

// Waits until *word == want (polling, then sleeping on the word).
void waitFor(int32_t* word, int32_t want) {
  for (int i = 0;; i++) {
    const int32_t v = load(word);
    if (v == want) return;
    if (i >= kSpin) __builtin_wasm_memory_atomic_wait32(word, v, 1000000);
  }
}

}  // namespace

Exec execOf(int pooled) { return pooled ? Exec{&thePool, load(&thePool.helpers)} : Exec{nullptr, 0}; }

void runTasks(const Exec& ex, int tasks, TaskFn fn, void* ctx) {
  Pool* p = ex.pool;
  const int helpers = p ? ex.helpers : 0;
  if (!p || helpers == 0 || tasks <= 1) {
    for (int t = 0; t < tasks; t++) fn(ctx, t, 0);
    return;
  }
  // Only the op's own thread opens regions on this pool (the JS side gives the pool to one op at a time), and
  // the previous region ended with no helper inside: these plain writes race with nobody.
  p->fn = fn;
  p->ctx = ctx;
  p->tasks = tasks;
  p->next = 0;
  p->done = 0;
  p->joined = 0;
  __atomic_store_n(&p->state, (min(helpers, tasks - 1) << 1) | 1, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&p->epoch, 1, __ATOMIC_SEQ_CST);
  __builtin_wasm_memory_atomic_notify(&p->epoch, static_cast<uint32_t>(helpers));
  work(p, 0);
  waitFor(&p->done, tasks);
  __atomic_store_n(&p->state, 0, __ATOMIC_SEQ_CST);
  // A helper that joined may still be between its last claim and leaving; one that reads the state from now on
  // sees the region closed and leaves without touching it.
  waitFor(&p->active, 0);
}

}  // namespace bp

using bp::Pool;

BP_EXPORT("bp_pool") Pool* bp_pool() { return &bp::thePool; }

BP_EXPORT("bp_pool_helped") int bp_pool_helped() { return bp::load(&bp::thePool.helped); }

BP_EXPORT("bp_pool_set_helpers") void bp_pool_set_helpers(int helpers) {
  __atomic_store_n(&bp::thePool.helpers, helpers < 0 ? 0 : helpers, __ATOMIC_SEQ_CST);
}

// A helper thread's life: wait for a region, join it if allowed, take tasks, leave; never returns.
BP_EXPORT("bp_helper_loop") void bp_helper_loop() {
  Pool* p = &bp::thePool;
  int32_t seen = bp::load(&p->epoch);
  for (;;) {
    int32_t e = seen;
    for (int i = 0; (e = bp::load(&p->epoch)) == seen; i++) {
      if (i >= bp::kSpin) __builtin_wasm_memory_atomic_wait32(&p->epoch, seen, -1);
    }
    seen = e;
    __atomic_fetch_add(&p->active, 1, __ATOMIC_SEQ_CST);
    const int32_t state = bp::load(&p->state);
    if (state & 1) {
      const int slot = __atomic_fetch_add(&p->joined, 1, __ATOMIC_SEQ_CST);
      if (slot < (state >> 1)) bp::work(p, slot + 1);
    }
    if (__atomic_sub_fetch(&p->active, 1, __ATOMIC_SEQ_CST) == 0) {
      __builtin_wasm_memory_atomic_notify(&p->active, 1);
    }
  }
}
