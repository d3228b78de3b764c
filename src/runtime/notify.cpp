// notify.cpp: Notify on the park protocol of park.h.
#include "tmpmc/runtime/notify.h"

#include "tmpmc/runtime/contract.h"

namespace tmpmc::runtime {

void Notify::link(Notified& n) noexcept {
  TMPMC_ASSERT(lock_.locked(), "Notify::link: the Notify's lock is held");
  TMPMC_ASSERT(!n.linked_, "Notify::link: a registration is linked once");
  n.prev_ = tail_;
  n.next_ = nullptr;
  (tail_ != nullptr ? tail_->next_ : head_) = &n;
  tail_ = &n;
  n.linked_ = true;
}

void Notify::unlink(Notified& n) noexcept {
  TMPMC_ASSERT(lock_.locked(), "Notify::unlink: the Notify's lock is held");
  TMPMC_ASSERT(n.linked_, "Notify::unlink: the registration is linked");
  (n.prev_ != nullptr ? n.prev_->next_ : head_) = n.next_;
  (n.next_ != nullptr ? n.next_->prev_ : tail_) = n.prev_;
  n.prev_ = n.next_ = nullptr;
  n.linked_ = false;
}

bool Notify::wake_first_locked() noexcept {
  Notified* first = head_;
  if (first == nullptr) return false;
  unlink(*first);
  first->state_.store(Notified::State::by_one, first->at(sites::kNotifiedStateLocked),
                      std::memory_order_relaxed);
  // WAKE under the lock, so the Notified (on the waiter's stack) is alive.
  if (first->parked_.fiber != nullptr) {
    choice_point_if(lock_.explored(), sites::kNotifyWake, first->parked_.fiber, true);
    unpark_exclusive(std::exchange(first->parked_, ParkToken{}));
  }
  return true;
}

void Notify::notify_one() {
  lock_.lock(sites::kNotifyLock);
  if (!wake_first_locked()) permit_ = true;  // at most one permit is stored
  lock_.unlock();
}

void Notify::notify_waiters() {
  lock_.lock(sites::kNotifyLock);
  // Reaches Notified created before now that are not enabled yet.
  waiters_calls_.fetch_add(1, at(sites::kNotifyCallsBump), std::memory_order_release);
  while (Notified* n = head_) {
    unlink(*n);
    n->state_.store(Notified::State::by_all, n->at(sites::kNotifiedStateLocked),
                    std::memory_order_relaxed);
    if (n->parked_.fiber != nullptr) {
      choice_point_if(lock_.explored(), sites::kNotifyWake, n->parked_.fiber, true);
      unpark_exclusive(std::exchange(n->parked_, ParkToken{}));
    }
  }
  lock_.unlock();
}

Notified Notify::notified() {
  return Notified(*this,
                  waiters_calls_.load(at(sites::kNotifyCallsRead), std::memory_order_acquire));
}

void Notify::wait() { notified().wait(); }

// arm_locked(). Requires: the Notify's lock is held by the caller (enable,
// settle_locked). Ensures: state_ is no longer init: linked and waiting, or
// notified at once (a permit taken, or a notify_waiters() since notified()).
void Notified::arm_locked() noexcept {
  TMPMC_ASSERT(notify_->lock_.locked(), "Notified::arm_locked: the Notify's lock is held");
  const At locked = at(sites::kNotifiedStateLocked);
  if (state_.load(locked, std::memory_order_relaxed) != State::init) return;
  if (notify_->waiters_calls_.load(notify_->at(sites::kNotifyCallsRecheck),
                                   std::memory_order_relaxed) != calls_snapshot_) {
    state_.store(State::by_all, locked,
                 std::memory_order_relaxed);  // a notify_waiters() since notified()
  } else if (notify_->permit_) {
    notify_->permit_ = false;
    state_.store(State::by_one, locked, std::memory_order_relaxed);
  } else {
    notify_->link(*this);
    state_.store(State::waiting, locked, std::memory_order_relaxed);
  }
}

bool Notified::settle_locked() noexcept {
  arm_locked();
  const At locked = at(sites::kNotifiedStateLocked);
  if (state_.load(locked, std::memory_order_relaxed) == State::waiting) return false;
  state_.store(State::done, locked, std::memory_order_relaxed);  // consumed by this wait
  return true;
}

void Notified::enable() {
  notify_->lock_.lock(sites::kNotifyLock);
  arm_locked();
  notify_->lock_.unlock();
}

void Notified::wait() {
  if (state_.load(at(sites::kNotifiedStateRead), std::memory_order_relaxed) == State::done) return;
  notify_->lock_.lock(sites::kNotifyLock);
  if (settle_locked()) {
    notify_->lock_.unlock();
    return;
  }
  // PARK: woken only by notify_one() or notify_waiters(), which unlink us, set
  // state_ and unpark us (through parked_) under the lock. Unlinked, nobody
  // else writes state_, and the unpark happens-before our resumption: no need
  // to lock again.
  publish_and_park(parked_, notify_->lock_);
  state_.store(State::done, at(sites::kNotifiedDone), std::memory_order_relaxed);
}

bool Notified::notified() const {
  const State state = state_.load(at(sites::kNotifiedStateRead), std::memory_order_relaxed);
  return state == State::by_one || state == State::by_all || state == State::done;
}

void Notified::withdraw() noexcept {
  notify_->lock_.lock(sites::kNotifyWithdrawLock);
  if (linked_) notify_->unlink(*this);
  // A notify_one() that reached us but was never waited for is passed on, as
  // tokio does, so that dropping a registration never loses a wake.
  if (state_.load(at(sites::kNotifiedStateLocked), std::memory_order_relaxed) == State::by_one &&
      !notify_->wake_first_locked()) {
    notify_->permit_ = true;
  }
  notify_->lock_.unlock();
}

}  // namespace tmpmc::runtime
