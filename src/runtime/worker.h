// worker.h: one worker thread of a runtime.
//
// Where each part lives:
//   switch.h            the hand-over and the stack switch (inlined into every caller)
//   real_pick.h         the real-mode pick: LIFO slot, local ring, injection (inlined)
//   worker.cpp          the fiber-side operations: yield, park, join, timed park
//   carriers.cpp        a stack's life: first start, the carrier loop, retire, teardown
//   idle.cpp            the worker loop, the idle search, stealing, sleeping
//   deterministic_picker.cpp   the deterministic mode: its step and its idle loop,
//                       the worker's only two calls into it (policies/: who runs next)
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include "block_cache.h"
#include "hand_over.h"
#include "local_queue.h"
#include "stack_pool.h"
#include "thread_parker.h"
#include "timers.h"
#include "tmpmc/runtime/choice_point.h"
#include "tmpmc/runtime/detail/fiber.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime {
struct RuntimeStats;
}

namespace tmpmc::runtime::detail {

class RuntimeCore;
class DeterministicPicker;

// IdleContext: a worker's own thread stack, seen as a fiber so that the
// switch code has one shape. The worker loop (find work, steal, sleep) runs on it.
class IdleContext final : public Fiber {
 public:
  IdleContext() noexcept : Fiber(IdleContextTag{}) {}

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
  // on_fiber() is current() if the caller runs on one of its fibers (not on
  // a worker's idle context), else nullptr.
  static Worker* on_fiber() noexcept {
    Worker* worker = current();
    if (worker == nullptr || worker->current_->is_idle_context()) return nullptr;
    return worker;
  }
  // require_fiber(wait, held) is on_fiber() for a wait that must suspend:
  // outside a fiber it unlocks `held` (the list the caller locked, if any) and
  // throws std::logic_error naming `wait`.
  static Worker& require_fiber(std::string_view wait, WaitList* held = nullptr) {
    Worker* worker = on_fiber();
    if (worker == nullptr) [[unlikely]]
      outside_fiber(wait, held);
    return *worker;
  }

  // loop() runs the worker on the calling thread until the runtime stops.
  void loop();

  // yield_current() re-queues the running fiber and runs another, if any.
  void yield_current(const char* at);
  // park_current() suspends the running fiber until unpark(token); see park.h.
  // racing_wakers: a timer may wake it too, so publishing kParked needs a CAS.
  void park_current(std::uint64_t epoch, WaitList* unlock_after, const char* why,
                    bool racing_wakers);
  // park_until() is park_current() with a timer armed for `deadline` that
  // unparks `token` (the running fiber's next park); the timer is cancelled
  // however the fiber resumes, also when it is unwound at teardown.
  void park_until(TimePoint deadline, ParkToken token, WaitList* unlock_after, const char* why);
  // park_for_join() suspends the running fiber until `target` finishes (see
  // Fiber::join_state_).
  void park_for_join(Fiber* target);
  // yield_point() is a choice point in deterministic mode (a yield the
  // policy may take or not); elsewhere nothing.
  void yield_point(const char* at) {
    if (picker_ != nullptr && current_ != &idle_) yield_current(at);
  }
  // choice_point() is a labelled access's choice point in deterministic
  // mode (choice_point.h; deterministic_picker.cpp). waiting: a spin that
  // would read the same again (spin_point).
  void choice_point(const ChoicePointSite& site, const void* object, bool write, bool waiting);
  // note_clock_read(): the running fiber read virtual time (deterministic mode).
  void note_clock_read() noexcept { step_reads_clock_ = true; }

