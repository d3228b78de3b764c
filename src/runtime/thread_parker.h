// thread_parker.h: how an idle worker thread sleeps, and how it is woken.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "tmpmc/runtime/clock.h"

namespace tmpmc::runtime::detail {

// ThreadParker: a futex word with three states. The worker announces
// `sleeping`, re-checks every source of work, then waits on the futex; a waker
// that finds `sleeping` swaps in `notified` and issues the futex wake. Both the
// announcement and the swap are seq_cst, so either the worker's re-check sees
// the waker's work or the waker sees `sleeping`.
class ThreadParker {
 public:
  enum : std::uint32_t { kAwake = 0, kSleeping = 1, kNotified = 2 };

  // announce_sleep() is step one; the caller re-checks for work afterwards and
  // calls cancel_sleep() or sleep_until().
  void announce_sleep() noexcept { state_.store(kSleeping, std::memory_order_seq_cst); }
  void cancel_sleep() noexcept { state_.store(kAwake, std::memory_order_relaxed); }
  // sleep_until(deadline) blocks until woken or the deadline (nullopt: no deadline).
  void sleep_until(std::optional<TimePoint> deadline) noexcept;
  // wake() returns true if the thread was asleep (or about to be) and is now woken.
  bool wake() noexcept;
  // sleeping(): the waker's filter before wake() (Worker::wake_if_sleeping).
  // It is the load half of the waker's side of the pair, so it is seq_cst,
  // not relaxed: a waker publishes its work with a seq_cst RMW (inject's
  // fetch_add on the injection count) and then calls this; the sleeper
  // stores kSleeping (seq_cst) and then re-reads the count (seq_cst). In the
  // single total order of those four, either the sleeper's store comes
  // before this load (we see kSleeping and wake it), or this load comes
  // before that store, so the waker's RMW does too and the sleeper's re-read
  // sees the work. A relaxed load has no place in that order: C++ would let
  // it read the stale kAwake while the sleeper read the stale count (x86
  // happens to forbid that, after a locked RMW; the model does not). On x86
  // a seq_cst load is the same plain mov. A false answer to a local push's
  // wake (surplus_unwatched) only costs parallelism: its pusher runs the work.
  bool sleeping() const noexcept { return state_.load(std::memory_order_seq_cst) == kSleeping; }
  // watchful: the thread sleeps with a short timeout, to look for a backlog
  // again, so local pushes need not wake it (only outside work does).
  void set_watchful(bool watchful) noexcept {
    watchful_.store(watchful, std::memory_order_relaxed);
  }
  bool watchful() const noexcept { return watchful_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint32_t> state_{kAwake};
  std::atomic<bool> watchful_{false};
};

}  // namespace tmpmc::runtime::detail
