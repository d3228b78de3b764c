// detail/value_api.h: the value-taking, value-returning operations of every
// queue handle, written once: SendApi (send, try_send, send_until, send_for)
// and ReceiveApi (receive, try_receive, receive_until, receive_for), over the
// in-place primitives of the queue behind the handle,
//
//   QueueStatus try_send_from(T& value);                               // ok, full, closed
//   QueueStatus send_from(T& value, const TimePoint* deadline);        // ok, closed, timeout
//   QueueStatus try_receive_into(std::optional<T>& out);               // ok, empty, closed
//   QueueStatus receive_into(std::optional<T>& out, const TimePoint* deadline);
//                                                                      // ok, closed, timeout
//   static TimePoint now();                                            // the deadlines' clock
//
// which leave the value in `value` unless they return ok, and wait without
// limit for a null deadline; and, where the queue has batches (Queue<T> and
// the channel do, the peers do not), the batch operations over
//
//   QueueStatus try_send_many_from(T* values, size_t n, size_t& sent);
//   QueueStatus send_many_from(T* values, size_t n, size_t& sent, const TimePoint* deadline);
//   QueueStatus try_receive_many_into(T* out, size_t max, size_t& got);
//   QueueStatus receive_many_into(T* out, size_t max, size_t& got, const TimePoint* deadline);
//
// (send_many, try_send_many, send_many_until/_for; receive_many,
// try_receive_many, receive_many_until/_for). A handle derives from SendApi<Handle, T>,
// ReceiveApi<Handle, T> or both (CRTP) and hands them its queue from a
// primitives() member, private with the two as friends: Queue<T>, Sender<T>,
// Receiver<T>, the peers, and the stress tests' broken queues. A primitive
// that a queue lacks (the peers have no try_send_from) leaves only the
// operation built on it unusable.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <span>
#include <utility>

#include "tmpmc/queue/status.h"

namespace tmpmc::detail {

template <class Handle, class T>
class SendApi {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  // send(v) may park while the queue is full. Fails only once it is closed,
  // with the value handed back. Always inlined: the hot path (queue_core.h).
  [[gnu::always_inline]] std::expected<void, Rejected<T>> send(T value) {
    if (queue().send_from(value, nullptr) == QueueStatus::ok) [[likely]]
      return {};
    return std::unexpected(Rejected<T>{QueueError::Closed, std::move(value)});
  }
  // try_send(v) never parks: ok, or full | closed with the value handed back.
  // Only where the queue has the primitive (a caller can ask with requires).
  SendOutcome<T> try_send(T value) requires requires(Handle& h, T& v) {
    h.primitives().try_send_from(v);
  }
  { return outcome(queue().try_send_from(value), value); }
  // send_until(v, deadline): ok, or closed | timeout with the value handed
  // back, never also delivered.
  SendOutcome<T> send_until(T value, TimePoint deadline) {
    return outcome(queue().send_from(value, &deadline), value);
  }
  SendOutcome<T> send_for(T value, Duration timeout) {
    return send_until(std::move(value), queue().now() + timeout);
  }

  // send_many(values) moves values in, in order, parking while the queue is
  // full; returns how many went in: values.size(), unless the queue closed
  // first; then values[count, size) are untouched (handed back).
  // A batch of one is a send: the same contract, on the inlined single path
  // (the batch loop costs a lone value 0.79x: BM_SpscBatch/tmpmc/batch:1).
  std::size_t send_many(std::span<T> values) requires requires(Handle& h, T* v, std::size_t n) {
    h.primitives().send_many_from(v, n, n, nullptr);
  }
  {
    if (values.size() == 1) return queue().send_from(values[0], nullptr) == QueueStatus::ok ? 1 : 0;
    std::size_t sent = 0;
    if (!values.empty()) queue().send_many_from(values.data(), values.size(), sent, nullptr);
    return sent;
  }
  // try_send_many(values) never parks: moves in what fits now.
  BatchOutcome try_send_many(std::span<T> values) requires
      requires(Handle& h, T* v, std::size_t n) {
    h.primitives().try_send_many_from(v, n, n);
  }
  {
    std::size_t sent = 0;
    if (values.empty()) return {QueueStatus::ok, 0};
    const QueueStatus status = queue().try_send_many_from(values.data(), values.size(), sent);
    return {status, sent};
  }
  // send_many_until(values, deadline): parks while full until the deadline;
  // what did not go in stays in values[count, size).
  BatchOutcome send_many_until(std::span<T> values, TimePoint deadline) requires
      requires(Handle& h, T* v, std::size_t n) {
    h.primitives().send_many_from(v, n, n, nullptr);
  }
  {
    std::size_t sent = 0;
    if (values.empty()) return {QueueStatus::ok, 0};
    const QueueStatus status =
        queue().send_many_from(values.data(), values.size(), sent, &deadline);
    return {status, sent};
  }
  BatchOutcome send_many_for(std::span<T> values, Duration timeout) requires
      requires(Handle& h, T* v, std::size_t n) {
    h.primitives().send_many_from(v, n, n, nullptr);
  }
  { return send_many_until(values, queue().now() + timeout); }

