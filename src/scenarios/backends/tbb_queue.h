// tbb_queue.h: TbbQueue<T>, oneTBB's tbb::concurrent_bounded_queue<T> with a
// close on top, behind the interface the driver's loops use.
//
// concurrent_bounded_queue has no closed state, only abort(), which makes
// every thread then waiting in push() or pop() throw tbb::user_abort. An
// aborted push() marks its ticket's slot empty and pops skip it, but an
// aborted pop() gives its ticket back with a bare `head_counter--`, which
// returns the *newest* ticket, not its own: if, between its wait and its
// abort, pushes filled its ticket and the next, and another pop took the
// next, the decrement hands that taken ticket out a second time and the
// value at the aborted ticket is never popped. The next pop then spins in
// oneTBB forever waiting for its slot's turn (oneTBB 2021.8,
// concurrent_queue.h internal_pop). So this close never aborts a pop:
//
//   closed_             set once by close(); every send and every blocking
//                       receive checks it first. A send that finds it set is
//                       refused.
//   in_flight_          sends between that check and their return. A
//                       receiver that finds the queue empty after close waits
//                       for them: a send that passed the check before close
//                       may still land, and tokio-mpmc would deliver it.
//   receivers_waiting_  receivers inside a blocking pop(). close() releases
//                       them with wake tokens (a disengaged Slot) pushed while
//                       some wait with a ticket beyond the last value
//                       (size() < 0), so each token lands on such a ticket.
//   senders_waiting_    senders inside a blocking push(). Only once no
//                       receiver waits does close() abort(), repeated until
//                       no sender is left: abort() releases only threads
//                       already waiting, and one may be between its closed_
//                       check and its wait.
//   tokens_             wake tokens pushed and not yet popped; len() leaves
//                       them out.
// Each waiter counts itself before it checks closed_, so it either sees the
// flag or is counted when close() looks.
//
// A sender aborted in push() gets its value back (closed), as a sender
// parked on a full tokio-mpmc queue does. A receiver woken by a token, or one
// that finds the queue closed, drains: it waits until no send is in flight,
// then takes what is left (skipping tokens), and reports closed only when
// nothing is.
//
// All the counters and the flag are seq_cst: each protocol above is a
// store-then-load pair across two threads (counter then flag on one side,
// flag then counter on the other), which weaker orders would let both sides
// miss.
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
    Counted in_flight(in_flight_);
    if (closed_.load()) return refused(std::move(value));
    if (queue_.try_push(Slot(value))) return {};
    Counted waiting(senders_waiting_);
    // close() may have looked at senders_waiting_ before we counted.
    if (closed_.load()) return refused(std::move(value));
    try {
      queue_.push(Slot(value));  // a copy: an aborted push leaves `value` as it was
    } catch (const tbb::user_abort&) {
      return refused(std::move(value));
    }
    return {};
  }

  // receive(): the next value, waiting while the queue is empty and open;
  // nullopt once it is closed and drained.
  std::optional<T> receive() {
    if (auto value = pop_value()) return value;
    if (!closed_.load()) {
      Slot slot;
      {
        Counted waiting(receivers_waiting_);
        if (closed_.load()) return drain();
        queue_.pop(slot);  // never aborted; after close a wake token ends it
      }
      if (slot) return slot;  // moved: a local of the return type
      tokens_.fetch_sub(1);
    }
    return drain();
  }

  // try_receive(): never waits; closed only when closed and drained.
  ReceiveOutcome<T> try_receive() {
    if (auto value = pop_value()) return {QueueStatus::ok, std::move(value)};
    if (!closed_.load() || in_flight_.load() != 0) return {QueueStatus::empty, std::nullopt};
    if (auto value = pop_value()) return {QueueStatus::ok, std::move(value)};
    return {QueueStatus::closed, std::nullopt};
  }

  // close(): true for the call that closed it. Returns once every thread
  // that was waiting in push() or pop() has been released.
  bool close() {
    if (closed_.exchange(true)) return false;
    // Receivers first, with tokens: while one waits, abort() would abort its
    // pop (see the top of the file). A counted receiver not yet waiting
    // (size() >= 0) is given no token: it finds a value or, once it waits,
    // makes size() negative.
    while (receivers_waiting_.load() != 0) {
      if (queue_.size() < 0) {
        tokens_.fetch_add(1);
        if (!queue_.try_push(Slot())) tokens_.fetch_sub(1);
      }
      std::this_thread::yield();
    }
    // No receiver waits or will: abort() now reaches only senders.
    while (senders_waiting_.load() != 0) {
      queue_.abort();
      std::this_thread::yield();
    }
    return true;
  }

  // len(): the values in the queue. size() is tickets taken by pushes minus
  // those taken by pops: negative while receivers wait, above capacity while
  // senders wait for room; wake tokens are not values.
  std::size_t len() const {
    const std::ptrdiff_t size = queue_.size() - static_cast<std::ptrdiff_t>(tokens_.load());
    return static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(size, 0, capacity_));
  }
  bool is_closed() const { return closed_.load(); }
  // blocked(): threads inside a blocking push() or pop(), or about to enter
  // one (tests wait for it to order a close after them).
  std::size_t blocked() const { return senders_waiting_.load() + receivers_waiting_.load(); }

 private:
  // Slot: a value, or (disengaged) a wake token from close().
  using Slot = std::optional<T>;

  // Counted: one thread counted in `count` for its scope.
  struct Counted {
    explicit Counted(std::atomic<std::size_t>& count) : count_(count) { count_.fetch_add(1); }
    ~Counted() { count_.fetch_sub(1); }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    std::atomic<std::size_t>& count_;
  };

  static std::expected<void, Rejected<T>> refused(T value) {
    return std::unexpected(Rejected<T>{QueueError::Closed, std::move(value)});
  }

  // pop_value(): the next value without waiting, skipping wake tokens (one
  // meant for a receiver that has since taken a value can be left behind).
  std::optional<T> pop_value() {
    Slot slot;
    while (queue_.try_pop(slot)) {
      if (slot) return slot;  // moved: a local of the return type
      tokens_.fetch_sub(1);
    }
    return std::nullopt;
  }

  // drain(): the queue is closed; what is left in it, once nothing can still
  // arrive.
  std::optional<T> drain() {
    while (in_flight_.load() != 0) std::this_thread::yield();
    return pop_value();
  }

  std::ptrdiff_t capacity_;
  tbb::concurrent_bounded_queue<Slot> queue_;
  std::atomic<bool> closed_{false};
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> senders_waiting_{0};
  std::atomic<std::size_t> receivers_waiting_{0};
  std::atomic<std::size_t> tokens_{0};
};

}  // namespace tmpmc::scenarios::backends
