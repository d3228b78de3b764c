// detail/ring.h: the bounded lock-free MPMC ring under Queue<T>.
//
// Dmitry Vyukov's bounded MPMC design as crossbeam's ArrayQueue and array
// channel implement it: each slot carries a stamp that says whether it is
// ready to be written (stamp == tail) or read (stamp == head + 1) in the
// current lap. Positions are lap | index, with index < capacity, so capacity is
// exact (any value >= 1, no power-of-two rounding, no wasted slot) and no
// division is needed.
//
// Batches (try_push_many, try_pop_many) claim several slots with one CAS:
// the run of slots after the tail (head) whose stamps say free (written) in
// this lap, up to the count asked for; then fill (empty) and publish each, in
// order. One read-modify-write per batch instead of one per value.
//
// Close is a mark bit in tail_, set with one fetch_or. A push claims its slot
// with a CAS on tail_ that fails once the mark is set, so every push either
// precedes close in tail_'s modification order (and will be drained: pops keep
// taking values until head reaches the marked tail) or reports closed. That is
// what makes "accepted after close, never received" impossible.
//
// Memory orders: the stamp store after writing (release) pairs with the stamp
// load before reading (acquire) and vice versa, which is what hands a value
// from producer to consumer. The CASes on head_/tail_ are seq_cst because the
// queue's park protocol (queue_core.h) builds a Dekker pair on them.
//
// Racing accesses are labelled [push A-D] and [pop A-D] where they happen:
// A reads the slot's stamp, B reads the other side's position (full? empty?),
// C claims (the CAS on its own position), D writes the stamp (publish, free).
// Each A, B races the other side's C, D as the labels there say.
//
//
// Exploration: every access to head_, tail_, a stamp or a slot's value names
// its site (choice_sites.h); on a deterministic runtime each is a choice
// point, so the states "a push claimed its slot but has not written it" and
// "a pop claimed its slot but has not freed it" are explored, and the spins
// that wait for them yield to the fiber that can end them.
// The storage, its arithmetic and the confined operations are in
// ring_slots.h; this file is the shared protocol over them.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "tmpmc/queue/detail/choice_sites.h"
#include "tmpmc/queue/detail/confinement.h"
#include "tmpmc/queue/detail/ring_slots.h"
#include "tmpmc/runtime/choice_point.h"
#include "tmpmc/runtime/spin.h"

namespace tmpmc::detail {

// Confinement: ThreadConfinement<> (tests/mutant_rings.h passes a broken one,
// or one that never confines, for mutants that replace the shared operations).
template <class T, class Confinement = ThreadConfinement<>>
class Ring : public RingSlots<T, Confinement> {
 protected:
  using Slots = RingSlots<T, Confinement>;
  // The storage and its arithmetic (ring_slots.h), by their plain names
  // (its member templates, which a using-declaration cannot name as
  // templates, through this->template).
  using Slots::advance;
  using Slots::after;
  using Slots::at;
  using Slots::confinement_;
  using Slots::count;
  using Slots::explore_;
  using Slots::head_;
  using Slots::mark_bit_;
  using Slots::one_lap_;
  using Slots::slots_;
  using Slots::tail_;
  using Slots::touch;
  using typename Slots::AssignTo;
  using typename Slots::ConstructAt;
  using typename Slots::MoveFrom;
  using typename Slots::Slot;

 public:
  // A ring built on a deterministic runtime's fiber is explored (see above).
  explicit Ring(std::size_t capacity) : Slots(capacity) {}

  // try_push moves `value` in only when it returns ok. May throw only a
  // deterministic runtime's teardown unwinding, and only before its claim.
  // One branch picks the explored or the plain copy of the operation: the
  // plain one is the bare ring, every choice point compiled out.
  [[gnu::always_inline]] PushResult try_push(T& value) {
    if (explore_) [[unlikely]]
      return push_explored(value);
    return try_push_unexplored(value);
  }

