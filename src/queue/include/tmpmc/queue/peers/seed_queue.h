// peers/seed_queue.h: SeedQueue<T>, the seed design, step by step: a
// lock-free array queue, an item count and two Notify (one for waiting
// producers, one for waiting consumers), with send, receive and close as
// tokio-mpmc 0.2.4's Queue does them.
//
// It is here to be measured and to be caught: its known bugs are kept on
// purpose, and each step sits between yield points so that the deterministic
// mode can schedule into the windows that expose them:
//   * close() lands between a receiver's closed-check and its wait:
//     notify_waiters() stores no permit, so the receiver waits forever;
//   * a producer woken from a full queue pushes without re-checking closed:
//     the value is accepted after close, and nobody receives it;
//   * a receiver that finds the ring empty and the queue closed while another
//     receiver has popped but not yet decremented the count answers with a
//     spurious QueueError::Closed.
// Never use it for anything but comparison; Queue<T> (queue.h) is the real one.
#pragma once

#include <atomic>
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <utility>

#include "tmpmc/queue/detail/ring.h"
#include "tmpmc/queue/status.h"
#include "tmpmc/runtime/notify.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::peers {

template <class T>
class SeedQueue {
 public:
  explicit SeedQueue(std::size_t capacity, std::string name = "seed")
      : ring_(capacity),
        name_(std::move(name)),
        producer_waiters_("seed send on \"" + name_ + "\" (full)"),
        consumer_waiters_("seed receive on \"" + name_ + "\" (empty)"),
        explore_(runtime::exploring()) {}

  // send(v): the seed's send. May park on producer_waiters_.
  std::expected<void, Rejected<T>> send(T value) {
    if (closed_.load(std::memory_order_acquire)) return reject(std::move(value));
    for (;;) {
      if (ring_.try_push(value) == detail::PushResult::ok) {
        yield_point("seed send: pushed, before count++");
        count_.fetch_add(1, std::memory_order_release);
        consumer_waiters_.notify_one();
        return {};
      }
      if (closed_.load(std::memory_order_acquire)) return reject(std::move(value));
      yield_point("seed send: full, not closed, before wait");
      // PARK until a receive's notify_one (or its stored permit), or close's
      // notify_waiters. On waking it loops to the push without re-checking
      // closed: the seed's accepted-after-close bug.
      producer_waiters_.wait();
      yield_point("seed send: woken");
    }
  }

  // receive(): the seed's receive. A value, nullopt (closed and count 0), or
  // QueueError::Closed (closed, ring empty, count not 0: spurious).
  std::expected<std::optional<T>, QueueError> receive() {
    for (;;) {
      if (std::optional<T> value = pop()) {
        yield_point("seed receive: popped, before count--");
        count_.fetch_sub(1, std::memory_order_release);
        producer_waiters_.notify_one();
        return value;
      }
      if (closed_.load(std::memory_order_acquire)) {
        yield_point("seed receive: empty and closed, before count check");
        if (count_.load(std::memory_order_acquire) == 0) return std::optional<T>();
        return std::unexpected(QueueError::Closed);
      }
      yield_point("seed receive: empty, not closed, before wait");
      // PARK until a send's notify_one (or its permit), or close's
      // notify_waiters (which misses a receiver that has not reached wait()).
      consumer_waiters_.wait();
      yield_point("seed receive: woken");
    }
  }

  // close(): the seed's close: set the flag, then wake the waiters present now.
  bool close() {
    const bool was_open = !closed_.exchange(true, std::memory_order_release);
    yield_point("seed close: flag set, before notify_waiters");
    producer_waiters_.notify_waiters();
    consumer_waiters_.notify_waiters();
    return was_open;
  }

  // try_receive(): not in the seed; takes what is left after a run.
  ReceiveOutcome<T> try_receive() {
    std::optional<T> value = pop();
    if (!value) return {closed_.load() ? QueueStatus::closed : QueueStatus::empty, std::nullopt};
    count_.fetch_sub(1, std::memory_order_release);
    return {QueueStatus::ok, std::move(value)};
  }

  std::size_t len() const noexcept { return count_.load(std::memory_order_acquire); }
  bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  std::size_t capacity() const noexcept { return ring_.capacity(); }
  const std::string& name() const noexcept { return name_; }

 private:
  static std::expected<void, Rejected<T>> reject(T value) {
    return std::unexpected(Rejected<T>{QueueError::Closed, std::move(value)});
  }
  std::optional<T> pop() {
    alignas(T) unsigned char storage[sizeof(T)];
    if (ring_.try_pop(storage) != detail::PopResult::ok) return std::nullopt;
    T* value = std::launder(reinterpret_cast<T*>(storage));
    std::optional<T> out(std::move(*value));
    value->~T();
    return out;
  }
  void yield_point(const char* where) const {
    if (explore_) [[unlikely]]
      runtime::yield_point(where);
  }

  detail::Ring<T> ring_;  // never closed itself: the seed keeps its own flag
  std::string name_;
  std::atomic<bool> closed_{false};
  std::atomic<std::size_t> count_{0};
  runtime::Notify producer_waiters_;
  runtime::Notify consumer_waiters_;
  const bool explore_;
};

}  // namespace tmpmc::peers
