// worker.h: one worker thread of a runtime, and the stack switch.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "block_cache.h"
#include "local_queue.h"
#include "policy.h"
#include "stack_pool.h"
#include "thread_parker.h"
#include "timers.h"
#include "tmpmc/runtime/detail/fiber.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

class RuntimeCore;

// IdleContext: a worker's own thread stack, seen as a fiber so that the
// switch code has one shape. The worker loop (find work, steal, sleep) runs on it.
class IdleContext final : public Fiber {
 public:
  IdleContext();

 private:
  void run() override {}
};

class Worker {
 public:
  Worker(RuntimeCore& core, unsigned index);
  ~Worker();

  // current() is the calling thread's worker, or nullptr. Not inlined on
  // purpose: a fiber may resume on another thread, and the compiler must not
  // reuse a thread-local address computed before a switch.
  static Worker* current() noexcept;
  static void set_current(Worker* worker) noexcept;

  // loop() runs the worker on the calling thread until the runtime stops.
  void loop();

  // What the fiber giving up the worker wants done once its stack is saved.
  enum class After : std::uint8_t {
    save,          // keep its continuation (it is already runnable, or it is the idle context)
    requeue,       // yield: run it again later
    park,          // publish it as parked (and unlock the wait list it parked on)
    park_join,     // publish it as parked, then as join_target_'s joiner
    finish,        // it returned: release it
    retire,        // its task returned, its stack stays: keep the carrier, release the fiber
    drop_carrier,  // an idle carrier returned at teardown: drop its TSan context
  };

  // yield_current() re-queues the running fiber and runs another, if any.
  void yield_current(const char* at);
  // park_current() suspends the running fiber until unpark(token); see park.h.
  // racing_wakers: a timer may wake it too, so publishing kParked needs a CAS.
  void park_current(std::uint64_t epoch, WaitList* unlock_after, const char* why,
                    bool racing_wakers);
  // park_for_join() suspends the running fiber until `target` finishes (see
  // Fiber::join_state_).
  void park_for_join(Fiber* target);
  // exit_current() is the last thing a fiber does; returns the context to run next.
  boost::context::fiber exit_current(Fiber* self);
  // yield_point() is a seeded scheduling decision in deterministic mode.
  void yield_point(const char* at);

  // make_runnable() puts a fiber on this worker's queue (see RuntimeCore::schedule).
  // run_next: the LIFO slot (inline here: every hand-off and wake takes it).
  void make_runnable(Fiber* fiber, bool run_next) {
    if (run_next && !deterministic_) {
      // A fiber woken by the running one runs next, here, while the data they
      // share is still in this core's cache; the one it displaces queues
      // behind the others. acq_rel: thieves take the slot by CAS.
      Fiber* kicked;
      if (shared_queues_) {
        kicked = next_slot_.exchange(fiber, std::memory_order_acq_rel);
      } else {
        kicked = next_slot_.load(std::memory_order_relaxed);
        next_slot_.store(fiber, std::memory_order_relaxed);
      }
      if (kicked == nullptr) return;
      fiber = kicked;
    }
    queue_back(fiber);
  }

  Fiber* current_fiber() const noexcept { return current_; }
  RuntimeCore& core() noexcept { return core_; }
  TimerHeap& timers() noexcept { return timers_; }
  bool deterministic() const noexcept { return deterministic_; }
  unsigned index() const noexcept { return index_; }

  // Steal targets and bookkeeping for the runtime.
  LocalQueue& local_queue() noexcept { return queue_; }
  std::atomic<Fiber*>& next_slot() noexcept { return next_slot_; }
  ThreadParker& parker() noexcept { return parker_; }