 private:
  [[gnu::always_inline]] decltype(auto) queue() { return static_cast<Handle&>(*this).primitives(); }
  static SendOutcome<T> outcome(QueueStatus status, T& value) {
    if (status == QueueStatus::ok) return {status, std::nullopt};
    return {status, std::optional<T>(std::move(value))};
  }

 private:
  // Only Handle derives from it (CRTP): a SendApi<A, T> under a class B does not compile.
  SendApi() = default;
  friend Handle;
};

template <class Handle, class T>
class ReceiveApi {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  // receive() may park while the queue is empty. nullopt: closed and drained.
  // Always inlined: the hot path (queue_core.h).
  [[gnu::always_inline]] std::optional<T> receive() {
    std::optional<T> out;
    queue().receive_into(out, nullptr);
    return out;
  }
  // try_receive() never parks: ok with a value, or empty | closed.
  ReceiveOutcome<T> try_receive() {
    std::optional<T> out;
    const QueueStatus status = queue().try_receive_into(out);
    return {status, std::move(out)};
  }
  // receive_until(deadline): ok with a value, or closed | timeout (a
  // timed-out receive consumes nothing).
  ReceiveOutcome<T> receive_until(TimePoint deadline) {
    std::optional<T> out;
    const QueueStatus status = queue().receive_into(out, &deadline);
    return {status, std::move(out)};
  }
  ReceiveOutcome<T> receive_for(Duration timeout) { return receive_until(queue().now() + timeout); }

  // receive_many(out) parks while the queue is empty, then move-assigns up
  // to out.size() values (those there, taken at once) to out[0, count), in
  // order; returns count, 0 only once the queue is closed and drained (or
  // for an empty `out`, at once).
  // A buffer of one is a receive, as send_many's batch of one is a send.
  std::size_t receive_many(std::span<T> out) requires requires(Handle& h, T* o, std::size_t n) {
    h.primitives().receive_many_into(o, n, n, nullptr);
  }
  {
    if (out.size() == 1) {
      std::optional<T> one;
      if (queue().receive_into(one, nullptr) != QueueStatus::ok) return 0;
      out[0] = std::move(*one);
      return 1;
    }
    std::size_t got = 0;
    if (!out.empty()) queue().receive_many_into(out.data(), out.size(), got, nullptr);
    return got;
  }
  // try_receive_many(out) never parks: ok with count >= 1, or empty | closed.
  BatchOutcome try_receive_many(std::span<T> out) requires
      requires(Handle& h, T* o, std::size_t n) {
    h.primitives().try_receive_many_into(o, n, n);
  }
  {
    std::size_t got = 0;
    if (out.empty()) return {QueueStatus::ok, 0};
    const QueueStatus status = queue().try_receive_many_into(out.data(), out.size(), got);
    return {status, got};
  }
  // receive_many_until(out, deadline): ok with count >= 1, or closed |
  // timeout with nothing consumed.
  BatchOutcome receive_many_until(std::span<T> out, TimePoint deadline) requires
      requires(Handle& h, T* o, std::size_t n) {
    h.primitives().receive_many_into(o, n, n, nullptr);
  }
  {
    std::size_t got = 0;
    if (out.empty()) return {QueueStatus::ok, 0};
    const QueueStatus status = queue().receive_many_into(out.data(), out.size(), got, &deadline);
    return {status, got};
  }
  BatchOutcome receive_many_for(std::span<T> out, Duration timeout) requires
      requires(Handle& h, T* o, std::size_t n) {
    h.primitives().receive_many_into(o, n, n, nullptr);
  }
  { return receive_many_until(out, queue().now() + timeout); }

 private:
  [[gnu::always_inline]] decltype(auto) queue() { return static_cast<Handle&>(*this).primitives(); }

 private:
  // Only Handle derives from it (CRTP): a ReceiveApi<A, T> under a class B does not compile.
  ReceiveApi() = default;
  friend Handle;
};

}  // namespace tmpmc::detail
