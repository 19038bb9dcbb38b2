// The thread pool: helper threads (Node worker threads that instantiated this module on the same shared memory)
// wait in bp_helper_loop for a parallel region; the thread that runs an op publishes its tasks, takes tasks itself,
// and returns when every task is done and no helper is inside the region any more. Tasks are claimed one at a
// time as threads come free; what a task computes is fixed by the op, so the results never depend on the threads.
// A helper that traps in a task (a kernel bug: an out-of-bounds access, `unreachable`, a stack overflow) never
// finishes it: its worker catches the trap and calls bp_pool_fail, which marks the pool failed and wakes the
// threads that wait; the region's opener then traps too (its op throws on its own thread instead of waiting
// forever) and no region opens on this pool again: every op runs on its calling thread from then on.
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
  int32_t failed;   // 1 once a helper trapped or died: regions never open again (bp_pool_fail)
  int32_t testTrap; // tests only (bp_test_trap_helpers): helpers trap in the tasks they take
  TaskFn fn;
  void* ctx;
};

namespace {

Pool thePool;

// Iterations of a polling loop before sleeping: a few microseconds, so that the next region of the same op (a
// training step opens a few dozen, some microseconds apart) rarely has to wake a sleeping thread.
constexpr int kSpin = 4000;

int32_t load(const int32_t* p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

// Takes tasks until none is left; helpers stop taking them once the pool failed (the opener finishes the region).
void work(Pool* p, int thread) {
  const int tasks = p->tasks;
  for (;;) {
    if (thread > 0 && load(&p->failed)) return;
    const int t = __atomic_fetch_add(&p->next, 1, __ATOMIC_SEQ_CST);
    if (t >= tasks) return;
    if (thread > 0 && load(&p->testTrap)) __builtin_trap();
    p->fn(p->ctx, t, thread);
    if (thread > 0) __atomic_fetch_add(&p->helped, 1, __ATOMIC_RELAXED);
    if (__atomic_add_fetch(&p->done, 1, __ATOMIC_SEQ_CST) == tasks) {
      __builtin_wasm_memory_atomic_notify(&p->done, 1);
    }
  }
}

// Waits until *word == want (polling, then sleeping on the word) or, when `orFailed`, the pool failed (bp_pool_fail
// notifies the words waited on). Returns whether *word == want.
bool waitFor(Pool* p, int32_t* word, int32_t want, bool orFailed) {
  for (int i = 0;; i++) {
    const int32_t v = load(word);
    if (v == want) return true;
    if (orFailed && load(&p->failed)) return false;
    if (i >= kSpin) __builtin_wasm_memory_atomic_wait32(word, v, 1000000);
  }
}

}  // namespace

Exec execOf(int pooled) {
  return pooled && !load(&thePool.failed) ? Exec{&thePool, load(&thePool.helpers)} : Exec{nullptr, 0};
}

void runTasks(const Exec& ex, int tasks, TaskFn fn, void* ctx) {
  Pool* p = ex.pool;
  const int helpers = p ? ex.helpers : 0;
  if (!p || helpers == 0 || tasks <= 1 || load(&p->failed)) {
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
  // Tests (bp_test_trap_helpers): let a helper take the first task, and trap, before this thread takes any.
  for (int i = 0; i < 10000 && load(&p->testTrap) && load(&p->next) == 0 && !load(&p->failed); i++) {
    __builtin_wasm_memory_atomic_wait32(&p->next, 0, 1000000);
  }
  work(p, 0);
  const bool finished = waitFor(p, &p->done, tasks, true);
  __atomic_store_n(&p->state, 0, __ATOMIC_SEQ_CST);
  // A helper that joined may still be between its last claim and leaving; one that reads the state from now on
  // sees the region closed and leaves without touching it. After a failure the helpers alive finish the task in
  // hand and leave, and a trapped one has left in bp_pool_fail: the wait ends either way.
  waitFor(p, &p->active, 0, false);
  if (finished) return;
  // No thread but this one touches the region now. Tasks nobody took run here (the pool may have been marked failed
  // by the JS side, for a helper that died outside any region); a task a trapped helper took is lost: the op traps
  // (the JS side turns this into an error naming the helper's failure; memory the op's scratch held stays taken).
  work(p, 0);
  if (load(&p->done) != tasks) __builtin_trap();
}

}  // namespace bp

using bp::Pool;

BP_EXPORT("bp_pool") Pool* bp_pool() { return &bp::thePool; }

BP_EXPORT("bp_pool_helped") int bp_pool_helped() { return bp::load(&bp::thePool.helped); }

BP_EXPORT("bp_pool_set_helpers") void bp_pool_set_helpers(int helpers) {
  __atomic_store_n(&bp::thePool.helpers, helpers < 0 ? 0 : helpers, __ATOMIC_SEQ_CST);
}

// A helper thread's life: wait for a region, join it if allowed, take tasks, leave; returns once the pool failed. A
// trap out of it comes from a task (nothing else in the loop can trap): its worker then calls bp_pool_fail(1).
BP_EXPORT("bp_helper_loop") void bp_helper_loop() {
  Pool* p = &bp::thePool;
  int32_t seen = bp::load(&p->epoch);
  for (;;) {
    int32_t e = seen;
    for (int i = 0; (e = bp::load(&p->epoch)) == seen; i++) {
      if (bp::load(&p->failed)) return;  // no region opens again: the worker may end
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

// The pool failed: a helper's worker calls this with `inRegion` 1 after its bp_helper_loop trapped (in a task, so
// inside a region: it leaves the region here, its task never done); the JS side calls it with 0 for a helper that
// died or never started. Wakes every thread that waits on the pool; regions never open again.
BP_EXPORT("bp_pool_fail") void bp_pool_fail(int inRegion) {
  Pool* p = &bp::thePool;
  if (inRegion) __atomic_sub_fetch(&p->active, 1, __ATOMIC_SEQ_CST);
  __atomic_store_n(&p->failed, 1, __ATOMIC_SEQ_CST);
  __builtin_wasm_memory_atomic_notify(&p->done, ~0u);
  __builtin_wasm_memory_atomic_notify(&p->active, ~0u);
  __builtin_wasm_memory_atomic_notify(&p->next, ~0u);
  __builtin_wasm_memory_atomic_notify(&p->epoch, ~0u);
}

BP_EXPORT("bp_pool_failed") int bp_pool_failed() { return bp::load(&bp::thePool.failed); }

// For test/wasm/pool-failure.test.ts only: a helper trap cannot be caused otherwise without a kernel bug. While on,
// helpers trap in every task they take, and a region's opener first waits for a helper to take one (so the trap
// happens whatever the scheduling).
BP_EXPORT("bp_test_trap_helpers") void bp_test_trap_helpers(int on) {
  __atomic_store_n(&bp::thePool.testTrap, on ? 1 : 0, __ATOMIC_SEQ_CST);
}
