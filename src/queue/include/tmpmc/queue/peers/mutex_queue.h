// peers/mutex_queue.h: MutexQueue<T>, the design a user would write first: a
// ring guarded by one std::mutex, with the runtime's park/wake for the
// blocking operations. The peer that shows what the lock-free ring buys.
//
// Where a fiber can park: send (on senders_, woken by a receive or close) and
// receive (on receivers_, woken by a send or close). No wake is lost: a
// waiter's WaitList lock CAS (seq_cst) precedes its re-check under mutex_; a
// changer updates under mutex_ and then probes maybe_waiters() (seq_cst). If
// the waiter's re-check ran first, the mutex orders its CAS before the probe,
// which then sees it; otherwise the re-check sees the change.
#pragma once

#include <cstddef>
#include <expected>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tmpmc/queue/detail/value_api.h"
#include "tmpmc/queue/status.h"
#include "tmpmc/runtime/park.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::peers {

template <class T>
class MutexQueue : public detail::SendApi<MutexQueue<T>, T>,
                   public detail::ReceiveApi<MutexQueue<T>, T> {
 public:
  explicit MutexQueue(std::size_t capacity, std::string name = "mutex")
      : slots_(checked(capacity)),
        name_(std::move(name)),
        senders_("send on mutex queue \"" + name_ + "\" (full)"),
        receivers_("receive on mutex queue \"" + name_ + "\" (empty)") {}

  bool close() {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return false;
      closed_ = true;
    }
    // WAKE everyone: receivers drain then see closed, senders get their values back.
    receivers_.wake_all();
    senders_.wake_all();
    return true;
  }
  std::size_t len() const {
    std::lock_guard lock(mutex_);
    return size_;
  }
  bool is_closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  std::size_t capacity() const noexcept { return slots_.size(); }

  // send, receive and their try_ (receive only), _until and _for forms come
  // from detail/value_api.h, over the primitives below.

 private:
  friend detail::SendApi<MutexQueue, T>;
  friend detail::ReceiveApi<MutexQueue, T>;
  MutexQueue& primitives() noexcept { return *this; }

  static runtime::TimePoint now() { return runtime::now(); }  // virtual in deterministic mode
  QueueStatus send_from(T& value, const runtime::TimePoint* deadline) {
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (closed_) return QueueStatus::closed;
        if (size_ < slots_.size()) {
          slots_[(head_ + size_) % slots_.size()].emplace(std::move(value));
          ++size_;
          break;
        }
      }
      // PARK until a receive makes room, close, or the deadline.
      const runtime::WaitStatus waited = senders_.wait_unless(
          [this] {
            std::lock_guard lock(mutex_);
            return closed_ || size_ < slots_.size();
          },
          deadline);
      if (waited == runtime::WaitStatus::timeout) return QueueStatus::timeout;
    }
    // WAKE one receiver, if one may be parked.
    if (receivers_.maybe_waiters()) receivers_.wake_one();
    return QueueStatus::ok;
  }
  QueueStatus try_receive_into(std::optional<T>& out) {
    const QueueStatus status = pop(out);
    if (status == QueueStatus::ok) wake_a_sender();
    return status;
  }
  QueueStatus receive_into(std::optional<T>& out, const runtime::TimePoint* deadline) {
    for (;;) {
      const QueueStatus status = pop(out);
      if (status == QueueStatus::ok) {
        wake_a_sender();
        return status;
      }
      if (status == QueueStatus::closed) return status;
      // PARK until a send, close, or the deadline.
      const runtime::WaitStatus waited = receivers_.wait_unless(
          [this] {
            std::lock_guard lock(mutex_);
            return closed_ || size_ > 0;
          },
          deadline);
      if (waited == runtime::WaitStatus::timeout) return QueueStatus::timeout;
    }
  }

  static std::size_t checked(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("MutexQueue: capacity must be at least 1");
    return capacity;
  }
  QueueStatus pop(std::optional<T>& out) {
    std::lock_guard lock(mutex_);
    if (size_ == 0) return closed_ ? QueueStatus::closed : QueueStatus::empty;
    out.emplace(std::move(*slots_[head_]));
    slots_[head_].reset();
    head_ = (head_ + 1) % slots_.size();
    --size_;
    return QueueStatus::ok;
  }
  void wake_a_sender() {
    // WAKE one sender, if one may be parked.
    if (senders_.maybe_waiters()) senders_.wake_one();
  }

  mutable std::mutex mutex_;  // guards slots_, head_, size_, closed_
  std::vector<std::optional<T>> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  bool closed_ = false;
  std::string name_;
  runtime::WaitList senders_;
  runtime::WaitList receivers_;
};

}  // namespace tmpmc::peers
