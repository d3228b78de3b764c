// idle.cpp: the worker loop on a worker's own thread stack (its idle
// context): find work, else watch for a stalled worker to steal from, else
// sleep. Also what the other workers ask of this one as a steal victim.
#include <chrono>
#include <optional>
#include <vector>

#include "switch.h"
#include "tmpmc/runtime/spin.h"

namespace tmpmc::runtime::detail {

void Worker::enter_thread() {
  // The idle context is whichever thread runs this worker now: its stack
  // bounds are learned again (ASan) and its TSan context is this thread's.
  current_ = &idle_;
  idle_.stack_base_ = nullptr;
  idle_.stack_size_ = 0;
  idle_.tsan_fiber_ = sanitizer::current_thread_fiber();
}

void Worker::loop() {
  enter_thread();
  if (picker_ != nullptr) return explore_loop();  // deterministic mode: its own loop
  while (!core_.stopping(std::memory_order_acquire)) {
    if (Fiber* fiber = find_work()) {
      hand_over_.after.emplace<after::Save>();
      switch_to(fiber);
      continue;
    }
    if (core_.stopping(std::memory_order_acquire)) break;
    idle_wait();
  }
}

void Worker::run_to_cancel(Fiber* fiber) {
  // Called by RuntimeCore::cancel_all_fibers on this thread's own stack.
  enter_thread();
  fiber->cancelled_ = true;
  hand_over_.after.emplace<after::Save>();
  switch_to(fiber);
}

void Worker::run_to_finish_operation(Fiber* fiber) {
  // Called by RuntimeCore::finish_operations on this thread's own stack. The
  // fiber comes back at its next `between` point or spin (choice_point), or
  // when it parks or finishes.
  enter_thread();
  finishing_operations_ = true;
  hand_over_.after.emplace<after::Save>();
  switch_to(fiber);
  finishing_operations_ = false;
}

Fiber* Worker::find_work() {
  for (;;) {
    Fiber* fiber = nullptr;
    if (fire_timers_or_watchdog()) return nullptr;
    // No stealing here: an idle worker steals only a backlog (idle_wait).
    fiber = take_next_slot();
    if (fiber == nullptr) fiber = take_posted();
    if (fiber == nullptr) fiber = queue_.pop();
    if (fiber == nullptr) fiber = core_.take_injected();
    if (fiber == nullptr) return nullptr;
    if (fiber->started_ || start(fiber)) return fiber;
  }
}

bool Worker::work_visible() const noexcept {
  if (core_.stopping(std::memory_order_seq_cst) || core_.has_injected()) return true;
  // seq_cst (inbox_): the load half of the pair with a poster (Worker::post).
  return next_slot_.load(std::memory_order_seq_cst) != nullptr || !queue_.empty() ||
         posted_ != nullptr || inbox_.load(std::memory_order_seq_cst) != nullptr;
}

// ---------------------------------------------------------------- stealing

Worker::Progress Worker::progress() const noexcept {
  return {queue_.head_position(), counters_.switches.load(std::memory_order_relaxed)};
}

bool Worker::holds_work() const noexcept {
  // Its inbox is not counted: nobody else may run what it holds.
  return !queue_.empty() || next_slot_.load(std::memory_order_relaxed) != nullptr;
}

Fiber* Worker::steal_if_stalled(const Progress& since, LocalQueue& into) noexcept {
  if (!queue_.empty() && queue_.head_position() == since.head) {
    if (Fiber* fiber = queue_.steal_half_into(into)) return fiber;
  }
  Fiber* next = next_slot_.load(std::memory_order_relaxed);
  // acquire: pairs with the release half of the exchange that stored it.
  if (next != nullptr && counters_.switches.load(std::memory_order_relaxed) == since.switches &&
      next_slot_.compare_exchange_strong(next, nullptr, std::memory_order_acquire)) {
    return next;
  }
  return nullptr;
}

// steal_from_stalled(until) watches the other workers until `until` and takes
// half of the run queue of one whose queue head did not move at all meanwhile
// (or its next slot, if it did not switch at all). Fibers that talk through a
// queue run best together on one worker (no cache line crosses cores per
// message), so a worker that gets through its queue keeps it; only a real
// backlog (fibers doing CPU work) is spread.
Fiber* Worker::steal_from_stalled(TimePoint until) {
  const std::size_t n = core_.worker_count();
  std::vector<Progress> seen(n);
  for (std::size_t i = 0; i < n; ++i) seen[i] = core_.worker(i).progress();
  while (Clock::now() < until) {
    for (int i = 0; i < 32; ++i) cpu_pause();
    if (work_visible()) return nullptr;  // our own work arrived: the loop takes it
  }
  const std::size_t start = rng_.below(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (start + k) % n;
    Worker& victim = core_.worker(i);
    if (&victim == this) continue;
    if (Fiber* fiber = victim.steal_if_stalled(seen[i], queue_)) {
      bump(counters_.steals);
      // A pinned fiber woken on its own worker sits in its queues like any
      // other; taken with them, it goes back (spawn_pinned's promise).
      if (Fiber* kept = keep_unpinned(fiber)) return kept;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------- sleeping

// spin_for_timer(): if this worker's next timer is due within the spin
// horizon, waits for it awake and returns true (the loop then fires it).
// Asked to wake the thread at the deadline, the kernel would wake it tens of
// microseconds late: an open-loop producer's pace would measure that. The
// spin ends early when work arrives (the loop runs it first) or the runtime
// stops. Only this worker's fibers arm timers on its heap, and none runs
// meanwhile, so no earlier timer can appear; one cancelled from another
// worker only ends the spin late, at the deadline it had.
bool Worker::spin_for_timer() {
  if (timer_spin_ == Clock::duration::zero() || timers_.empty()) return false;
  const std::optional<TimePoint> due = timers_.next_deadline();
  if (!due || *due - Clock::now() > timer_spin_) return false;
  while (Clock::now() < *due && !work_visible()) {
    for (int i = 0; i < 8; ++i) cpu_pause();
  }
  return true;
}

// spin_for_posts(): waits awake, for up to kPostSpin, for work to arrive;
// true if it did. For a runtime with pinned fibers (spawn_pinned): their
// worker is often idle only for as long as a fiber on another worker takes
// to answer (a ping-pong's round trip, a consumer's wait for the next
// push). Awake, it sees the post within a few pauses, and the poster finds
// it awake and wakes nobody: no futex wait here and no futex wake there,
// which would cost more than the answer. Every idle worker may do this, not
// only the one watching for a backlog.
bool Worker::spin_for_posts() {
  constexpr auto kPostSpin = std::chrono::microseconds(50);
  const TimePoint until = Clock::now() + kPostSpin;
  do {
    for (int i = 0; i < 8; ++i) cpu_pause();
    if (work_visible()) return true;
  } while (Clock::now() < until);
  return false;
}

void Worker::idle_wait() {
  // A timer about to fire is waited for awake (spin_for_timer); on a runtime
  // with pinned fibers, a post too, for a moment (spin_for_posts);
  // otherwise one worker at a time watches for a backlog to steal, then
  // sleeps: watchfully while some queue holds fibers (a short timeout, to
  // look again), otherwise deeply, until a wake or until the spin horizon
  // before its next timer.
  if (spin_for_timer()) return;
  if (core_.has_pinned_fibers() && spin_for_posts()) return;
  const std::optional<TimePoint> timer = timers_.next_deadline();
  // When the thread must be awake again for its next timer.
  const std::optional<TimePoint> wake_for_timer =
      timer ? std::optional<TimePoint>(*timer - timer_spin_) : std::nullopt;
  const bool alone = core_.worker_count() == 1;
  // The watch needs its whole window: a shorter one would take a busy worker
  // for a stalled one. A worker due for a timer before that does not watch.
  constexpr auto kStealWindow = std::chrono::microseconds(100);
  const TimePoint watch_until = Clock::now() + kStealWindow;
  const bool may_watch = !alone && !(wake_for_timer && *wake_for_timer < watch_until);
  if (may_watch && core_.begin_watch()) {
    Fiber* stolen = steal_from_stalled(watch_until);
    core_.end_watch();
    if (stolen != nullptr) {
      make_runnable(stolen, true);
      // More stalled work may remain: let another sleeper look too.
      if (!queue_.empty()) core_.wake_idle_worker(false);
      return;
    }
    if (work_visible()) return;
  } else if (may_watch) {
    core_.end_watch();  // begin_watch() counted us either way
  }

  constexpr auto kWatchfulSleep = std::chrono::milliseconds(1);
  const bool watchful = !alone && core_.any_worker_holds_work();
  parker_.set_watchful(watchful);
  core_.note_sleeping(true);
  parker_.announce_sleep();
  if (work_visible()) {
    parker_.cancel_sleep();
  } else {
    std::optional<TimePoint> deadline = wake_for_timer;
    if (watchful) {
      const TimePoint look_again = Clock::now() + kWatchfulSleep;
      if (!deadline || look_again < *deadline) deadline = look_again;
    }
    const std::optional<TimePoint>& watchdog = core_.watchdog_deadline();
    if (index_ == 0 && watchdog && (!deadline || *watchdog < *deadline)) deadline = watchdog;
    parker_.sleep_until(deadline);
  }
  core_.note_sleeping(false);
  parker_.set_watchful(false);
}

}  // namespace tmpmc::runtime::detail
