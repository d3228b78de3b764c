// detail/queue_core.h: the queue's blocking protocol, shared by Queue<T> and
// channel<T>. The ring (ring.h) never blocks; this file decides when a fiber
// parks and who wakes it.
//
// Invariants
// ----------
// * A fiber parks on `receivers_` only after re-checking, under that list's
//   lock, that the ring has no item and is not closed; on `senders_` only after
//   re-checking that it is full and not closed.
// * Every push that succeeds wakes one parked receiver if any may be parked;
//   every pop that succeeds wakes one parked sender (level-triggered: not only
//   on the empty->non-empty or full->not-full edges, which is what strands the
//   other producers in tokio-mpmc's channel).
// * A send that finds a receiver parked (without a deadline) while the ring is
//   empty and open hands the value to it directly, under the receivers' lock
//   (hand_to_receiver): the receiver wakes with the value, nothing touches the
//   ring. With anything in the ring, it pushes as usual (FIFO).
// * close() marks the ring, then wakes every parked sender and receiver.
// * The fast path reads one word per wait list (maybe_waiters) and touches no
//   waiter state when nobody waits.
//
// Why no wake is lost: the push's CAS on tail_ and the receiver's lock CAS are
// seq_cst; so are the receiver's re-check loads and the pusher's
// maybe_waiters() load. Either the pusher sees the receiver's lock bit or
// count (and wakes it, after the receiver's continuation is saved: park.h), or
// the receiver's re-check sees the pushed item and does not park. The same
// holds for pops and parked senders, and for close (a fetch_or on tail_).
//
// Where a fiber can park: send() and send_until() on `senders_` (woken by a
// pop, by close, or by its deadline); receive() and receive_until() on
// `receivers_` (woken by a push, by a hand-off, by close, or by its deadline).
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "tmpmc/queue/detail/ring.h"
#include "tmpmc/queue/status.h"
#include "tmpmc/runtime/park.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::detail {

// NoBugs: the queue as it is. The stress tests (tests/mutants.h) derive
// structs that switch one of these on, to prove that `tmpmc-bench stress`
// catches each class of bug; Queue<T> and channel<T> only ever use NoBugs, so
// the broken paths (if constexpr) are not compiled into the tool.
struct NoBugs {
  static constexpr bool notify_before_publish = false;         // wake, then push
  static constexpr bool wake_sender_only_from_full = false;    // tokio-mpmc's channel
  static constexpr bool check_then_wait_unregistered = false;  // the close window
  static constexpr bool push_after_close_on_wake = false;      // accepted after close
  static constexpr bool read_slot_before_claim = false;        // a slot read twice
  static constexpr bool timed_out_receive_consumes = false;    // timeout, value dropped
  static constexpr bool woken_sender_keeps_room_wake = false;  // hand-off strands senders
};

template <class T, class Bugs = NoBugs>
class QueueCore {
 public:
  QueueCore(std::size_t capacity, std::string name)
      : ring_(capacity),
        name_(name.empty() ? "queue" : std::move(name)),
        senders_("send on queue \"" + name_ + "\" (full)"),
        receivers_("receive on queue \"" + name_ + "\" (empty)"),
        explore_(runtime::exploring()) {}

  // ---------------------------------------------------------------- send

  // try_send: never parks. ok moves the value in; full/closed leave it in `value`.
  // HandOff: a parked receiver may take the value directly (see
  // hand_to_receiver); send_until tries that itself, then calls this without.
  template <bool HandOff = true>
  [[gnu::always_inline]] QueueStatus try_send(T& value) {
    if constexpr (Bugs::notify_before_publish) {
      // MUTANT: a send that will find room wakes a receiver first, then pushes.
      if (ring_.has_room_or_closed() && !ring_.closed()) {
        if (receivers_.maybe_waiters()) receivers_.wake_one();
        yield_point("mutant send: woke a receiver, before push");
      }
      const PushResult pushed = ring_.try_push(value);
      return pushed == PushResult::ok     ? QueueStatus::ok
             : pushed == PushResult::full ? QueueStatus::full
                                          : QueueStatus::closed;
    }
    // A parked receiver means the ring was empty a moment ago: give it the
    // value directly (no push, no pop; for a ping-pong, half the atomics).
    if (HandOff && receivers_.maybe_waiters()) [[unlikely]] {
      if (hand_to_receiver(value)) return QueueStatus::ok;
    }
    switch (ring_.try_push(value)) {
      case PushResult::ok:
        after_push();
        return QueueStatus::ok;
      case PushResult::full:
        return QueueStatus::full;
      case PushResult::closed:
        return QueueStatus::closed;
    }
    return QueueStatus::closed;
  }

