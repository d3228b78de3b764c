// timers.cpp: a worker's timer heap: adding, cancelling, firing what is due.
#include "timers.h"

#include <utility>

namespace tmpmc::runtime::detail {

void TimerHeap::add(Timer& timer) {
  std::lock_guard lock(mu_);
  timer.heap = this;
  timer.index = heap_.size();
  heap_.push_back(&timer);
  sift_up(timer.index);
  size_.store(heap_.size(), std::memory_order_relaxed);
}

void TimerHeap::cancel(Timer& timer) noexcept {
  std::lock_guard lock(mu_);
  if (timer.index != Timer::kNotQueued) remove_at(timer.index);
  size_.store(heap_.size(), std::memory_order_relaxed);
}

std::size_t TimerHeap::fire_due(TimePoint now) noexcept {
  std::size_t fired = 0;
  std::lock_guard lock(mu_);
  while (!heap_.empty() && heap_.front()->deadline <= now) {
    const ParkToken token = heap_.front()->token;
    remove_at(0);
    // Unparking under the lock is safe: it only makes the fiber runnable. The
    // fiber's cancel() waits for this lock, so the Timer outlives our use of it.
    unpark(token, /*run_next=*/false);  // FIFO: timers due together wake in deadline order
    ++fired;
  }
  size_.store(heap_.size(), std::memory_order_relaxed);
  return fired;
}

std::optional<TimePoint> TimerHeap::next_deadline() const noexcept {
  std::lock_guard lock(mu_);
  if (heap_.empty()) return std::nullopt;
  return heap_.front()->deadline;
}

void TimerHeap::swap_at(std::size_t a, std::size_t b) noexcept {
  std::swap(heap_[a], heap_[b]);
  heap_[a]->index = a;
  heap_[b]->index = b;
}

void TimerHeap::sift_up(std::size_t i) noexcept {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!(heap_[i]->deadline < heap_[parent]->deadline)) break;
    swap_at(i, parent);
    i = parent;
  }
}

void TimerHeap::sift_down(std::size_t i) noexcept {
  for (;;) {
    const std::size_t left = 2 * i + 1;
    const std::size_t right = left + 1;
    std::size_t least = i;
    if (left < heap_.size() && heap_[left]->deadline < heap_[least]->deadline) least = left;
    if (right < heap_.size() && heap_[right]->deadline < heap_[least]->deadline) least = right;
    if (least == i) return;
    swap_at(i, least);
    i = least;
  }
}

void TimerHeap::remove_at(std::size_t i) noexcept {
  Timer* removed = heap_[i];
  const std::size_t last = heap_.size() - 1;
  if (i != last) swap_at(i, last);
  heap_.pop_back();
  removed->index = Timer::kNotQueued;
  if (i < heap_.size()) {
    sift_down(i);
    sift_up(i);
  }
}

}  // namespace tmpmc::runtime::detail