  // Counters: written by this worker only, read by stats() from any thread.
  struct Counters {
    std::atomic<std::uint64_t> switches{0}, parks{0}, wakes{0}, steals{0}, spawns{0};
  } counters;
  static void bump(std::atomic<std::uint64_t>& counter) noexcept {
    // Single writer: a plain increment, published with relaxed atomics for readers.
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // complete_switch() performs after_ for the fiber that just switched out;
  // runs first thing on the stack switched to (see resumed()).
  void complete_switch(boost::context::fiber&& from);
  void learn_stack(const void* base, std::size_t size) noexcept;
  StackPool& stacks() noexcept { return stacks_; }
  BlockCache& blocks() noexcept { return blocks_; }

  // For RuntimeCore::cancel_all_fibers: resume `fiber` so that it unwinds,
  // and take every fiber out of this worker's queues.
  void run_to_cancel(Fiber* fiber);
  std::vector<Fiber*> drain() noexcept;
  // For teardown, on the calling thread: let every idle carrier of `owner`
  // return, so that Boost.Context frees its stack.
  void release_carriers(Worker& owner);

  // Carrier: a fiber stack whose task has returned, suspended at the end of
  // fiber_main's loop so that the next new fiber runs on it: starting a fiber
  // then costs one switch instead of Boost.Context's set-up jump, first entry
  // and exit (see start). It lives on that stack; idle ones are linked on
  // the worker where their task returned.
  struct Carrier {
    boost::context::fiber context;  // where it waits to be given a fiber
    void* stack_base = nullptr;
    std::size_t stack_size = 0;
    void* asan_fake_stack = nullptr;
    void* tsan_fiber = nullptr;
    Fiber* assigned = nullptr;  // the fiber to run next; null: return (teardown)
    Carrier* next = nullptr;
  };

 private:
  Fiber* pick_next(Fiber* previous, const char* at);
  Fiber* pick_next_deterministic(Fiber* previous, const char* at);
  Fiber* periodic_check();
  bool fire_timers_or_watchdog();
  void enter_thread();
  Fiber* take_next_slot() noexcept;
  Fiber* pop_local() noexcept;
  Fiber* find_work();
  Fiber* steal_from_stalled();
  bool any_queue_holds_work() const noexcept;
  bool work_visible() const noexcept;
  void idle_wait();
  void switch_to(Fiber* next);
  void push_back(Fiber* fiber);
  void queue_back(Fiber* fiber);
  bool start(Fiber* fiber) noexcept;
  bool try_start(Fiber* fiber) noexcept;
  static boost::context::fiber fiber_main(Fiber* self, boost::context::fiber&& from);
  static void run_task(Fiber* self) noexcept;
  bool may_retire(const Fiber* self) const noexcept;
  Fiber* retire(Fiber* self, Carrier& carrier);
  boost::context::fiber exit_carrier(Carrier& carrier);
  static void resumed(void* fake_stack, boost::context::fiber&& from, Worker* worker);

  RuntimeCore& core_;
  const unsigned index_;
  const bool deterministic_;
  // With one worker nobody steals: the run queue needs no read-modify-writes.
  const bool shared_queues_;
  IdleContext idle_;
  Fiber* current_ = nullptr;

  // The pending hand-over, consumed by complete_switch on the next stack.
  Fiber* previous_ = nullptr;
  After after_ = After::save;
  std::uint64_t park_epoch_ = 0;
  bool park_racing_ = true;
  WaitList* unlock_after_ = nullptr;
  Fiber* join_target_ = nullptr;      // After::park_join: the fiber being joined
  Carrier* retiring_ = nullptr;       // After::retire: the carrier to keep
  void* dropped_tsan_fiber_ = nullptr;  // After::drop_carrier: the context to destroy

  // Idle carriers, newest first (its stack is the likeliest still in cache).
  static constexpr unsigned kMaxIdleCarriers = 64;
  Carrier* idle_carriers_ = nullptr;
  unsigned idle_carrier_count_ = 0;

  // Real mode: local ring + LIFO next slot. Deterministic mode: runnable_.
  std::atomic<Fiber*> next_slot_{nullptr};
  LocalQueue queue_;
  RunnableSet runnable_;

  TimerHeap timers_;
  StackPool stacks_;
  BlockCache blocks_;
  ThreadParker parker_;
  Xoshiro256 rng_;
  std::uint32_t tick_ = 0;
};

}  // namespace tmpmc::runtime::detail