  // try_pop move-constructs the value into `out` (uninitialised storage) on
  // ok. May throw only a deterministic runtime's teardown unwinding, and only
  // before its claim. Dispatched as try_push.
  [[gnu::always_inline]] PopResult try_pop(void* out) {
    if (explore_) [[unlikely]]
      return pop_explored(out);
    return try_pop_unexplored(out);
  }

  // try_push_many moves values[0, count) in, for the largest count <= n that
  // the free slots after the tail allow, claimed with one CAS: ok with
  // count >= 1, or full | closed with count 0 (nothing moved). n >= 1.
  [[gnu::always_inline]] PushResult try_push_many(T* values, std::size_t n, std::size_t& count) {
    if (explore_) [[unlikely]]
      return push_many_explored(values, n, count);
    return push<false, true>(n, MoveFrom{values}, count);
  }

  // try_pop_many move-assigns up to `max` values (the written slots after the
  // head, claimed with one CAS) to out[0, count): ok with count >= 1, or
  // empty | closed with count 0. max >= 1.
  [[gnu::always_inline]] PopResult try_pop_many(T* out, std::size_t max, std::size_t& count) {
    static_assert(std::is_nothrow_move_assignable_v<T>,
                  "a batch receive move-assigns into the caller's buffer after its claim");
    if (explore_) [[unlikely]]
      return pop_many_explored(out, max, count);
    return pop<false, true>(max, AssignTo{out}, count);
  }

  // The plain copies, for a caller that has asked explored() itself (the
  // queue's fast path: queue_core.h).
  [[gnu::always_inline]] PushResult try_push_unexplored(T& value) noexcept {
    std::size_t count;
    return push<false, false>(1, MoveFrom{&value}, count);
  }
  [[gnu::always_inline]] PopResult try_pop_unexplored(void* out) noexcept {
    std::size_t count;
    return pop<false, false>(1, ConstructAt{out}, count);
  }
  bool explored() const noexcept { return explore_; }

 private:
  // The explored copies, out of line: the inlined fast path stays the bare
  // ring's code (a call it never makes does not change how it is compiled).
  [[gnu::noinline]] PushResult push_explored(T& value) {
    std::size_t count;
    return push<true, false>(1, MoveFrom{&value}, count);
  }
  [[gnu::noinline]] PopResult pop_explored(void* out) {
    std::size_t count;
    return pop<true, false>(1, ConstructAt{out}, count);
  }
  [[gnu::noinline]] PushResult push_many_explored(T* values, std::size_t n, std::size_t& count) {
    return push<true, true>(n, MoveFrom{values}, count);
  }
  [[gnu::noinline]] PopResult pop_many_explored(T* out, std::size_t max, std::size_t& count) {
    return pop<true, true>(max, AssignTo{out}, count);
  }

