// queue.h: Queue<T>, an async bounded MPMC queue with tokio-mpmc's semantics.
//
// Guarantees
// ----------
// * Bounded: capacity() values at most, exactly as asked (any capacity >= 1).
// * Linearizable and FIFO: values come out in the order their sends took effect.
// * send() suspends the calling fiber (never its worker thread) while the queue
//   is full; receive() while it is empty. Both resume on the operation that
//   changes that, or on close(): no lost wakeups under any interleaving.
// * close() is idempotent and wakes every suspended sender and receiver. After
//   it, sends fail with QueueError::Closed and hand their value back; receives
//   first drain every value sent before close, then return std::nullopt.
//   A send either took effect before close (and will be received) or fails.
// * The try_ variants never suspend; the _for/_until variants suspend until a
//   deadline. A timed-out send hands its value back and never also delivers
//   it; a timed-out receive consumes nothing.
// * T must be nothrow-move-constructible. Values left in the queue when the
//   last handle goes away are destroyed, each exactly once.
//
// Queue<T> is a handle: copies share one queue. Blocking operations must be
// called from a fiber; the try_ variants and close() from anywhere.
#pragma once

#include <cstddef>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "tmpmc/queue/detail/queue_core.h"
#include "tmpmc/queue/status.h"
#include "tmpmc/runtime/clock.h"

namespace tmpmc {

template <class T>
class Queue {
 public:
  // Queue(capacity, name): throws std::invalid_argument for capacity 0. The
  // name appears in hang and deadlock reports.
  explicit Queue(std::size_t capacity, std::string name = "queue")
      : core_(std::make_shared<detail::QueueCore<T>>(capacity, std::move(name))) {}

  // send(v) may park: woken by a receive that makes room, or by close().
  [[gnu::always_inline]] std::expected<void, Rejected<T>> send(T value) {
    return core_->send_value(std::move(value));
  }
  // receive() may park: woken by a send, or by close(). nullopt: closed and drained.
  [[gnu::always_inline]] std::optional<T> receive() { return core_->receive_value(); }

  SendOutcome<T> try_send(T value) { return core_->try_send_value(std::move(value)); }
  ReceiveOutcome<T> try_receive() { return core_->try_receive_value(); }

  SendOutcome<T> send_until(T value, runtime::TimePoint deadline) {
    return core_->send_value_until(std::move(value), deadline);
  }
  SendOutcome<T> send_for(T value, runtime::Duration timeout) {
    return send_until(std::move(value), runtime::now() + timeout);
  }
  ReceiveOutcome<T> receive_until(runtime::TimePoint deadline) {
    return core_->receive_value_until(deadline);
  }
  ReceiveOutcome<T> receive_for(runtime::Duration timeout) {
    return receive_until(runtime::now() + timeout);
  }

  // close(): true for the call that closed the queue.
  bool close() { return core_->close(); }

  std::size_t len() const noexcept { return core_->len(); }
  bool is_empty() const noexcept { return len() == 0; }
  bool is_full() const noexcept { return len() == capacity(); }
  bool is_closed() const noexcept { return core_->is_closed(); }
  std::size_t capacity() const noexcept { return core_->capacity(); }
  const std::string& name() const noexcept { return core_->name(); }

 private:
  std::shared_ptr<detail::QueueCore<T>> core_;
};

}  // namespace tmpmc
