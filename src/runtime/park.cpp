// park.cpp: the park/wake protocol of park.h.
#include "tmpmc/runtime/park.h"

#include <stdexcept>
#include <thread>

#include "runtime_core.h"
#include "timers.h"
#include "tmpmc/runtime/spin.h"
#include "worker.h"

namespace tmpmc::runtime {

using detail::Fiber;
using detail::Worker;

// ---------------------------------------------------------------- park / unpark

ParkToken prepare_park() {
  Worker* worker = Worker::current();
  if (worker == nullptr || worker->current_fiber()->is_idle_context_) {
    throw std::logic_error("tmpmc: a wait that must suspend was called outside a fiber");
  }
  Fiber* self = worker->current_fiber();
  // Only the fiber itself moves its word out of kRunning, so the epoch read
  // here is the one its next park will consume.
  return ParkToken{self, self->park_word_.load(std::memory_order_relaxed) >> 2};
}

void park_and_unlock(ParkToken token, WaitList& locked) {
  // PARK: resumed by the caller's waker, through unpark_exclusive().
  Worker::current()->park_current(token.epoch, &locked, nullptr, /*racing_wakers=*/false);
}

void publish_and_park(ParkToken& slot, WaitList& locked) {
  Worker* worker = Worker::current();
  if (worker == nullptr || worker->current_fiber()->is_idle_context_) {
    locked.unlock();
    throw std::logic_error("tmpmc: '" + locked.label() +
                           "' must suspend, but was called outside a fiber");
  }
  Fiber* self = worker->current_fiber();
  // As in prepare_park(): only the fiber itself moves its word out of kRunning.
  slot = ParkToken{self, self->park_word_.load(std::memory_order_relaxed) >> 2};
  // PARK: resumed by the caller's waker, through unpark_exclusive(slot).
  worker->park_current(slot.epoch, &locked, nullptr, /*racing_wakers=*/false);
}

void unpark_exclusive(ParkToken token) noexcept {
  Fiber* fiber = token.fiber;
  // release: our writes (the condition it waited for) are visible to it. The
  // parker stored kParked before unlocking the list we hold.
  fiber->park_word_.store((token.epoch + 1) << 2 | detail::kRunning, std::memory_order_release);
  Worker* worker = Worker::current();
  if (worker != nullptr && &worker->core() == fiber->runtime_) {
    Worker::bump(worker->counters.wakes);
    worker->make_runnable(fiber, true);  // runs next, on the waker's worker
    return;
  }
  fiber->runtime_->external_wakes.fetch_add(1, std::memory_order_relaxed);
  fiber->runtime_->schedule(fiber, true);
}

bool unpark(ParkToken token, bool run_next) noexcept {
  Fiber* fiber = token.fiber;
  std::uint64_t word = fiber->park_word_.load(std::memory_order_acquire);
  for (;;) {
    if ((word >> 2) != token.epoch) return false;  // that park is over: stale wake
    const std::uint64_t state = word & 3;
    if (state == detail::kNotified) return false;  // someone else won
    const std::uint64_t desired =
        state == detail::kParked ? (token.epoch + 1) << 2 | detail::kRunning  // ends the epoch
                                 : token.epoch << 2 | detail::kNotified;      // still switching out
    // acq_rel: acquire the parked fiber's saved context; release our own
    // writes (the condition it waited for) to it.
    if (fiber->park_word_.compare_exchange_weak(word, desired, std::memory_order_acq_rel,
                                                std::memory_order_acquire)) {
      Worker* worker = Worker::current();
      if (worker != nullptr) {
        Worker::bump(worker->counters.wakes);
      } else {
        fiber->runtime_->external_wakes.fetch_add(1, std::memory_order_relaxed);
      }
      // From kParked we own its resumption; from kRunning it re-queues itself.
      if (state == detail::kParked) fiber->runtime_->schedule(fiber, run_next);
      return true;
    }
  }
}

// ---------------------------------------------------------------- WaitList

void WaitList::lock_contended() noexcept {
  unsigned spins = 0;
  std::uint32_t state = state_.load(std::memory_order_relaxed);
  for (;;) {
    if ((state & 1) == 0) {
      // seq_cst: as in lock().
      if (state_.compare_exchange_weak(state, state | 1, std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
        return;
      }
      continue;
    }
    // The holder is a few instructions (or one stack switch) from unlocking.
    spin_pause(spins);
    state = state_.load(std::memory_order_relaxed);
  }
}

void WaitList::link(Waiter& w) noexcept {
  w.prev = tail_;
  w.next = nullptr;
  if (tail_ != nullptr) {
    tail_->next = &w;
  } else {
    head_ = &w;
  }
  tail_ = &w;
  w.linked = true;
  ++count_;
}

void WaitList::unlink(Waiter& w) noexcept {
  if (w.prev != nullptr) {
    w.prev->next = w.next;
  } else {
    head_ = w.next;
  }
  if (w.next != nullptr) {
    w.next->prev = w.prev;
  } else {
    tail_ = w.prev;
  }
  w.prev = w.next = nullptr;
  w.linked = false;
  --count_;
}

WaitStatus WaitList::park_locked(const TimePoint* deadline, void* handoff) {
  Worker* worker = Worker::current();
  if (worker == nullptr || worker->current_fiber()->is_idle_context_) {
    unlock();
    throw std::logic_error("tmpmc: '" + label_ + "' must suspend, but was called outside a fiber");
  }
  Fiber* self = worker->current_fiber();
  Waiter waiter;
  waiter.token = ParkToken{self, self->park_word_.load(std::memory_order_relaxed) >> 2};
  if (deadline == nullptr) {
    waiter.handoff = handoff;
    link(waiter);
    // PARK: resumed only by wake_one/wake_all/hand_to_first, which unlink us
    // first (or by the runtime's shutdown, which throws out of park_current).
    try {
      worker->park_current(waiter.token.epoch, this, nullptr, /*racing_wakers=*/false);
    } catch (...) {
      lock();
      if (waiter.linked) unlink(waiter);
      unlock();
      throw;
    }
    return WaitStatus::woken;
  }
  waiter.timed = true;
  link(waiter);
  detail::Timer timer;
  timer.deadline = *deadline;
  timer.token = waiter.token;
  worker->timers().add(timer);
  // PARK: resumed by wake_one/wake_all (which unlink us first), by the timer,
  // or by the runtime's shutdown (which throws out of park_current).
  try {
    worker->park_current(waiter.token.epoch, this, nullptr, /*racing_wakers=*/true);
  } catch (...) {
    timer.heap->cancel(timer);
    lock();
    if (waiter.linked) unlink(waiter);
    unlock();
    throw;
  }
  timer.heap->cancel(timer);
  // The timer and a waker may both have tried; whoever unlinked us decides.
  lock();
  const bool timed_out = waiter.linked;
  if (timed_out) unlink(waiter);
  unlock();
  return timed_out ? WaitStatus::timeout : WaitStatus::woken;
}

void WaitList::wake(Waiter& waiter) noexcept {
  if (waiter.timed) {
    unpark(waiter.token);  // may lose to the timer: then the fiber sees it was unlinked
  } else {
    unpark_exclusive(waiter.token);
  }
}

bool WaitList::wake_one() noexcept {
  lock();
  Waiter* waiter = head_;
  if (waiter == nullptr) {
    unlock();
    return false;
  }
  unlink(*waiter);
  // WAKE under the lock: until we unlock, a timed waiter that its timer resumed
  // cannot get past its own lock() in park_locked, so its fiber is still alive.
  wake(*waiter);
  unlock();
  return true;
}

std::size_t WaitList::wake_all() noexcept {
  lock();
  std::size_t woken = 0;
  while (Waiter* waiter = head_) {
    unlink(*waiter);
    // WAKE under the lock: a Waiter stays valid while we hold it (its fiber
    // must lock the list to see that it was unlinked).
    wake(*waiter);
    ++woken;
  }
  unlock();
  return woken;
}

}  // namespace tmpmc::runtime