  // push<Explore, Batch>(): claims `count` free slots from the tail with one
  // CAS (count is 1 unless Batch: then as many of the n as are free in a
  // row), then fills and publishes each in order. A single push is the batch
  // with its scan compiled out: one protocol, one place.
  template <bool Explore, bool Batch, class Fill>
  [[gnu::always_inline]] PushResult push(std::size_t n, Fill fill,
                                         std::size_t& count) noexcept(!Explore) {
    if (confinement_.template enter<Explore>()) {
      const PushResult pushed = this->template push_confined<Explore, Batch>(n, fill, count);
      confinement_.template leave<Explore>();
      return pushed;
    }
    unsigned spins = 0;
    unsigned backoffs = 0;
    count = 0;
    std::size_t tail = tail_.load(at_if<Explore>(sites::kPushReadTail), std::memory_order_relaxed);
    for (;;) {
      if (tail & mark_bit_) return PushResult::closed;
      const std::size_t index = tail & (mark_bit_ - 1);
      Slot& slot = slots_[index];
      // [push A] races [pop D] (a pop freeing this slot) and [push C] (a
      // push claiming it). acquire: the consumer of the previous lap has
      // finished reading this slot.
      const std::size_t stamp =
          slot.stamp.load(at_if<Explore>(sites::kPushReadStamp), std::memory_order_acquire);
      if (tail == stamp) {
        std::size_t claimed = 1;
        if constexpr (Batch) {
          // The slots after this one, while free in this lap (stamp == its
          // position; acquire as above). No push can take them before our
          // CAS: it would have moved tail_ first. At most capacity_ of them:
          // the slot after the last one is this slot a lap on, whose stamp
          // (tail) is not its position (tail + one lap).
          claimed = this->template ready_run<Explore>(tail, n, 0, sites::kPushManyReadStamp);
        }
        const std::size_t end = Batch ? advance(tail, claimed) : after(tail);
        // [push C] the claim: fails if another push (or close's mark) moved
        // the tail since our read. seq_cst: one half of the park protocol's
        // Dekker pair (queue_core.h).
        if (tail_.compare_exchange_weak(
                tail, end, at_if<Explore>(Batch ? sites::kPushManyClaim : sites::kPushClaim),
                std::memory_order_seq_cst, std::memory_order_relaxed)) {
          this->template for_each_in_run<Batch>(
              tail, claimed, [&](std::size_t k, Slot& claimed_slot, std::size_t position) {
                runtime::choice_point_if(Explore, sites::kPushWriteValue, claimed_slot.storage,
                                         true);
                fill(k, claimed_slot.storage);
                // [push D] release: publishes the value to the consumer whose
                // [pop A] sees this stamp.
                claimed_slot.stamp.store(position + 1, at_if<Explore>(sites::kPushPublish),
                                         std::memory_order_release);
              });
          count = claimed;
          return PushResult::ok;
        }
        // Lost the claim to another push (tail reloaded). Back off before
        // the retry: pushes on two cores that retry at once trade the
        // tail's line on every push; one that waits a moment lets the
        // winner keep it for its next pushes (claim_backoff, spin.h).
        if (!Explore) runtime::claim_backoff(backoffs);
      } else if (stamp + one_lap_ == tail + 1) {
        // The slot still holds last lap's value: full, unless head moved on
        // (a pop claimed the slot and is still reading it: wait for it).
        // [push B] races [pop C]: full only if no pop has claimed the slot
        // (head a whole lap behind our tail); a claimed, unfreed slot is a
        // wait of a few instructions for its [pop D].
        const std::size_t head =
            head_.load(at_if<Explore>(sites::kPushReadHead), std::memory_order_seq_cst);
        if (head + one_lap_ == tail) return PushResult::full;
        if (!Explore) runtime::spin_pause(spins);
        tail = tail_.spin_load(
            at_if<Explore>(sites::kPushWaitsForPop),
            [this, &slot, tail, stamp, head] {
              return tail_.peek() == tail && slot.stamp.peek() == stamp && head_.peek() == head;
            },
            std::memory_order_relaxed);
      } else {
        // Our tail is stale (another push claimed this slot), or a push one
        // lap behind has claimed this slot and not written it yet (the ring
        // is full, which we will see once it has).
        if (!Explore) runtime::spin_pause(spins);
        tail = tail_.spin_load(
            at_if<Explore>(sites::kPushRereadTail),
            [this, &slot, tail, stamp] {
              return tail_.peek() == tail && slot.stamp.peek() == stamp;
            },
            std::memory_order_relaxed);
      }
    }
  }

