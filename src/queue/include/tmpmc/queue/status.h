// status.h: what queue operations report.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

namespace tmpmc {

// QueueError: the one error a blocking operation can report (tokio-mpmc's
// QueueError::QueueClosed). A receive never reports it: a closed queue is
// drained first, then answers with an empty result.
enum class QueueError { Closed };

// QueueStatus: the one status of the try and timed variants (Boost.Fiber's
// channel_op_status, with tokio's names).
enum class QueueStatus { ok, empty, full, closed, timeout };

const char* to_string(QueueStatus status) noexcept;
const char* to_string(QueueError error) noexcept;

// Rejected<T>: a send that did not happen, with the value handed back.
template <class T>
struct Rejected {
  QueueError error;
  T value;
};

// SendOutcome<T>: ok, or (full | closed | timeout) with the value handed back.
template <class T>
struct SendOutcome {
  QueueStatus status;
  std::optional<T> value;  // the value, back with its sender unless status == ok
  explicit operator bool() const noexcept { return status == QueueStatus::ok; }
};

// ReceiveOutcome<T>: ok with a value, or empty | closed | timeout.
template <class T>
struct ReceiveOutcome {
  QueueStatus status;
  std::optional<T> value;  // set exactly when status == ok
  explicit operator bool() const noexcept { return status == QueueStatus::ok; }
};

// BatchOutcome: what a try or timed batch did. `count` values went in (a
// send: the first `count` of the caller's range; the rest are untouched,
// handed back) or came out (a receive: the first `count` of its buffer).
//   try_send_many:       ok (all in), full or closed (count may be > 0)
//   send_many_until:     ok (all in), closed or timeout (count may be > 0)
//   try_receive_many:    ok (count >= 1), empty or closed (count == 0)
//   receive_many_until:  ok (count >= 1), closed or timeout (count == 0)
struct BatchOutcome {
  QueueStatus status;
  std::size_t count;
  explicit operator bool() const noexcept { return status == QueueStatus::ok; }
};

inline const char* to_string(QueueStatus status) noexcept {
  switch (status) {
    case QueueStatus::ok:
      return "ok";
    case QueueStatus::empty:
      return "empty";
    case QueueStatus::full:
      return "full";
    case QueueStatus::closed:
      return "closed";
    case QueueStatus::timeout:
      return "timeout";
  }
  return "unknown";
}

inline const char* to_string(QueueError) noexcept { return "closed"; }

}  // namespace tmpmc