  // send_until: parks while full. Returns ok, closed, or timeout (only with a
  // deadline); on anything but ok the value stays in `value`, undelivered.
  QueueStatus send_until(T& value, const runtime::TimePoint* deadline) {
    bool took_wake = false;
    for (;;) {
      if (receivers_.maybe_waiters() && hand_to_receiver(value)) {
        // A sender woken by a pop was woken for the room that pop made: it
        // must use that room or pass the wake on. Having handed its value to
        // a receiver instead, it leaves the room free while other senders may
        // sleep on a full queue; were it to stop sending, they would be
        // stranded. WAKE the next sender for the room we did not use.
        if constexpr (!Bugs::woken_sender_keeps_room_wake) {
          if (took_wake && senders_.maybe_waiters()) senders_.wake_one();
        }
        return QueueStatus::ok;
      }
      const QueueStatus status = try_send</*HandOff=*/false>(value);
      if (status != QueueStatus::full) return status;
      if (deadline != nullptr && runtime::now() >= *deadline) {
        // We may have taken a wake meant for another sender: pass it on.
        if (took_wake) senders_.wake_one();
        return QueueStatus::timeout;
      }
      yield_point("send: full, before park");
      // PARK until a pop makes room, close, or the deadline.
      const runtime::WaitStatus waited =
          senders_.wait_unless([this] { return ring_.has_room_or_closed(); }, deadline);
      took_wake = waited == runtime::WaitStatus::woken;
      yield_point("send: woken");
      if constexpr (Bugs::push_after_close_on_wake) {
        // MUTANT: woken from a full queue, push without re-checking closed.
        if (took_wake && ring_.try_push_ignoring_close(value) == PushResult::ok) {
          after_push();
          return QueueStatus::ok;
        }
      }
    }
  }

  // ---------------------------------------------------------------- receive

  // try_receive: never parks. ok, empty, or closed (closed means drained too).
  [[gnu::always_inline]] QueueStatus try_receive(std::optional<T>& out) {
    alignas(T) unsigned char storage[sizeof(T)];
    PopResult popped;
    if constexpr (Bugs::read_slot_before_claim) {
      // MUTANT: copy the head slot, let others run, then claim some slot.
      popped = ring_.try_pop_read_before_claim(
          storage, [this] { yield_point("mutant receive: slot read, before claim"); });
    } else {
      popped = ring_.try_pop(storage);
    }
    switch (popped) {
      case PopResult::ok: {
        T* value = std::launder(reinterpret_cast<T*>(storage));
        out.emplace(std::move(*value));
        value->~T();
        after_pop();
        return QueueStatus::ok;
      }
      case PopResult::empty:
        return QueueStatus::empty;
      case PopResult::closed:
        return QueueStatus::closed;
    }
    return QueueStatus::closed;
  }

  // receive_until: parks while empty. ok, closed (closed and drained), or
  // timeout (only with a deadline; nothing was consumed).
  QueueStatus receive_until(std::optional<T>& out, const runtime::TimePoint* deadline) {
    bool took_wake = false;
    for (;;) {
      const QueueStatus status = try_receive(out);
      if (status != QueueStatus::empty) return status;
      if (deadline != nullptr && runtime::now() >= *deadline) {
        if constexpr (Bugs::timed_out_receive_consumes) {
          // MUTANT: a receive that times out takes (and drops) what arrived.
          yield_point("mutant receive: deadline passed");
          std::optional<T> dropped;
          try_receive(dropped);
        }
        if (took_wake) receivers_.wake_one();  // pass on a wake we did not use
        return QueueStatus::timeout;
      }
      yield_point("receive: empty, before park");
      runtime::WaitStatus waited;
      if constexpr (Bugs::check_then_wait_unregistered) {
        // MUTANT: check, then wait without re-checking under the list's lock.
        if (ring_.has_item_or_closed()) continue;
        yield_point("mutant receive: checked, before wait");
        waited = receivers_.wait_unless([] { return false; }, deadline);
      } else {
        // PARK until a push, a hand-off into `out` (untimed waits only), close,
        // or the deadline.
        waited = receivers_.wait_unless([this] { return ring_.has_item_or_closed(); }, deadline,
                                        deadline == nullptr ? &out : nullptr);
        if (out.has_value()) return QueueStatus::ok;  // a sender handed it over
      }
      took_wake = waited == runtime::WaitStatus::woken;
      yield_point("receive: woken");
    }
  }

