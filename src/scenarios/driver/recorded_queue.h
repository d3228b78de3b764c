// recorded_queue.h: a queue that appends every call to a History
// (history.h), for the linearizability check of stress runs. The driver
// runs a backend through HistoryBackend<Backend> only when the run records
// a history (deterministic runs, stress mode): every other run uses the
// backend's own queue type, so recording costs them nothing.
//
// Each method records the invocation, calls the queue, then records the
// response. In deterministic mode one fiber runs at a time, so the order of
// these appends is real-time order. A call whose fiber is unwound (a hung
// run torn down) never records its response: it stays pending, which the
// check treats as "may or may not have taken effect".
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "tmpmc/queue/status.h"
#include "tmpmc/scenarios/history.h"

namespace tmpmc::scenarios {

namespace recorded {

inline OpStatus status_of(QueueStatus status) noexcept {
  switch (status) {
    case QueueStatus::ok:
      return OpStatus::ok;
    case QueueStatus::full:
      return OpStatus::full;
    case QueueStatus::empty:
      return OpStatus::empty;
    case QueueStatus::closed:
      return OpStatus::closed;
    case QueueStatus::timeout:
      return OpStatus::timeout;
  }
  return OpStatus::error;
}

// respond_received(): a receive's answer, as any of the queues gives it: an
// optional (nullopt: closed and drained), an expected of one (the seed
// design; its error is recorded as such), or a ReceiveOutcome.
template <class R>
void respond_received(History& history, std::size_t op, const R& r) {
  if constexpr (requires { r.status; }) {
    history.respond(op, status_of(r.status), r.value ? r.value->id : 0);
  } else if constexpr (requires { r.error(); }) {
    if (!r.has_value()) {
      history.respond(op, OpStatus::error);
    } else {
      history.respond(op, *r ? OpStatus::ok : OpStatus::closed, *r ? (*r)->id : 0);
    }
  } else {
    history.respond(op, r ? OpStatus::ok : OpStatus::closed, r ? r->id : 0);
  }
}

}  // namespace recorded

// RecordedQueue<Q>: Q's interface, each call recorded. Only the calls Q has
// exist (each is a template whose return type asks Q, through Self, so that
// a missing call is no error), so the driver's own checks for them still apply.
template <class Q>
class RecordedQueue {
 public:
  RecordedQueue(std::size_t capacity, const char* name, History* history)
      : queue_(capacity, name), history_(*history) {}

  template <class M, class Self = Q>
  auto send(M m) -> decltype(std::declval<Self&>().send(std::move(m))) {
    const std::size_t op = history_.invoke(OpKind::send, m.id);
    auto result = queue_.send(std::move(m));
    history_.respond(op, result ? OpStatus::ok : OpStatus::closed);
    return result;
  }
  template <class M, class Self = Q>
  auto try_send(M m) -> decltype(std::declval<Self&>().try_send(std::move(m))) {
    const std::size_t op = history_.invoke(OpKind::try_send, m.id);
    auto result = queue_.try_send(std::move(m));
    history_.respond(op, recorded::status_of(result.status));
    return result;
  }
  template <class M, class Duration, class Self = Q>
  auto send_for(M m, Duration timeout)
      -> decltype(std::declval<Self&>().send_for(std::move(m), timeout)) {
    const std::size_t op = history_.invoke(OpKind::send_for, m.id);
    auto result = queue_.send_for(std::move(m), timeout);
    history_.respond(op, recorded::status_of(result.status));
    return result;
  }

  template <class Self = Q>
  auto receive() -> decltype(std::declval<Self&>().receive()) {
    const std::size_t op = history_.invoke(OpKind::receive);
    auto result = queue_.receive();
    recorded::respond_received(history_, op, result);
    return result;
  }
  template <class Self = Q>
  auto try_receive() -> decltype(std::declval<Self&>().try_receive()) {
    const std::size_t op = history_.invoke(OpKind::try_receive);
    auto result = queue_.try_receive();
    recorded::respond_received(history_, op, result);
    return result;
  }
  template <class Duration, class Self = Q>
  auto receive_for(Duration timeout) -> decltype(std::declval<Self&>().receive_for(timeout)) {
    const std::size_t op = history_.invoke(OpKind::receive_for);
    auto result = queue_.receive_for(timeout);
    recorded::respond_received(history_, op, result);
    return result;
  }

