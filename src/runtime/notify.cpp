// notify.cpp: Notify on the park protocol of park.h.
#include "tmpmc/runtime/notify.h"

namespace tmpmc::runtime {

void Notify::link(Notified& n) noexcept {
  n.prev_ = tail_;
  n.next_ = nullptr;
  (tail_ != nullptr ? tail_->next_ : head_) = &n;
  tail_ = &n;
  n.linked_ = true;
}

void Notify::unlink(Notified& n) noexcept {
  (n.prev_ != nullptr ? n.prev_->next_ : head_) = n.next_;
  (n.next_ != nullptr ? n.next_->prev_ : tail_) = n.prev_;
  n.prev_ = n.next_ = nullptr;
  n.linked_ = false;
}

bool Notify::wake_first_locked() noexcept {
  Notified* first = head_;
  if (first == nullptr) return false;
  unlink(*first);
  first->state_ = Notified::State::by_one;
  // WAKE under the lock, so the Notified (on the waiter's stack) is alive.
  if (first->parked_.fiber != nullptr) unpark(std::exchange(first->parked_, ParkToken{}));
  return true;
}

void Notify::notify_one() noexcept {
  lock_.lock();
  if (!wake_first_locked()) permit_ = true;  // at most one permit is stored
  lock_.unlock();
}

void Notify::notify_waiters() noexcept {
  lock_.lock();
  ++waiters_calls_;  // reaches Notified created before now that are not enabled yet
  while (Notified* n = head_) {
    unlink(*n);
    n->state_ = Notified::State::by_all;
    if (n->parked_.fiber != nullptr) unpark(std::exchange(n->parked_, ParkToken{}));
  }
  lock_.unlock();
}

Notified Notify::notified() noexcept {
  lock_.lock();
  const std::uint64_t calls = waiters_calls_;
  lock_.unlock();
  return Notified(*this, calls);
}

void Notify::wait() { notified().wait(); }

void Notified::arm_locked() noexcept {
  if (state_ != State::init) return;
  if (notify_->waiters_calls_ != calls_snapshot_) {
    state_ = State::by_all;  // a notify_waiters() since notified() reaches us
  } else if (notify_->permit_) {
    notify_->permit_ = false;
    state_ = State::by_one;
  } else {
    notify_->link(*this);
    state_ = State::waiting;
  }
}

bool Notified::settle_locked() noexcept {
  arm_locked();
  if (state_ == State::waiting) return false;
  state_ = State::done;  // consumed by this wait
  return true;
}

void Notified::enable() noexcept {
  notify_->lock_.lock();
  arm_locked();
  notify_->lock_.unlock();
}

void Notified::wait() {
  notify_->lock_.lock();
  while (!settle_locked()) {
    parked_ = prepare_park();
    // PARK: woken by notify_one() or notify_waiters(), which set state_ and
    // clear parked_ under the lock before unparking.
    park_and_unlock(parked_, notify_->lock_);
    notify_->lock_.lock();
  }
  notify_->lock_.unlock();
}

bool Notified::notified() const noexcept {
  notify_->lock_.lock();
  const bool result = state_ == State::by_one || state_ == State::by_all || state_ == State::done;
  notify_->lock_.unlock();
  return result;
}

Notified::~Notified() {
  notify_->lock_.lock();
  if (linked_) notify_->unlink(*this);
  // A notify_one() that reached us but was never waited for is passed on, as
  // tokio does, so that dropping a registration never loses a wake.
  if (state_ == State::by_one && !notify_->wake_first_locked()) notify_->permit_ = true;
  notify_->lock_.unlock();
}

}  // namespace tmpmc::runtime