  // make_runnable() puts a fiber on this worker's queue (see RuntimeCore::schedule).
  // run_next: the LIFO slot (inline here: every hand-off and wake takes it).
  void make_runnable(Fiber* fiber, bool run_next) {
    // A fiber pinned to another worker runs only there (spawn_pinned).
    if (fiber->home_ != kAnyWorker && fiber->home_ != index_) [[unlikely]] {
      send_home(fiber);
      return;
    }
    if (run_next) {
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

  // post() hands a fiber pinned to this worker to it from another thread (a
  // wake, a spawn, a steal sent back): it joins the inbox, and this worker's
  // thread is woken if it sleeps. Any thread; lock-free.
  void post(Fiber* fiber) noexcept;

  Fiber* current_fiber() const noexcept { return current_; }
  RuntimeCore& core() noexcept { return core_; }
  // deterministic(): this worker's picks are the deterministic picker's.
  bool deterministic() const noexcept { return picker_ != nullptr; }
  // deterministic_step(): the step this worker runs in (0 unless deterministic).
  std::uint64_t deterministic_step() const noexcept;
  unsigned index() const noexcept { return index_; }
  BlockCache& blocks() noexcept { return blocks_; }

  // Counters: written by this worker only (bump), read from any thread.
  void note_wake() noexcept { bump(counters_.wakes); }
  void note_spawn() noexcept { bump(counters_.spawns); }
  void add_counters_to(RuntimeStats& total) const noexcept;

  // For a thief: how far this worker has got through its run queue.
  struct Progress {
    std::uint32_t head;
    std::uint64_t switches;
  };
  Progress progress() const noexcept;
  // steal_if_stalled(since, into) takes work from this worker if it made no
  // progress at all since `since`: half of its run queue (into `into`, which
  // the caller owns and which is empty), or else its next slot if it did not
  // switch. Returns one fiber for the thief to run, or nullptr.
  Fiber* steal_if_stalled(const Progress& since, LocalQueue& into) noexcept;
  // holds_work(): its run queue or next slot holds a fiber (a relaxed hint).
  bool holds_work() const noexcept;
  // wake_if_sleeping(include_watchful): wakes this worker's thread if it
  // sleeps (a watchful sleep only if include_watchful); true if it did.
  bool wake_if_sleeping(bool include_watchful) noexcept;
  // wake_thread(): wakes this worker's thread however it sleeps (stopping).
  void wake_thread() noexcept { parker_.wake(); }

  // For RuntimeCore::cancel_all_fibers: resume `fiber` so that it unwinds,
  // and take every fiber out of this worker's queues.
  void run_to_cancel(Fiber* fiber);
  // For RuntimeCore::finish_operations (deterministic mode): resume `fiber`,
  // stopped inside an operation, until it reaches a point between two.
  void run_to_finish_operation(Fiber* fiber);
  std::vector<Fiber*> drain() noexcept;
  // For teardown, on the calling thread: let every idle carrier of `owner`
  // return, so that Boost.Context frees its stack.
  void release_carriers(Worker& owner);

 private:
  struct PooledStack;  // carriers.cpp

  [[noreturn]] static void outside_fiber(std::string_view wait, WaitList* held);
  static void bump(std::atomic<std::uint64_t>& counter) noexcept {
    // Single writer: a plain increment, published with relaxed atomics for readers.
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // switch.h: the hand-over and the switch.
  void switch_to(Fiber* next);
  void complete_switch(boost::context::fiber&& from);
  static void resumed(void* fake_stack, boost::context::fiber&& from, Worker* worker);
  void learn_stack(const void* base, std::size_t size) noexcept;
  // real_pick.h: the real-mode pick and the run queue it reads.
  // previous_runnable: `previous` leaves at a yield (it may be picked again).
  Fiber* pick_next(Fiber* previous, const char* at, bool previous_runnable = false);
  Fiber* take_next_slot() noexcept;
  Fiber* pop_local() noexcept;
  // take_posted(): the oldest fiber posted to this worker, or nullptr (owner only).
  Fiber* take_posted() noexcept;
  // send_home(): make_runnable's way for a fiber pinned to another worker.
  [[gnu::noinline]] void send_home(Fiber* fiber) noexcept;
  // keep_unpinned(): after a steal, sends the stolen fibers pinned to other
  // workers home; returns `first`, or another stolen fiber if `first` went.
  Fiber* keep_unpinned(Fiber* first) noexcept;
  void push_back(Fiber* fiber);
  void queue_back(Fiber* fiber);
  // deterministic_picker.cpp
  Fiber* explore_step(Fiber* previous, const char* at, bool previous_runnable);
  void explore_loop();
  void end_step(Fiber* previous, bool previous_runnable);
  void fire_due_timers();
  static const char* park_label(const Fiber* fiber) noexcept;
  // carriers.cpp (start: switch.h)
  bool start(Fiber* fiber) noexcept;
  bool try_start(Fiber* fiber) noexcept;
  static boost::context::fiber fiber_main(Fiber* self, boost::context::fiber&& from);
  static void run_task(Fiber* self) noexcept;
  bool may_retire(const Fiber* self) const noexcept;
  Fiber* retire(Fiber* self, Carrier& carrier);
  boost::context::fiber exit_carrier(Carrier& carrier);
  boost::context::fiber exit_current(Fiber* self);
  // idle.cpp
  Fiber* periodic_check();
  bool fire_timers_or_watchdog();
  void enter_thread();
  Fiber* find_work();
  Fiber* steal_from_stalled(TimePoint until);
  bool work_visible() const noexcept;
  bool spin_for_timer();
  bool spin_for_posts();
  void idle_wait();

  // Written by this worker only (bump), read by stats() from any thread.
  struct Counters {
    std::atomic<std::uint64_t> switches{0}, parks{0}, wakes{0}, steals{0}, spawns{0},
        cross_worker_wakes{0};
  } counters_;

  RuntimeCore& core_;
  const unsigned index_;
  // The deterministic mode's scheduler (the core's), or nullptr in real mode.
  DeterministicPicker* const picker_;
  // With one worker nobody steals: the run queue needs no read-modify-writes.
  const bool shared_queues_;
  IdleContext idle_;
  Fiber* current_ = nullptr;

  // The pending hand-over, consumed by complete_switch on the next stack.
  HandOver hand_over_;

  // Idle carriers, newest first (its stack is the likeliest still in cache).
  static constexpr unsigned kMaxIdleCarriers = 64;
  Carrier* idle_carriers_ = nullptr;
  unsigned idle_carrier_count_ = 0;

  // The run queue: LIFO next slot + local ring. In deterministic mode they
  // only gather what became runnable until the picker's next step takes it.
  std::atomic<Fiber*> next_slot_{nullptr};
  LocalQueue queue_;
  // The inbox: fibers pinned to this worker that another thread made
  // runnable. A lock-free stack (newest first, linked through
  // next_runnable_) that posters push on by CAS and the owner empties with
  // one exchange, then runs oldest first from posted_ (owner only). No ABA:
  // nobody pops single fibers off the shared head, and a fiber is in at
  // most one inbox at a time (it is runnable once).
  alignas(64) std::atomic<Fiber*> inbox_{nullptr};
  Fiber* posted_ = nullptr;

  TimerHeap timers_;
  // Options::timer_spin: a timer due this soon is waited for awake (idle.cpp).
  const Clock::duration timer_spin_;
  // Deterministic mode: the wakes its timers made (the rest, fibers made).
  std::uint64_t timer_wakes_ = 0;
  // Deterministic mode: explore_step is running (the timers it fires touch
  // labelled words, which are not choice points there); the current fiber
  // waits in a spin (it yields to the others, not to itself); a
  // stopped run's fibers are finishing their operations (teardown).
  bool in_step_ = false;
  bool spinning_ = false;
  bool finishing_operations_ = false;
  std::uint64_t step_spawns_ = 0;  // spawns when the current step began
  bool step_reads_clock_ = false;  // the current step read virtual time (now())
  StackPool stacks_;
  BlockCache blocks_;
  ThreadParker parker_;
  Xoshiro256 rng_;
  std::uint32_t tick_ = 0;
};

}  // namespace tmpmc::runtime::detail