  // The batches: one operation per message of the batch, each with the
  // batch's interval. A send's are invoked with the batch, so that a batch
  // left pending (its fiber unwound) leaves each of its messages pending; a
  // message that did not go in is answered with the batch's status (closed,
  // full or timeout: each true of the queue at some point of the interval).
  // A receive's are known only once it returns: the first is invoked with
  // the batch, the others are copies of it. Within a batch the check admits
  // any order; the order of each producer's messages is the message checks'.
  template <class M, class Self = Q>
  auto send_many(std::span<M> values) -> decltype(std::declval<Self&>().send_many(values)) {
    return record_sends(OpKind::send, values,
                        [&] {
                          const std::size_t sent = queue_.send_many(values);
                          return BatchOutcome{
                              sent == values.size() ? QueueStatus::ok : QueueStatus::closed, sent};
                        })
        .count;
  }
  template <class M, class Self = Q>
  auto try_send_many(std::span<M> values) -> decltype(std::declval<Self&>().try_send_many(values)) {
    return record_sends(OpKind::try_send, values, [&] { return queue_.try_send_many(values); });
  }
  template <class M, class Duration, class Self = Q>
  auto send_many_for(std::span<M> values, Duration timeout)
      -> decltype(std::declval<Self&>().send_many_for(values, timeout)) {
    return record_sends(OpKind::send_for, values,
                        [&] { return queue_.send_many_for(values, timeout); });
  }
  template <class M, class Self = Q>
  auto receive_many(std::span<M> out) -> decltype(std::declval<Self&>().receive_many(out)) {
    return record_receives(
               OpKind::receive, out,
               [&] {
                 const std::size_t got = queue_.receive_many(out);
                 return BatchOutcome{got != 0 ? QueueStatus::ok : QueueStatus::closed, got};
               })
        .count;
  }
  template <class M, class Self = Q>
  auto try_receive_many(std::span<M> out) -> decltype(std::declval<Self&>().try_receive_many(out)) {
    return record_receives(OpKind::try_receive, out, [&] { return queue_.try_receive_many(out); });
  }
  template <class M, class Duration, class Self = Q>
  auto receive_many_for(std::span<M> out, Duration timeout)
      -> decltype(std::declval<Self&>().receive_many_for(out, timeout)) {
    return record_receives(OpKind::receive_for, out,
                           [&] { return queue_.receive_many_for(out, timeout); });
  }

  bool close() {
    const std::size_t op = history_.invoke(OpKind::close);
    const bool closed_it = queue_.close();
    history_.respond(op, OpStatus::ok, 0, closed_it ? 1 : 0);
    return closed_it;
  }
  template <class Self = Q>
  auto len() const -> decltype(std::declval<const Self&>().len()) {
    const std::size_t op = history_.invoke(OpKind::len);
    const auto n = queue_.len();
    history_.respond(op, OpStatus::ok, 0, n);
    return n;
  }
  template <class Self = Q>
  auto is_empty() const -> decltype(std::declval<const Self&>().is_empty()) {
    return observe(OpKind::is_empty, [this] { return queue_.is_empty(); });
  }
  template <class Self = Q>
  auto is_full() const -> decltype(std::declval<const Self&>().is_full()) {
    return observe(OpKind::is_full, [this] { return queue_.is_full(); });
  }
  template <class Self = Q>
  auto is_closed() const -> decltype(std::declval<const Self&>().is_closed()) {
    return observe(OpKind::is_closed, [this] { return queue_.is_closed(); });
  }
  std::size_t capacity() const noexcept { return queue_.capacity(); }

 private:
  template <class M, class Call>
  BatchOutcome record_sends(OpKind kind, std::span<M> values, Call call) {
    std::vector<std::size_t> ops;
    ops.reserve(values.size());
    for (const M& m : values) ops.push_back(history_.invoke(kind, m.id));
    const BatchOutcome result = call();
    for (std::size_t k = 0; k < ops.size(); ++k) {
      history_.respond(ops[k],
                       k < result.count ? OpStatus::ok : recorded::status_of(result.status));
    }
    return result;
  }
  template <class M, class Call>
  BatchOutcome record_receives(OpKind kind, std::span<M> out, Call call) {
    if (out.empty()) return call();  // returns at once, touching nothing
    const std::size_t first = history_.invoke(kind);
    const BatchOutcome result = call();
    if (result.count == 0) {
      history_.respond(first, recorded::status_of(result.status));
      return result;
    }
    history_.respond(first, OpStatus::ok, out[0].id);
    for (std::size_t k = 1; k < result.count; ++k) {
      history_.respond(history_.invoke_again(first), OpStatus::ok, out[k].id);
    }
    return result;
  }

  template <class Ask>
  bool observe(OpKind kind, Ask ask) const {
    const std::size_t op = history_.invoke(kind);
    const bool answer = ask();
    history_.respond(op, OpStatus::ok, 0, answer ? 1 : 0);
    return answer;
  }

  Q queue_;
  History& history_;  // the run's (RunState::history), which outlives the queue's users
};

// HistoryBackend<Backend>: the backend with its queue recorded. Its channel
// is not: a scenario that closes by dropping the Senders runs with the last
// producer closing the queue instead (driver_loops.h), as on a backend
// without a channel.
template <class Backend>
struct HistoryBackend {
  template <class T>
  using Queue = RecordedQueue<typename Backend::template Queue<T>>;
  using Executor = typename Backend::Executor;
  static constexpr bool kChannel = false;
};

}  // namespace tmpmc::scenarios
