// runtime_core.h: state shared by a runtime's workers, and what block_on does
// with them.
//
// Its definitions, by job: runtime_core.cpp (start, spawn and schedule, the
// injection queue, idle workers, block_on), stuck_reports.cpp (what a
// deadlock, hang or stopped run reports), teardown.cpp (unwinding what is
// left); the fibers it knows of are in fiber_registry.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "deterministic_picker.h"
#include "fiber_registry.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::runtime::detail {

class Worker;

class RuntimeCore {
 public:
  // Why a block_on ends other than by its root finishing. stopped: the
  // deterministic picker stopped the run (its stop() says why).
  enum class Stuck { no, deadlock, hang, stopped };

  explicit RuntimeCore(Options options);
  ~RuntimeCore();

  // submit() registers a new fiber and makes it runnable, naming it `*name`
  // (moved from) unless `name` is null, pinned to worker `home` unless that
  // is kAnyWorker (runtime.h, spawn_pinned; std::invalid_argument for a
  // worker we do not have). `caller`: the calling thread's worker
  // (Worker::current()), or null.
  void submit(Fiber* fiber, Worker* caller, std::string* name = nullptr,
              unsigned home = kAnyWorker);
  // schedule() makes a fiber runnable: on the calling worker's queue when the
  // caller is one of ours (a woken fiber runs next, on the waker's worker),
  // otherwise through the injection queue, waking a sleeping worker. A
  // pinned fiber goes to its own worker instead: to its queue if that is the
  // caller's, else to its inbox (make_runnable, inject).
  void schedule(Fiber* fiber, bool run_next);
  void run_root(Fiber* root);

  // The injection queue: fibers made runnable from outside the runtime (or
  // overflowing a full run queue); a pinned fiber goes to its own worker's
  // inbox instead (Worker::post).
  void inject(Fiber* fiber);
  Fiber* take_injected();
  bool has_injected() const noexcept { return injected_count_.load(std::memory_order_seq_cst) > 0; }

