// boost_fiber_queue.h: BoostFiberQueue<T>, boost::fibers::buffered_channel<T>
// behind the interface the driver's loops use.
//
// buffered_channel needs a power-of-two capacity >= 2 and keeps one slot
// free. A requested capacity c becomes bit_ceil(c + 1) slots, the smallest
// that hold at least c values (exactly c when c + 1 is a power of two, as for
// c = 1; up to 2c - 1 otherwise, which can only favour Boost.Fiber in a
// comparison). boost_fiber_slots() says what a run really used.
#pragma once

#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/channel_op_status.hpp>
#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <utility>

#include "backends/backends.h"
#include "tmpmc/queue/status.h"

namespace tmpmc::scenarios::backends {

template <class T>
class BoostFiberQueue {
  using Status = boost::fibers::channel_op_status;

 public:
  using Clock = std::chrono::steady_clock;

  explicit BoostFiberQueue(std::size_t capacity, const std::string& = {})
      : channel_(boost_fiber_slots(capacity)) {}

  std::expected<void, Rejected<T>> send(T value) {
    // push() takes the value by reference and moves from it only on success.
    if (channel_.push(std::move(value)) == Status::success) return {};
    // NOLINTNEXTLINE(bugprone-use-after-move): not moved from, push() failed
    return std::unexpected(Rejected<T>{QueueError::Closed, std::move(value)});
  }
  SendOutcome<T> send_for(T value, Clock::duration timeout) {
    const Status status = channel_.push_wait_for(std::move(value), timeout);
    if (status == Status::success) return {QueueStatus::ok, std::nullopt};
    // NOLINTNEXTLINE(bugprone-use-after-move): not moved from, the push failed
    return {to_status(status), std::optional<T>(std::move(value))};
  }
  std::optional<T> receive() {
    T value;
    if (channel_.pop(value) == Status::success) return value;
    return std::nullopt;  // closed and drained
  }
  ReceiveOutcome<T> receive_for(Clock::duration timeout) {
    T value;
    const Status status = channel_.pop_wait_for(value, timeout);
    if (status == Status::success) return {QueueStatus::ok, std::move(value)};
    return {to_status(status), std::nullopt};
  }
  ReceiveOutcome<T> try_receive() {
    T value;
    const Status status = channel_.try_pop(value);
    if (status == Status::success) return {QueueStatus::ok, std::move(value)};
    return {to_status(status), std::nullopt};
  }
  bool close() {
    const bool was_open = !channel_.is_closed();
    channel_.close();
    return was_open;
  }

 private:
  static QueueStatus to_status(Status status) {
    switch (status) {
      case Status::success:
        return QueueStatus::ok;
      case Status::empty:
        return QueueStatus::empty;
      case Status::full:
        return QueueStatus::full;
      case Status::closed:
        return QueueStatus::closed;
      case Status::timeout:
        return QueueStatus::timeout;
    }
    return QueueStatus::closed;
  }
  boost::fibers::buffered_channel<T> channel_;
};

}  // namespace tmpmc::scenarios::backends
