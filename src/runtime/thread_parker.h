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
  bool sleeping() const noexcept { return state_.load(std::memory_order_relaxed) == kSleeping; }
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
