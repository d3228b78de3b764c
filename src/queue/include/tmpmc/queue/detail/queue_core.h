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
// Where a fiber can park: send_from() (in send_until) and send_many_from() on
// `senders_` (woken by a pop, by close, or by its deadline); receive_into()
// (in receive_until) and receive_many_into(), at wait_for_item, on
// `receivers_` (woken by a push, by a hand-off, by close, or by its deadline).
//
// Batches keep every invariant above: a batch is a run of pushes (pops) that
// share one ring claim, and wakes one waiter per value it moved.
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "tmpmc/queue/detail/queue_steps.h"
#include "tmpmc/queue/detail/ring.h"
#include "tmpmc/queue/status.h"
#include "tmpmc/runtime/park.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::detail {

// QueueCore<T, Derived, RingType>: the protocol, over a RingType (Ring<T>).
// The steps that a bug could hide in are functions of their own (in
// QueueSteps, queue_steps.h), which the protocol calls through self(). Derived, if not
// void, is a class derived from QueueCore that replaces some of them; RingType
// may be a class derived from Ring<T> that replaces one of its operations.
// tests/mutants.h does both, each of its queues with one step broken, to prove
// that stress mode catches every class of bug. Queue<T> and channel<T> use
// QueueCore<T>.
template <class T, class Derived = void, class RingType = Ring<T>>
class QueueCore : public QueueSteps<T, Derived, RingType> {
  using Steps = QueueSteps<T, Derived, RingType>;
  // The steps call each other through self(), this class or a Derived.
  friend Steps;

 protected:
  // The fields and the steps (queue_steps.h), by their plain names.
  using Steps::after_pop;
  using Steps::after_push;
  using Steps::hand_to_receiver;
  using Steps::name_;
  using Steps::receivers_;
  using Steps::ring_;
  using Steps::self;
  using Steps::senders_;

 public:
  QueueCore(std::size_t capacity, std::string name) : Steps(capacity, std::move(name)) {}

  // The primitives that every handle's send and receive are written over
  // (value_api.h). On anything but ok, the value stays in `value`,
  // undelivered; a null deadline waits for as long as it takes.

  // ---------------------------------------------------------------- send

  // try_send_from(): never parks. ok, full, or closed. A queue that a
  // deterministic runtime explores takes the steps (below) out of line, each
  // access a choice point; any other runs them inline on the bare ring.
  [[gnu::always_inline]] QueueStatus try_send_from(T& value) {
    if (ring_.explored()) [[unlikely]]
      return try_send_explored(value);
    return this->template publish_as<false>(value, /*took_wake=*/false);
  }

  // send_from(): parks while full. ok, closed, or timeout (only with a deadline).
  // It is the hot path of every caller: always inlined, so that a value built
  // by the caller goes straight into the ring (a by-value copy through the
  // stack, written narrow and read wide, stalls on store forwarding); only a
  // full queue calls out of line.
  [[gnu::always_inline]] QueueStatus send_from(T& value, const runtime::TimePoint* deadline) {
    if (deadline == nullptr && try_send_from(value) == QueueStatus::ok) [[likely]]
      return QueueStatus::ok;
    return send_until(value, deadline);
  }

  // ---------------------------------------------------------------- receive

  // try_receive_into(): never parks. ok, empty, or closed (closed means
  // drained too). Explored out of line, as try_send_from().
  [[gnu::always_inline]] QueueStatus try_receive_into(std::optional<T>& out) {
    if (ring_.explored()) [[unlikely]]
      return try_receive_explored(out);
    return try_receive_as<false>(out);
  }

  // receive_into(): parks while empty. ok, closed (closed and drained), or
  // timeout (only with a deadline; nothing was consumed). Inlined as
  // send_from() is.
  [[gnu::always_inline]] QueueStatus receive_into(std::optional<T>& out,
                                                  const runtime::TimePoint* deadline) {
    if (deadline == nullptr) {
      const QueueStatus status = try_receive_into(out);
      if (status != QueueStatus::empty) [[likely]]
        return status;
    }
    return receive_until(out, deadline);
  }

  // ---------------------------------------------------------------- batches
  // The same protocol for a run of values: each ring claim takes several
  // slots, and wakes as many waiters as values it moved (one per value, as
  // the single operations do). `sent` and `got` count what was moved so far.

  // try_send_many_from(): never parks. Moves values[sent, n) in while there
  // is room: ok (all in), full (the rest did not fit), or closed. A parked
  // receiver gets the next value handed over, as send does.
  QueueStatus try_send_many_from(T* values, std::size_t n, std::size_t& sent) {
    while (sent < n) {
      const QueueStatus status = self().publish_many(values + sent, n - sent, sent, false);
      if (status != QueueStatus::ok) return status;
    }
    return QueueStatus::ok;
  }

  // send_many_from(): parks while full, until values[sent, n) are all in: ok,
  // closed (values[sent, n) untouched), or timeout (only with a deadline).
  QueueStatus send_many_from(T* values, std::size_t n, std::size_t& sent,
                             const runtime::TimePoint* deadline) {
    bool took_wake = false;
    while (sent < n) {
      const QueueStatus status = self().publish_many(values + sent, n - sent, sent, took_wake);
      if (status == QueueStatus::ok) {
        took_wake = false;  // the room the wake was for is used
        continue;
      }
      if (status != QueueStatus::full) return status;
      if (wait_for_room(took_wake, deadline) == QueueStatus::timeout) return QueueStatus::timeout;
    }
    return QueueStatus::ok;
  }

