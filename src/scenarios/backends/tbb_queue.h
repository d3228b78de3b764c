// tbb_queue.h: TbbQueue<T>, oneTBB's tbb::concurrent_bounded_queue<T> with a
// close on top, behind the interface the driver's loops use.
//
// concurrent_bounded_queue has no closed state, only abort(), which makes
// the threads then waiting in push() or pop() throw tbb::user_abort and
// leaves everything else as it was. Close is built from that, so that no
// message is lost where tokio-mpmc's contract would deliver it:
//
//   closed_      set once by close(); every send and every blocking receive
//                checks it first. A send that finds it set is refused.
//   in_flight_   sends between that check and their return. A receiver that
//                finds the queue empty after close waits for them: a send
//                that passed the check before close may still land, and
//                tokio-mpmc would deliver it.
//   blocked_     threads inside a blocking push() or pop(). close() repeats
//                abort() until none is left: abort() releases only threads
//                already waiting, and one may be between its closed_ check
//                and its wait. Each counts itself before it checks closed_,
//                so it either sees the flag or is counted (seq_cst, below).
//
// A sender aborted in push() gets its value back (closed), as a sender
// parked on a full tokio-mpmc queue does. A receiver aborted in pop(), or
// one that finds the queue closed, drains: it waits until no send is in
// flight and no thread is inside push() or pop() (an aborted pop() gives its
// ticket back only as it leaves, and until then try_pop() can miss a value),
// then takes what is left, and reports closed only when nothing is.
//
// All three atomics are seq_cst: each protocol above is a store-then-load
// pair across two threads (counter then flag on one side, flag then counter
// on the other), which weaker orders would let both sides miss.
#pragma once

#include <oneapi/tbb/concurrent_queue.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "tmpmc/queue/status.h"

namespace tmpmc::scenarios::backends {

template <class T>
class TbbQueue {
 public:
  explicit TbbQueue(std::size_t capacity, const std::string& = {})
      : capacity_(static_cast<std::ptrdiff_t>(capacity)) {
    queue_.set_capacity(capacity_);
  }

  // send(): waits (blocking its thread) while the queue is full; the value
  // comes back if the queue is or becomes closed first.
  std::expected<void, Rejected<T>> send(T value) {
    InFlight counted(in_flight_);
    if (closed_.load()) return refused(std::move(value));
    if (queue_.try_push(value)) return {};
    blocked_.fetch_add(1);
    if (closed_.load()) {  // close() may have looked at blocked_ before we counted
      blocked_.fetch_sub(1);
      return refused(std::move(value));
    }
    try {
      queue_.push(value);  // a copy: an aborted push leaves `value` as it was
    } catch (const tbb::user_abort&) {
      blocked_.fetch_sub(1);
      return refused(std::move(value));
    }
    blocked_.fetch_sub(1);
    return {};
  }

  // receive(): the next value, waiting while the queue is empty and open;
  // nullopt once it is closed and drained.
  std::optional<T> receive() {
    T value;
    if (queue_.try_pop(value)) return value;
    if (!closed_.load()) {
      blocked_.fetch_add(1);
      if (!closed_.load()) {
        try {
          queue_.pop(value);
          blocked_.fetch_sub(1);
          return value;
        } catch (const tbb::user_abort&) {
          // close() released us: drain below.
        }
      }
      blocked_.fetch_sub(1);
    }
    return drain();
  }

  // try_receive(): never waits; closed only when closed and drained.
  ReceiveOutcome<T> try_receive() {
    T value;
    if (queue_.try_pop(value)) return {QueueStatus::ok, std::move(value)};
    if (!closed_.load() || in_flight_.load() != 0 || blocked_.load() != 0) {
      return {QueueStatus::empty, std::nullopt};
    }
    if (queue_.try_pop(value)) return {QueueStatus::ok, std::move(value)};
    return {QueueStatus::closed, std::nullopt};
  }

  // close(): true for the call that closed it. Returns once every thread
  // that was waiting in push() or pop() has been released.
  bool close() {
    if (closed_.exchange(true)) return false;
    while (blocked_.load() != 0) {
      queue_.abort();
      std::this_thread::yield();
    }
    return true;
  }

  // len(): the values in the queue. size() is tickets taken by pushes minus
  // those taken by pops: negative while receivers wait, above capacity while
  // senders wait for room.
  std::size_t len() const {
    const std::ptrdiff_t size = queue_.size();
    return static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(size, 0, capacity_));
  }
  bool is_closed() const { return closed_.load(); }
  // blocked(): threads inside a blocking push() or pop(), or about to enter
  // one (tests wait for it to order a close after them).
  std::size_t blocked() const { return blocked_.load(); }

 private:
  // InFlight: counts one send in in_flight_ for its whole call.
  struct InFlight {
    explicit InFlight(std::atomic<std::size_t>& count) : count_(count) { count_.fetch_add(1); }
    ~InFlight() { count_.fetch_sub(1); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    std::atomic<std::size_t>& count_;
  };

  static std::expected<void, Rejected<T>> refused(T value) {
    return std::unexpected(Rejected<T>{QueueError::Closed, std::move(value)});
  }

  // drain(): the queue is closed; what is left in it, once nothing can still
  // arrive or be hidden by a pop() on its way out.
  std::optional<T> drain() {
    while (in_flight_.load() != 0 || blocked_.load() != 0) std::this_thread::yield();
    T value;
    if (queue_.try_pop(value)) return value;
    return std::nullopt;
  }

  std::ptrdiff_t capacity_;
  tbb::concurrent_bounded_queue<T> queue_;
  std::atomic<bool> closed_{false};
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> blocked_{0};
};

}  // namespace tmpmc::scenarios::backends