  // ---------------------------------------------------------------- as the handles present them
  // Queue<T>, Sender<T> and Receiver<T> forward here: the value-taking,
  // value-returning forms of the operations above.

  // send_value() and receive_value() are the hot path of every caller: always
  // inlined, so that a value built by the caller goes straight into the ring
  // (a by-value copy through the stack, written narrow and read wide, stalls
  // on store forwarding); only a full or empty queue calls out of line.
  [[gnu::always_inline]] std::expected<void, Rejected<T>> send_value(T value) {
    if (try_send(value) == QueueStatus::ok) [[likely]]
      return {};
    if (send_until(value, nullptr) == QueueStatus::ok) return {};
    return std::unexpected(Rejected<T>{QueueError::Closed, std::move(value)});
  }
  SendOutcome<T> try_send_value(T value) { return send_outcome(try_send(value), value); }
  SendOutcome<T> send_value_until(T value, runtime::TimePoint deadline) {
    return send_outcome(send_until(value, &deadline), value);
  }
  [[gnu::always_inline]] std::optional<T> receive_value() {
    std::optional<T> out;
    if (try_receive(out) != QueueStatus::empty) [[likely]]
      return out;
    receive_until(out, nullptr);
    return out;
  }
  ReceiveOutcome<T> try_receive_value() {
    std::optional<T> out;
    const QueueStatus status = try_receive(out);
    return {status, std::move(out)};
  }
  ReceiveOutcome<T> receive_value_until(runtime::TimePoint deadline) {
    std::optional<T> out;
    const QueueStatus status = receive_until(out, &deadline);
    return {status, std::move(out)};
  }

  // ---------------------------------------------------------------- close and state

  // close(): idempotent; true for the call that closed the queue.
  bool close() {
    if (!ring_.close()) return false;
    yield_point("close: marked, before wake");
    // WAKE every parked fiber: receivers drain then see closed; senders get
    // their values back.
    receivers_.wake_all();
    senders_.wake_all();
    return true;
  }

  bool is_closed() const noexcept { return ring_.closed(); }
  std::size_t len() const noexcept { return ring_.len(); }
  std::size_t capacity() const noexcept { return ring_.capacity(); }
  const std::string& name() const noexcept { return name_; }

 private:
  // send_outcome(): a value that was not sent goes back to its sender.
  static SendOutcome<T> send_outcome(QueueStatus status, T& value) {
    if (status == QueueStatus::ok) return {status, std::nullopt};
    return {status, std::optional<T>(std::move(value))};
  }
  // hand_to_receiver(): the send path for a parked receiver. Under the
  // receivers' lock, the value goes into the oldest receiver's hands only if
  // the ring is empty (anything in it was sent first and is owed first: FIFO)
  // and open (a send after close fails); otherwise the caller pushes.
  bool hand_to_receiver(T& value) {
    if constexpr (!std::is_nothrow_move_constructible_v<T>) {
      return false;  // give() runs under a spin lock: it must not throw
    } else {
      yield_point("send: receiver parked, before hand-off");
      return receivers_.hand_to_first([&](void* slot) noexcept {
        if (ring_.has_item_or_closed()) return false;
        static_cast<std::optional<T>*>(slot)->emplace(std::move(value));
        return true;
      });
    }
  }
  [[gnu::always_inline]] void after_push() {
    yield_point("send: pushed, before wake");
    // WAKE one receiver, if one may be parked (seq_cst probe: see above).
    if (receivers_.maybe_waiters()) receivers_.wake_one();
  }
  [[gnu::always_inline]] void after_pop() {
    yield_point("receive: popped, before wake");
    if constexpr (Bugs::wake_sender_only_from_full) {
      // MUTANT: wake a sender only on the full -> not-full edge.
      if (ring_.len() + 1 == ring_.capacity() && senders_.maybe_waiters()) senders_.wake_one();
      return;
    }
    // WAKE one sender, if one may be parked.
    if (senders_.maybe_waiters()) senders_.wake_one();
  }
  // Racy windows are scheduling points in deterministic mode; elsewhere one
  // predictable branch on a flag read at construction (so exploration covers
  // queues created on a deterministic runtime's fibers). May throw only the
  // runtime's shutdown unwinding.
  void yield_point(const char* where) const {
    if (explore_) [[unlikely]]
      runtime::yield_point(where);
  }

  Ring<T> ring_;
  std::string name_;
  runtime::WaitList senders_;
  runtime::WaitList receivers_;
  const bool explore_;
};

}  // namespace tmpmc::detail