  // try_receive_many_into(): never parks. Moves up to `max` values (one ring
  // claim) to out[0, got): ok (got >= 1), empty, or closed (and drained).
  QueueStatus try_receive_many_into(T* out, std::size_t max, std::size_t& got) {
    got = 0;
    std::size_t popped = 0;
    const PopResult result = ring_.try_pop_many(out, max, popped);
    if (result == PopResult::ok) {
      got = popped;
      self().after_pops(popped);
    }
    return to_status(result);
  }

  // receive_many_into(): parks while empty; then as try_receive_many_into():
  // ok (got >= 1), closed (closed and drained: got == 0), or timeout (only
  // with a deadline; nothing was consumed).
  QueueStatus receive_many_into(T* out, std::size_t max, std::size_t& got,
                                const runtime::TimePoint* deadline) {
    bool took_wake = false;
    for (;;) {
      const QueueStatus status = try_receive_many_into(out, max, got);
      if (status != QueueStatus::empty) return status;
      if (deadline != nullptr && runtime::now() >= *deadline) {
        return self().receive_timed_out(took_wake);
      }
      std::optional<T> handed;
      const runtime::WaitStatus waited = self().wait_for_item(handed, deadline);
      if (handed.has_value()) {
        // A sender handed us one value; take what else is there, not waiting.
        out[0] = std::move(*handed);
        got = 1;
        std::size_t more = 0;
        if (max > 1 && try_receive_many_into(out + 1, max - 1, more) == QueueStatus::ok) {
          got += more;
        }
        return QueueStatus::ok;
      }
      took_wake = waited == runtime::WaitStatus::woken;
    }
  }

  // now(): the clock of the deadlines (virtual in deterministic mode).
  static runtime::TimePoint now() { return runtime::now(); }

  // ---------------------------------------------------------------- close and state

  // close(): idempotent; true for the call that closed the queue.
  bool close() {
    if (!ring_.close()) return false;
    // WAKE every parked fiber: receivers drain then see closed; senders get
    // their values back.
    receivers_.wake_all();
    senders_.wake_all();
    return true;
  }

  bool is_closed() const { return ring_.closed(); }
  std::size_t len() const { return ring_.len(); }
  std::size_t capacity() const noexcept { return ring_.capacity(); }
  // shared_across_threads(): its ring left confinement for good (a second
  // thread used it, or it never confined: detail/confinement.h). A snapshot.
  bool shared_across_threads() const noexcept { return ring_.shared(); }
  const std::string& name() const noexcept { return name_; }

 private:
  [[gnu::noinline]] QueueStatus try_send_explored(T& value) {
    return self().publish(value, /*took_wake=*/false);
  }
  [[gnu::noinline]] QueueStatus try_receive_explored(std::optional<T>& out) {
    return try_receive_as<true>(out);
  }

  // try_receive_as<Explore>(): the receive's try. Explored, through the ring's
  // dispatching pop and the steps a Derived may replace; plain, on the bare
  // ring and this class's own after_pop().
  template <bool Explore>
  [[gnu::always_inline]] QueueStatus try_receive_as(std::optional<T>& out) {
    alignas(T) unsigned char storage[sizeof(T)];
    const PopResult popped = Explore ? ring_.try_pop(storage) : ring_.try_pop_unexplored(storage);
    if (popped == PopResult::ok) {
      T* value = std::launder(reinterpret_cast<T*>(storage));
      out.emplace(std::move(*value));
      value->~T();
      if constexpr (Explore) {
        self().after_pop();
      } else {
        after_pop();
      }
    }
    return to_status(popped);
  }

  // send_until(): the blocking send, after the try found the ring full (or
  // with a deadline).
  QueueStatus send_until(T& value, const runtime::TimePoint* deadline) {
    bool took_wake = false;
    for (;;) {
      const QueueStatus status = self().publish(value, took_wake);
      if (status != QueueStatus::full) return status;
      if (wait_for_room(took_wake, deadline) == QueueStatus::timeout) return QueueStatus::timeout;
    }
  }

  // wait_for_room(): the sender's wait, after its send found the ring full:
  // one step of send_until() and send_many_from(). timeout once the deadline
  // (if any) is past; otherwise PARKS until a pop makes room, close, or the
  // deadline, and returns full: try again. took_wake (in: the last wait was
  // ended by a pop's wake; out: this one was): a wake taken and not used is
  // passed on at the timeout, since it was meant for some sender.
  QueueStatus wait_for_room(bool& took_wake, const runtime::TimePoint* deadline) {
    if (deadline != nullptr && runtime::now() >= *deadline) {
      if (took_wake) senders_.wake_one();
      return QueueStatus::timeout;
    }
    // PARK until a pop makes room, close, or the deadline.
    const runtime::WaitStatus waited =
        senders_.wait_unless([this] { return ring_.has_room_or_closed(); }, deadline);
    took_wake = waited == runtime::WaitStatus::woken;
    return QueueStatus::full;
  }

  // receive_until(): the blocking receive, after the try found the ring empty
  // (or with a deadline).
  QueueStatus receive_until(std::optional<T>& out, const runtime::TimePoint* deadline) {
    bool took_wake = false;
    for (;;) {
      const QueueStatus status = try_receive_into(out);
      if (status != QueueStatus::empty) return status;
      if (deadline != nullptr && runtime::now() >= *deadline) {
        return self().receive_timed_out(took_wake);
      }
      const runtime::WaitStatus waited = self().wait_for_item(out, deadline);
      if (out.has_value()) return QueueStatus::ok;  // a sender handed it over
      took_wake = waited == runtime::WaitStatus::woken;
    }
  }
};

}  // namespace tmpmc::detail
