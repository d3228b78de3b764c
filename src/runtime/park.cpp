// park.cpp: the park/wake protocol of park.h.
#include "tmpmc/runtime/park.h"

#include <stdexcept>

#include "runtime_core.h"
#include "tmpmc/runtime/spin.h"
#include "worker.h"

namespace tmpmc::runtime {

using detail::Fiber;
using detail::Worker;

// ---------------------------------------------------------------- park / unpark

ParkToken prepare_park() {
  return Worker::require_fiber("prepare_park").current_fiber()->park_token();
}

void publish_and_park(ParkToken& slot, WaitList& locked) {
  Worker& worker = Worker::require_fiber(locked.label(), &locked);
  slot = worker.current_fiber()->park_token();
  // PARK: resumed by the caller's waker, through unpark_exclusive(slot).
  worker.park_current(slot.epoch, &locked, nullptr, /*racing_wakers=*/false);
}

void unpark_exclusive(ParkToken token) noexcept {
  Fiber* fiber = token.fiber;
  // kParked -> kRunning, epoch ended, by a plain store: the caller unlinked
  // the fiber under the lock it parked under, and its parker stored kParked
  // before unlocking that lock, so nobody else can write the word now.
  // release: our writes (the condition it waited for) are visible to it.
  fiber->park_word_.store(detail::ended_park(token.epoch), std::memory_order_release);
  Worker* worker = Worker::current();
  if (worker != nullptr && &worker->core() == fiber->runtime_) {
    worker->note_wake();
    worker->make_runnable(fiber, true);  // runs next, on the waker's worker
    return;
  }
  fiber->runtime_->note_external_wake();
  fiber->runtime_->schedule(fiber, true);
}

bool unpark(ParkToken token, bool run_next) noexcept {
  Fiber* fiber = token.fiber;
  std::uint64_t word = fiber->park_word_.load(std::memory_order_acquire);
  for (;;) {
    if (detail::park_epoch(word) != token.epoch) return false;  // that park is over: stale wake
    const detail::ParkState state = detail::park_state(word);
    if (state == detail::kNotified) return false;  // someone else won
    // No lock: wakers of one epoch race by CAS, and exactly one wins.
    // kParked -> kRunning, ending the epoch: we own its resumption.
    // kRunning -> kNotified: it is still switching out; its complete_switch
    // sees the CAS there fail and re-queues it instead of parking it.
    const std::uint64_t desired = state == detail::kParked
                                      ? detail::ended_park(token.epoch)
                                      : detail::park_word(token.epoch, detail::kNotified);
    // acq_rel: acquire the parked fiber's saved context; release our own
    // writes (the condition it waited for) to it.
    if (fiber->park_word_.compare_exchange_weak(word, desired, std::memory_order_acq_rel,
                                                std::memory_order_acquire)) {
      Worker* worker = Worker::current();
      if (worker != nullptr) {
        worker->note_wake();
      } else {
        fiber->runtime_->note_external_wake();
      }
      // From kParked we own its resumption; from kRunning it re-queues itself.
      if (state == detail::kParked) fiber->runtime_->schedule(fiber, run_next);
      return true;
    }
  }
}

// ---------------------------------------------------------------- WaitList

void WaitList::lock_contended(PointKind caller) {
  // A caller that must not be unwound (a waiter leaving the list by itself)
  // spins at sites of its own kind.
  const bool leaving = caller == PointKind::inner;
  const ChoicePointSite& spin = leaving ? sites::kLeaveLockSpin : sites::kLockSpin;
  const ChoicePointSite& retry = leaving ? sites::kLeaveLockRetry : sites::kLockRetry;
  unsigned spins = 0;
  std::uint32_t state = state_.unshared().load(std::memory_order_relaxed);
  for (;;) {
    if ((state & 1) == 0) {
      // seq_cst: as in lock().
      if (state_.compare_exchange_weak(state, state | 1, at(retry), std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
        return;
      }
      continue;
    }
    // The holder is a few instructions (or one stack switch) from unlocking.
    // Explored, the spin's point yields to it instead.
    if (!explore_) spin_pause(spins);
    state = state_.spin_load(
        at(spin), [this, state] { return state_.peek() == state; }, std::memory_order_relaxed);
  }
}

bool WaitList::maybe_waiters_explored() const {
  return state_.load(at(sites::kMaybeWaiters), std::memory_order_seq_cst) != 0;
}

void WaitList::link(Waiter& w) noexcept {
  TMPMC_ASSERT(locked(), "WaitList::link: the list's lock is held");
  TMPMC_ASSERT(!w.linked, "WaitList::link: a waiter is linked once");
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
  // (Not asserted: that the lock is held. The stress tests' mutant 11 unlinks
  // without it on purpose, to prove that stress, not an assert, catches it.)
  TMPMC_ASSERT(w.linked && count_ > 0, "WaitList::unlink: the waiter is linked in this list");
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
  TMPMC_ASSERT(locked(), "WaitList::park_locked: entered with the list locked (wait_unless)");
  Worker& worker = Worker::require_fiber(label_, this);
  if (deadline != nullptr) return park_locked_until(worker, *deadline);
  // The untimed wait is the hot one (a send on a full queue, a receive on an
  // empty one): it has its own few lines, with no timer and no re-lock.
  Waiter waiter;
  waiter.token = worker.current_fiber()->park_token();
  waiter.handoff = handoff;
  link(waiter);
  // PARK: resumed only by wake_one/wake_all/hand_to_first, which unlink us
  // first; or unwound by the runtime's shutdown, which throws out of park_current.
  try {
    worker.park_current(waiter.token.epoch, this, nullptr, /*racing_wakers=*/false);
  } catch (...) {
    abandon(waiter);
    throw;
  }
  return WaitStatus::woken;
}

WaitStatus WaitList::park_locked_until(Worker& worker, TimePoint deadline) {
  Waiter waiter;
  waiter.token = worker.current_fiber()->park_token();
  waiter.timed = true;
  link(waiter);
  // PARK: resumed by wake_one/wake_all (which unlink us first), by the timer
  // (then we are still linked), or unwound by the runtime's shutdown.
  try {
    worker.park_until(deadline, waiter.token, this, nullptr);
  } catch (...) {
    abandon(waiter);
    throw;
  }
  // The timer and a waker may both have tried; whoever unlinked us decides.
  lock(sites::kLeaveLock);
  const bool timed_out = waiter.linked;
  if (timed_out) unlink(waiter);
  unlock();
  return timed_out ? WaitStatus::timeout : WaitStatus::woken;
}

void WaitList::abandon(Waiter& waiter) noexcept {
  lock(sites::kLeaveLock);
  if (waiter.linked) unlink(waiter);
  unlock();
}

void WaitList::wake(Waiter& waiter) noexcept {
  // The park word's accesses (unpark's CAS, unpark_exclusive's store) are
  // choice points here, where a waker makes them; the parker's side is the
  // switch, a scheduling step of its own.
  if (waiter.timed) {
    choice_point_if(explore_, sites::kWakeTimed, waiter.token.fiber, true);
    unpark(waiter.token);  // may lose to the timer: then the fiber sees it was unlinked
  } else {
    choice_point_if(explore_, sites::kWakeUntimed, waiter.token.fiber, true);
    unpark_exclusive(waiter.token);
  }
}

bool WaitList::wake_one() noexcept {
  lock(sites::kWakeOneLock);
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
  lock(sites::kWakeAllLock);
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
