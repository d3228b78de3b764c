// detail/value_api.h: the value-taking, value-returning operations (send,
// send_for, receive, receive_for) of a queue that implements the two
// in-place primitives
//
//   QueueStatus send_until(T& value, const TimePoint* deadline);    // ok, closed, timeout
//   QueueStatus receive_until(std::optional<T>& out, const TimePoint* deadline);
//   static TimePoint now();
//
// written once for the peer queues (CRTP: ValueApi<MutexQueue<T>, T>).
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <utility>

#include "tmpmc/queue/status.h"

namespace tmpmc::detail {

template <class Derived, class T>
class ValueApi {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  std::expected<void, Rejected<T>> send(T value) {
    if (self().send_until(value, nullptr) == QueueStatus::ok) return {};
    return std::unexpected(Rejected<T>{QueueError::Closed, std::move(value)});
  }
  SendOutcome<T> send_for(T value, Duration timeout) {
    const TimePoint deadline = Derived::now() + timeout;
    const QueueStatus status = self().send_until(value, &deadline);
    if (status == QueueStatus::ok) return {status, std::nullopt};
    return {status, std::optional<T>(std::move(value))};  // handed back, never also delivered
  }
  std::optional<T> receive() {
    std::optional<T> out;
    self().receive_until(out, nullptr);
    return out;
  }
  ReceiveOutcome<T> receive_for(Duration timeout) {
    const TimePoint deadline = Derived::now() + timeout;
    std::optional<T> out;
    const QueueStatus status = self().receive_until(out, &deadline);
    return {status, std::move(out)};
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace tmpmc::detail
