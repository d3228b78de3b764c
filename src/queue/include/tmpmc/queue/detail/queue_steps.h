// detail/queue_steps.h: the steps of the queue's blocking protocol
// (queue_core.h) that a bug could hide in, each a function of its own, with
// the fields they work on: QueueCore derives from QueueSteps and calls each
// step through self(), so that a class derived from QueueCore
// (tests/mutants.h) may replace one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "tmpmc/queue/detail/ring.h"
#include "tmpmc/queue/status.h"
#include "tmpmc/runtime/park.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::detail {

// to_status(): what a ring operation's result means to the caller of a
// send or receive primitive.
constexpr QueueStatus to_status(PushResult pushed) noexcept {
  switch (pushed) {
    case PushResult::ok:
      return QueueStatus::ok;
    case PushResult::full:
      return QueueStatus::full;
    case PushResult::closed:
      return QueueStatus::closed;
  }
  return QueueStatus::closed;
}
constexpr QueueStatus to_status(PopResult popped) noexcept {
  switch (popped) {
    case PopResult::ok:
      return QueueStatus::ok;
    case PopResult::empty:
      return QueueStatus::empty;
    case PopResult::closed:
      return QueueStatus::closed;
  }
  return QueueStatus::closed;
}

template <class T, class Derived, class RingType>
class QueueCore;

// QueueSteps<T, Derived, RingType>: the fields of a QueueCore and its
// replaceable steps. Derived: as QueueCore's (void, or the class derived
// from QueueCore whose steps self() calls).
template <class T, class Derived, class RingType>
class QueueSteps {
 protected:
  QueueSteps(std::size_t capacity, std::string name)
      : ring_(capacity),
        name_(name.empty() ? "queue" : std::move(name)),
        senders_("send on queue \"" + name_ + "\" (full)"),
        receivers_("receive on queue \"" + name_ + "\" (empty)") {}

  using Self =
      std::conditional_t<std::is_void_v<Derived>, QueueCore<T, Derived, RingType>, Derived>;
  [[gnu::always_inline]] Self& self() noexcept { return static_cast<Self&>(*this); }

  // hand_to_receiver(): the send path for a parked receiver. Under the
  // receivers' lock, the value goes into the oldest receiver's hands only if
  // the ring is empty (anything in it was sent first and is owed first: FIFO)
  // and open (a send after close fails); otherwise the caller pushes.
  bool hand_to_receiver(T& value) {
    if constexpr (!std::is_nothrow_move_constructible_v<T>) {
      return false;  // give() runs under a spin lock: it must not throw
    } else {
      return receivers_.hand_to_first([&](void* slot) noexcept {
        if (ring_.has_item_or_closed()) return false;
        static_cast<std::optional<T>*>(slot)->emplace(std::move(value));
        return true;
      });
    }
  }

  // ---------------------------------------------------------------- the steps
  // Each called through self(), so that a Derived may replace it.

  // publish(): hands the value to a parked receiver, or pushes it and wakes
  // one. ok, full, or closed. took_wake: the caller is a sender that a pop woke.
  [[gnu::always_inline]] QueueStatus publish(T& value, bool took_wake) {
    return publish_as<true>(value, took_wake);
  }

  // publish_as<Explore>(): publish(), explored (the ring's dispatching push,
  // the steps through self()) or plain (the bare ring, this class's steps).
  template <bool Explore>
  [[gnu::always_inline]] QueueStatus publish_as(T& value, bool took_wake) {
    // A parked receiver means the ring was empty a moment ago: give it the
    // value directly (no push, no pop; for a ping-pong, half the atomics).
    if (receivers_.maybe_waiters()) [[unlikely]] {
      if (hand_to_receiver(value)) {
        if (took_wake) self().pass_on_room_wake();
        return QueueStatus::ok;
      }
    }
    const PushResult pushed = Explore ? ring_.try_push(value) : ring_.try_push_unexplored(value);
    if (pushed == PushResult::ok) {
      if constexpr (Explore) {
        self().after_push();
      } else {
        after_push();
      }
    }
    return to_status(pushed);
  }

  // publish_many(): publish() for values[0, n): hands values[0] to a parked
  // receiver, or pushes the run of values that fits with one claim and wakes
  // one receiver per value. Adds what went in to `sent`: ok (some went in),
  // full (none: no room), or closed (none).
  QueueStatus publish_many(T* values, std::size_t n, std::size_t& sent, bool took_wake) {
    if (receivers_.maybe_waiters()) [[unlikely]] {
      if (hand_to_receiver(values[0])) {
        ++sent;
        if (took_wake) self().pass_on_room_wake();
        return QueueStatus::ok;
      }
    }
    std::size_t pushed = 0;
    const PushResult result = ring_.try_push_many(values, n, pushed);
    if (result == PushResult::ok) {
      sent += pushed;
      self().after_pushes(pushed);
    }
    return to_status(result);
  }

  // after_pushes(n): after_push() for each of n values pushed with one claim:
  // wakes up to n receivers, stopping at the first wake that finds nobody.
  void after_pushes(std::size_t n) {
    // WAKE up to n receivers (seq_cst probe: see above).
    if (!receivers_.maybe_waiters()) return;
    for (std::size_t k = 0; k < n && receivers_.wake_one(); ++k) {
    }
  }

  // after_pops(n): after_pop() for each of n values popped with one claim.
  void after_pops(std::size_t n) {
    // WAKE up to n senders.
    if (!senders_.maybe_waiters()) return;
    for (std::size_t k = 0; k < n && senders_.wake_one(); ++k) {
    }
  }

  // pass_on_room_wake(): a sender woken by a pop was woken for the room that
  // pop made: it must use that room or pass the wake on. Having handed its
  // value to a receiver instead, it leaves the room free while other senders
  // may sleep on a full queue; were it to stop sending, they would be
  // stranded.
  void pass_on_room_wake() {
    // WAKE the next sender for the room we did not use.
    if (senders_.maybe_waiters()) senders_.wake_one();
  }

  // after_push(): the push's wake.
  [[gnu::always_inline]] void after_push() {
    // WAKE one receiver, if one may be parked (seq_cst probe: see above).
    if (receivers_.maybe_waiters()) receivers_.wake_one();
  }

  // after_pop(): every pop wakes a sender, not only the one that leaves a
  // full ring (see Invariants).
  [[gnu::always_inline]] void after_pop() {
    // WAKE one sender, if one may be parked.
    if (senders_.maybe_waiters()) senders_.wake_one();
  }

  // wait_for_item(): the receiver's park, re-checking under the receivers' lock.
  runtime::WaitStatus wait_for_item(std::optional<T>& out, const runtime::TimePoint* deadline) {
    // PARK until a push, a hand-off into `out` (untimed waits only), close,
    // or the deadline.
    return receivers_.wait_unless([this] { return ring_.has_item_or_closed(); }, deadline,
                                  deadline == nullptr ? &out : nullptr);
  }

  // receive_timed_out(): a timed receive gives up, having consumed nothing.
  QueueStatus receive_timed_out(bool took_wake) {
    if (took_wake) receivers_.wake_one();  // pass on a wake we did not use
    return QueueStatus::timeout;
  }

  RingType ring_;
  std::string name_;
  runtime::WaitList senders_;
  runtime::WaitList receivers_;
};

}  // namespace tmpmc::detail
