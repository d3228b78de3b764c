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
#include <memory>
#include <string>
#include <utility>

#include "tmpmc/queue/detail/queue_core.h"
#include "tmpmc/queue/detail/value_api.h"
#include "tmpmc/queue/status.h"

namespace tmpmc {

// The operations (written once for every handle, detail/value_api.h):
//   send(v) -> std::expected<void, Rejected<T>>   may park: woken by a receive
//                                                 that makes room, or by close()
//   receive() -> std::optional<T>                 may park: woken by a send, or by
//                                                 close(); nullopt: closed and drained
//   try_send(v) -> SendOutcome<T>                 never parks
//   try_receive() -> ReceiveOutcome<T>
//   send_until(v, deadline), send_for(v, timeout) -> SendOutcome<T>
//   receive_until(deadline), receive_for(timeout) -> ReceiveOutcome<T>
// and their batches (one ring claim moves several values; BatchOutcome in
// status.h says what each returns):
//   send_many(span) -> size_t                     may park while full; how many
//                                                 went in (all, unless closed)
//   receive_many(span) -> size_t                  may park while empty; how many
//                                                 came out (0: closed and drained)
//   try_send_many(span), try_receive_many(span) -> BatchOutcome
//   send_many_until/_for, receive_many_until/_for -> BatchOutcome
template <class T>
class Queue : public detail::SendApi<Queue<T>, T>, public detail::ReceiveApi<Queue<T>, T> {
 public:
  // Queue(capacity, name): throws std::invalid_argument for capacity 0. The
  // name appears in hang and deadlock reports.
  explicit Queue(std::size_t capacity, std::string name = "queue")
      : core_(std::make_shared<detail::QueueCore<T>>(capacity, std::move(name))) {}

  // close(): true for the call that closed the queue.
  bool close() { return core_->close(); }

  std::size_t len() const { return core_->len(); }
  bool is_empty() const { return len() == 0; }
  bool is_full() const { return len() == capacity(); }
  bool is_closed() const { return core_->is_closed(); }
  std::size_t capacity() const noexcept { return core_->capacity(); }
  const std::string& name() const noexcept { return core_->name(); }
  // shared_across_threads(): its ring runs the shared protocol for good,
  // because a second thread used it (or it never confined:
  // detail/confinement.h). A snapshot, for reports: a run on fibers spread
  // over workers shows the upgrade here.
  bool shared_across_threads() const noexcept { return core_->shared_across_threads(); }

 private:
  friend detail::SendApi<Queue, T>;
  friend detail::ReceiveApi<Queue, T>;
  [[gnu::always_inline]] detail::QueueCore<T>& primitives() noexcept { return *core_; }

  std::shared_ptr<detail::QueueCore<T>> core_;
};

}  // namespace tmpmc
