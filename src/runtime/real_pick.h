// real_pick.h: the real-mode pick and push of a worker's run queue: the LIFO
// next slot, the local ring, and the periodic look at timers and the
// injection queue. Internal, included through switch.h: all of it is forced
// inline into the switch (see switch.h). Stealing is the idle loop's
// (idle.cpp). In deterministic mode the pick is the picker's
// (deterministic_picker.cpp), and push only gathers for it.
#pragma once

#include "runtime_core.h"
#include "worker.h"

namespace tmpmc::runtime::detail {

[[gnu::always_inline]] inline Fiber* Worker::take_next_slot() noexcept {
  Fiber* fiber = next_slot_.load(std::memory_order_relaxed);
  if (fiber == nullptr) return nullptr;
  if (!shared_queues_) {
    next_slot_.store(nullptr, std::memory_order_relaxed);
    return fiber;
  }
  // acquire: pairs with the release half of the exchange that stored it.
  return next_slot_.exchange(nullptr, std::memory_order_acquire);
}

[[gnu::always_inline]] inline Fiber* Worker::take_posted() noexcept {
  if (posted_ == nullptr) {
    // relaxed: a look that is mostly "empty" and reads a line only posters
    // write; what a fiber posted is acquired by the exchange below.
    if (inbox_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    // acquire: pairs with the posters' release CAS (their links and the
    // fibers' state). The stack holds newest first: reverse it.
    Fiber* newest = inbox_.exchange(nullptr, std::memory_order_acquire);
    while (newest != nullptr) {
      Fiber* older = newest->next_runnable_;
      newest->next_runnable_ = posted_;
      posted_ = newest;
      newest = older;
    }
    if (posted_ == nullptr) return nullptr;
  }
  Fiber* fiber = posted_;
  posted_ = fiber->next_runnable_;
  fiber->next_runnable_ = nullptr;
  bump(counters_.cross_worker_wakes);
  return fiber;
}

[[gnu::always_inline]] inline Fiber* Worker::pop_local() noexcept {
  return shared_queues_ ? queue_.pop() : queue_.pop_unshared();
}

[[gnu::always_inline]] inline void Worker::push_back(Fiber* fiber) {
  if (!queue_.push(fiber)) {
    // Ring full: overflow to the shared queue (wakes a worker), which hands
    // a fiber pinned here to our own inbox.
    core_.inject(fiber);
    return;
  }
  if (!shared_queues_) return;
  // Surplus work: if a worker is in deep sleep and none is already looking,
  // wake one to watch for a backlog. A stale read only costs parallelism, never
  // a fiber: we run it ourselves.
  if (core_.surplus_unwatched()) core_.wake_idle_worker(false);
}

// fire_timers_or_watchdog(): fires due timers; true if the watchdog ended
// the run (then the worker must stop picking).
inline bool Worker::fire_timers_or_watchdog() {
  if (!timers_.empty()) timers_.fire_due(Clock::now());
  // The watchdog belongs to worker 0, the block_on caller's thread.
  const std::optional<TimePoint>& watchdog = core_.watchdog_deadline();
  if (index_ == 0 && watchdog && Clock::now() >= *watchdog) {
    core_.declare_stuck(RuntimeCore::Stuck::hang);
    return true;
  }
  return false;
}

// periodic_check(): every 64th pick. Off the common path, so only plain
// inline: defined here so that the compiler can still inline it into the pick.
inline Fiber* Worker::periodic_check() {
  if (fire_timers_or_watchdog()) return &idle_;
  return core_.take_injected();
}

// pick_next() chooses the fiber to run after `previous` (which gave up the
// worker at `at`), starting it if it never ran; &idle_ when there is none
// (or the runtime stops): the idle loop looks further, then sleeps.
[[gnu::always_inline]] inline Fiber* Worker::pick_next(Fiber* previous, const char* at,
                                                       bool previous_runnable) {
  // The deterministic mode's one call: a policy chooses (policies/).
  if (picker_ != nullptr) [[unlikely]]
    return explore_step(previous, at, previous_runnable);
  for (;;) {
    if (core_.stopping(std::memory_order_relaxed)) [[unlikely]]
      return &idle_;
    Fiber* fiber = nullptr;
    ++tick_;
    // Every 64th pick: timers, the injection queue and the watchdog, so that
    // a busy worker neither starves outside work nor misses deadlines.
    if ((tick_ & 63) == 0) fiber = periodic_check();
    // Every 8th pick the oldest queued fiber (or, every 16th, the oldest
    // posted one) goes before the LIFO slot: two fibers that keep waking
    // each other would otherwise run alone forever, and a queue head that
    // does not move looks like a stalled worker to the stealers
    // (steal_from_stalled), which would split fibers that talk.
    if (fiber == nullptr && (tick_ & 7) == 0) fiber = (tick_ & 8) ? take_posted() : pop_local();
    if (fiber == nullptr) fiber = take_next_slot();
    // Fibers pinned here and woken by another worker: wakes, like the slot's.
    if (fiber == nullptr) fiber = take_posted();
    if (fiber == nullptr) fiber = pop_local();
    if (fiber == nullptr) return &idle_;  // the idle loop looks further, then sleeps
    if (fiber->started_ || start(fiber)) return fiber;
  }
}

}  // namespace tmpmc::runtime::detail