  // Idle workers: wake one when there is surplus work and none is looking for
  // it. `include_watchful`: also a worker in a short, watchful sleep (outside
  // work must start at once; local surplus can wait for its next look).
  void wake_idle_worker(bool include_watchful) noexcept;
  void wake_all_workers() noexcept;
  // surplus_unwatched(): some worker sleeps deeply and none watches for a
  // backlog, so a local push should wake one. Relaxed: a stale answer only
  // costs parallelism, never a fiber (the pusher runs it itself).
  [[gnu::always_inline]] bool surplus_unwatched() const noexcept {
    return sleeping_workers_.load(std::memory_order_relaxed) != 0 &&
           watching_workers_.load(std::memory_order_relaxed) == 0;
  }
  // begin_watch() counts the caller among the workers watching for a backlog
  // to steal, and is true if it is the only one; end_watch() uncounts it
  // (call it either way). note_sleeping(true/false) brackets a worker's sleep.
  // seq_cst: ordered with the sleeper's announce-then-recheck (thread_parker.h).
  bool begin_watch() noexcept {
    return watching_workers_.fetch_add(1, std::memory_order_seq_cst) == 0;
  }
  void end_watch() noexcept { watching_workers_.fetch_sub(1, std::memory_order_seq_cst); }
  void note_sleeping(bool asleep) noexcept {
    if (asleep) {
      sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
    } else {
      sleeping_workers_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }
  // has_pinned_fibers(): a fiber was ever pinned to a worker here (then an
  // idle worker waits awake a moment for a post: Worker::spin_for_posts).
  bool has_pinned_fibers() const noexcept { return pinned_fibers_.load(std::memory_order_relaxed); }
  // any_worker_holds_work(): some worker's run queue holds a fiber (a hint).
  bool any_worker_holds_work() const noexcept;

  // The workers, for one another (stealing).
  std::size_t worker_count() const noexcept { return workers_.size(); }
  Worker& worker(std::size_t i) const noexcept { return *workers_[i]; }

  // stopping(order): block_on must return (the root finished, or a deadlock
  // or hang). The caller names the order its own argument needs.
  [[gnu::always_inline]] bool stopping(std::memory_order order) const noexcept {
    return stopping_.load(order);
  }
  // The watchdog's deadline, for worker 0 in real mode (set before workers start).
  const std::optional<TimePoint>& watchdog_deadline() const noexcept { return watchdog_deadline_; }
  // note_external_wake(): an unpark made from outside any worker (for stats).
  void note_external_wake() noexcept { external_wakes_.fetch_add(1, std::memory_order_relaxed); }

  // A fiber has run to completion (called on the next fiber's stack).
  void fiber_finished(Fiber* fiber) noexcept;

  // Deterministic mode.
  TimePoint virtual_now() const noexcept { return virtual_now_; }
  void advance_virtual_time(TimePoint to) noexcept {
    if (to > virtual_now_) virtual_now_ = to;
  }
  void tick_virtual_time() noexcept { virtual_now_ += kVirtualStep; }
  // The deterministic mode's scheduler (nullptr in real mode).
  DeterministicPicker* picker() const noexcept { return picker_.get(); }
  // choose(): DeterministicPicker::choose; when that stops the run, the
  // runtime stops (nullptr: the caller hands the worker to its idle context).
  Fiber* choose(Fiber* previous, const char* at, std::uint64_t fiber_wakes) {
    Fiber* chosen = picker_->choose(previous, at, fiber_wakes);
    if (chosen == nullptr) [[unlikely]]
      declare_stuck(Stuck::stopped);
    return chosen;
  }
  // The record of a deterministic runtime's picks (empty on a real one).
  std::uint64_t trace_hash() const noexcept { return picker_ ? picker_->trace_hash() : 0; }
  Schedule schedule() const { return picker_ ? picker_->schedule() : Schedule{}; }
  std::vector<TraceEvent> trace() const {
    return picker_ ? picker_->trace() : std::vector<TraceEvent>{};
  }

  // stopped_error(): the report of a run the picker stopped.
  StoppedError stopped_error(std::vector<std::string> fibers) const;
  // declare_stuck() ends the current block_on with a deadlock, hang or stop report.
  void declare_stuck(Stuck kind) noexcept;

  // Reports: one line per fiber that has not finished.
  std::vector<std::string> describe_stuck_fibers();
  // Unwinds every fiber still alive (parked or runnable); used at destruction
  // and after a deadlock or hang. Runs on the calling thread as worker 0.
  void cancel_all_fibers() noexcept;
  // finish_operations(): deterministic mode, before unwinding: every runnable
  // fiber stopped at an inner choice point (choice_point.h) runs on until it
  // reaches a `between` one, parks or finishes, so that no fiber unwinds
  // holding a wait list's lock or half-way through a push.
  void finish_operations() noexcept;

  RuntimeStats stats() const;
  std::size_t live_fibers();

  const Options options;
  const bool deterministic;

 private:
  static constexpr Duration kVirtualStep = std::chrono::microseconds(1);

  std::vector<Fiber*> drain_run_queues();

  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopping_{false};             // block_on must return (see stopping())
  std::atomic<unsigned> sleeping_workers_{0};     // in ThreadParker::sleep_until, or about to be
  std::atomic<unsigned> watching_workers_{0};     // between begin_watch and end_watch
  std::atomic<std::uint64_t> external_wakes_{0};  // unparks made from outside any worker
  std::atomic<bool> pinned_fibers_{false};        // has_pinned_fibers()
  std::optional<TimePoint> watchdog_deadline_;
  std::atomic<Stuck> stuck_{Stuck::no};

  std::mutex injected_mu_;
  Fiber* injected_head_ = nullptr;
  Fiber* injected_tail_ = nullptr;
  std::atomic<std::size_t> injected_count_{0};

  FiberRegistry registry_;  // every fiber not yet finished
  std::atomic<std::uint64_t> external_spawns_{0};
  std::unique_ptr<DeterministicPicker> picker_;   // deterministic mode only (set first)
  TimePoint virtual_now_{std::chrono::hours(1)};  // the same start on every run
};

}  // namespace tmpmc::runtime::detail