  // pop<Explore, Batch>(): claims `count` written slots from the head with
  // one CAS (1 unless Batch: then up to `max` written in a row), then empties
  // and frees each in order.
  template <bool Explore, bool Batch, class Take>
  [[gnu::always_inline]] PopResult pop(std::size_t max, Take take,
                                       std::size_t& count) noexcept(!Explore) {
    if (confinement_.template enter<Explore>()) {
      const PopResult popped = this->template pop_confined<Explore, Batch>(max, take, count);
      confinement_.template leave<Explore>();
      return popped;
    }
    unsigned spins = 0;
    unsigned backoffs = 0;
    count = 0;
    std::size_t head = head_.load(at_if<Explore>(sites::kPopReadHead), std::memory_order_relaxed);
    for (;;) {
      const std::size_t index = head & (mark_bit_ - 1);
      Slot& slot = slots_[index];
      // [pop A] races [push D] (a push publishing this slot) and [pop C] (a
      // pop claiming it). acquire: pairs with [push D]'s release store.
      const std::size_t stamp =
          slot.stamp.load(at_if<Explore>(sites::kPopReadStamp), std::memory_order_acquire);
      if (head + 1 == stamp) {
        std::size_t claimed = 1;
        if constexpr (Batch) {
          // The slots after this one, while written in this lap (stamp ==
          // position + 1; acquire as above). No pop can take them before our
          // CAS: it would have moved head_ first. At most capacity_: the slot
          // after the last is this one a lap on, not written in that lap.
          claimed = this->template ready_run<Explore>(head, max, 1, sites::kPopManyReadStamp);
        }
        const std::size_t end = Batch ? advance(head, claimed) : after(head);
        // [pop C] the claim: fails if another pop moved the head since our
        // read. seq_cst: one half of the park protocol's Dekker pair.
        if (head_.compare_exchange_weak(
                head, end, at_if<Explore>(Batch ? sites::kPopManyClaim : sites::kPopClaim),
                std::memory_order_seq_cst, std::memory_order_relaxed)) {
          const std::size_t one_lap = one_lap_;
          this->template for_each_in_run<Batch>(
              head, claimed, [&](std::size_t k, Slot& claimed_slot, std::size_t position) {
                runtime::choice_point_if(Explore, sites::kPopReadValue, claimed_slot.storage, true);
                T* value = claimed_slot.value();
                take(k, *value);
                value->~T();
                // [pop D] release: the slot is free for the next lap's [push A].
                claimed_slot.stamp.store(position + one_lap, at_if<Explore>(sites::kPopFree),
                                         std::memory_order_release);
              });
          count = claimed;
          return PopResult::ok;
        }
        // Lost the claim to another pop: back off, as a push does.
        if (!Explore) runtime::claim_backoff(backoffs);
      } else if (stamp == head) {
        // Nothing written here in this lap: empty, unless a push claimed the
        // slot and is still writing it (then tail is ahead of head: wait).
        // [pop B] races [push C] and close's fetch_or: empty (or closed and
        // drained) only if no push has claimed this slot; a claimed, unwritten
        // slot is a wait of a few instructions for its [push D].
        const std::size_t tail =
            tail_.load(at_if<Explore>(sites::kPopReadTail), std::memory_order_seq_cst);
        if ((tail & ~mark_bit_) == head) {
          return (tail & mark_bit_) ? PopResult::closed : PopResult::empty;
        }
        if (!Explore) runtime::spin_pause(spins);
        head = head_.spin_load(
            at_if<Explore>(sites::kPopWaitsForPush),
            [this, &slot, head, stamp, tail] {
              return head_.peek() == head && slot.stamp.peek() == stamp && tail_.peek() == tail;
            },
            std::memory_order_relaxed);
      } else {
        // Our head is stale (another pop claimed this slot), or a pop one lap
        // behind has claimed this slot and not freed it yet.
        if (!Explore) runtime::spin_pause(spins);
        head = head_.spin_load(
            at_if<Explore>(sites::kPopRereadHead),
            [this, &slot, head, stamp] {
              return head_.peek() == head && slot.stamp.peek() == stamp;
            },
            std::memory_order_relaxed);
      }
    }
  }

 public:
  // close() sets the mark; true for the call that set it.
  bool close() {
    touch();
    // seq_cst: ordered against every push's CAS and every waiter's re-check.
    return (tail_.fetch_or(mark_bit_, at(sites::kClose), std::memory_order_seq_cst) & mark_bit_) ==
           0;
  }
};

}  // namespace tmpmc::detail
