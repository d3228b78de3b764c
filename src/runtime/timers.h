// timers.h: a worker's timers (sleep_for, and the deadlines of timed waits).
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "tmpmc/runtime/clock.h"
#include "tmpmc/runtime/park.h"

namespace tmpmc::runtime::detail {

class TimerHeap;

// Timer: lives on the sleeping fiber's stack. When its deadline passes the
// owning worker unparks `token`; the fiber cancels it (removes it) after it
// resumes, whichever way it was woken, before the Timer goes out of scope.
struct Timer {
  TimePoint deadline;
  ParkToken token;
  std::size_t index = kNotQueued;
  TimerHeap* heap = nullptr;
  static constexpr std::size_t kNotQueued = static_cast<std::size_t>(-1);
};

// TimerHeap: a binary min-heap of Timer pointers. Locked, since a fiber that
// armed a timer on one worker may resume, and cancel it, on another.
class TimerHeap {
 public:
  void add(Timer& timer);
  // cancel() removes the timer if it has not fired yet.
  void cancel(Timer& timer) noexcept;
  // fire_due(now) unparks every timer due at `now`; returns how many fired.
  std::size_t fire_due(TimePoint now) noexcept;
  std::optional<TimePoint> next_deadline() const noexcept;
  bool empty() const noexcept { return size_.load(std::memory_order_relaxed) == 0; }

 private:
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void swap_at(std::size_t a, std::size_t b) noexcept;
  void remove_at(std::size_t i) noexcept;

  mutable std::mutex mu_;
  std::vector<Timer*> heap_;
  std::atomic<std::size_t> size_{0};  // read without the lock as a hint
};

}  // namespace tmpmc::runtime::detail
