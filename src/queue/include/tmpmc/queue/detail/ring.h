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
// Confinement (confinement.h): while one actor (thread) is the only one that
// has touched the ring, push and pop move its positions with plain stores, no
// claim (push_confined, pop_confined); the first access from a second actor
// upgrades the ring to the protocol above, for good. Confined operations keep
// the stamps exactly as the shared ones do, so the ring the upgrade hands on
// is an ordinary one.
//
// Exploration: every access to head_, tail_, a stamp or a slot's value names
// its site (choice_sites.h); on a deterministic runtime each is a choice
// point, so the states "a push claimed its slot but has not written it" and
// "a pop claimed its slot but has not freed it" are explored, and the spins
// that wait for them yield to the fiber that can end them.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "tmpmc/queue/detail/choice_sites.h"
#include "tmpmc/queue/detail/confinement.h"
#include "tmpmc/runtime/choice_point.h"
#include "tmpmc/runtime/spin.h"

namespace tmpmc::detail {

enum class PushResult { ok, full, closed };
enum class PopResult { ok, empty, closed };

// Confinement: ThreadConfinement<> (tests/mutants.h passes a broken one, or
// one that never confines, for mutants that replace the shared operations).
template <class T, class Confinement = ThreadConfinement<>>
class Ring {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "queue elements must be nothrow-move-constructible: a value is moved into "
                "a slot after the slot is claimed, and a claim cannot be undone");

 public:
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 40;

  // A ring built on a deterministic runtime's fiber is explored (see above).
  explicit Ring(std::size_t capacity)
      : capacity_(checked(capacity)), explore_(runtime::exploring()), confinement_(explore_) {
    mark_bit_ = std::bit_ceil(capacity_ + 1);
    one_lap_ = mark_bit_ * 2;
    slots_ = std::make_unique<Slot[]>(capacity_);
    for (std::size_t i = 0; i < capacity_; ++i) {
      slots_[i].stamp.unshared().store(i, std::memory_order_relaxed);
    }
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  ~Ring() {
    // Every value still in the ring is destroyed exactly once.
    const std::size_t head = head_.unshared().load(std::memory_order_relaxed);
    const std::size_t tail = tail_.unshared().load(std::memory_order_relaxed) & ~mark_bit_;
    std::size_t index = head & (mark_bit_ - 1);
    for (std::size_t n = count(head, tail); n > 0; --n) {
      slots_[index].value()->~T();
      index = index + 1 < capacity_ ? index + 1 : 0;
    }
  }

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
  // How a claimed slot is filled or emptied: value k of a push comes from
  // values[k]; value k of a pop is constructed at `out` (a single pop) or
  // assigned to out[k] (a batch).
  struct MoveFrom {
    T* values;
    void operator()(std::size_t k, void* storage) const noexcept {
      ::new (storage) T(std::move(values[k]));
    }
  };
  struct ConstructAt {
    void* out;
    void operator()(std::size_t, T& value) const noexcept { ::new (out) T(std::move(value)); }
  };
  struct AssignTo {
    T* out;
    void operator()(std::size_t k, T& value) const noexcept { out[k] = std::move(value); }
  };

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
      const PushResult pushed = push_confined<Explore, Batch>(n, fill, count);
      confinement_.template leave<Explore>();
      return pushed;
    }
    unsigned spins = 0;
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
          claimed = ready_run<Explore>(tail, n, 0, sites::kPushManyReadStamp);
        }
        const std::size_t end = Batch ? advance(tail, claimed) : after(tail);
        // [push C] the claim: fails if another push (or close's mark) moved
        // the tail since our read. seq_cst: one half of the park protocol's
        // Dekker pair (queue_core.h).
        if (tail_.compare_exchange_weak(
                tail, end, at_if<Explore>(Batch ? sites::kPushManyClaim : sites::kPushClaim),
                std::memory_order_seq_cst, std::memory_order_relaxed)) {
          for_each_in_run<Batch>(
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
      const PopResult popped = pop_confined<Explore, Batch>(max, take, count);
      confinement_.template leave<Explore>();
      return popped;
    }
    unsigned spins = 0;
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
          claimed = ready_run<Explore>(head, max, 1, sites::kPopManyReadStamp);
        }
        const std::size_t end = Batch ? advance(head, claimed) : after(head);
        // [pop C] the claim: fails if another pop moved the head since our
        // read. seq_cst: one half of the park protocol's Dekker pair.
        if (head_.compare_exchange_weak(
                head, end, at_if<Explore>(Batch ? sites::kPopManyClaim : sites::kPopClaim),
                std::memory_order_seq_cst, std::memory_order_relaxed)) {
          const std::size_t one_lap = one_lap_;
          for_each_in_run<Batch>(
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

  // push_confined<Explore, Batch>(): push() for the ring's owner, inside a
  // confined access (confinement.h): no other actor touches the ring until
  // it leaves, so the positions it reads are current and it moves the tail
  // with a plain store. Stamps are kept as push() keeps them.
  template <bool Explore, bool Batch, class Fill>
  [[gnu::always_inline]] PushResult push_confined(std::size_t n, Fill fill,
                                                  std::size_t& count) noexcept {
    count = 0;
    const std::size_t tail = tail_.unshared().load(std::memory_order_relaxed);
    if (tail & mark_bit_) return PushResult::closed;
    const std::size_t head = head_.unshared().load(std::memory_order_relaxed);
    if (head + one_lap_ == tail) return PushResult::full;
    const std::size_t claimed = Batch ? std::min(n, capacity_ - this->count(head, tail)) : 1;
    // The point between reading the positions and writing: where an upgrade
    // that did not wait for this access (a bug) would claim the same slot.
    runtime::choice_point_if(Explore, sites::kConfinedPushWrite, &tail_, true);
    for_each_in_run<Batch>(
        tail, claimed, [&](std::size_t k, Slot& claimed_slot, std::size_t position) {
          fill(k, claimed_slot.storage);
          // release: for the reader of another actor, after an upgrade.
          claimed_slot.stamp.unshared().store(position + 1, std::memory_order_release);
        });
    tail_.unshared().store(Batch ? advance(tail, claimed) : after(tail), std::memory_order_release);
    count = claimed;
    return PushResult::ok;
  }

  // pop_confined<Explore, Batch>(): pop() for the owner, as push_confined().
  template <bool Explore, bool Batch, class Take>
  [[gnu::always_inline]] PopResult pop_confined(std::size_t max, Take take,
                                                std::size_t& count) noexcept {
    count = 0;
    const std::size_t head = head_.unshared().load(std::memory_order_relaxed);
    const std::size_t tail = tail_.unshared().load(std::memory_order_relaxed);
    if ((tail & ~mark_bit_) == head) {
      return (tail & mark_bit_) ? PopResult::closed : PopResult::empty;
    }
    const std::size_t claimed = Batch ? std::min(max, this->count(head, tail & ~mark_bit_)) : 1;
    runtime::choice_point_if(Explore, sites::kConfinedPopRead, &head_, true);
    const std::size_t one_lap = one_lap_;
    for_each_in_run<Batch>(
        head, claimed, [&](std::size_t k, Slot& claimed_slot, std::size_t position) {
          T* value = claimed_slot.value();
          take(k, *value);
          value->~T();
          claimed_slot.stamp.unshared().store(position + one_lap, std::memory_order_release);
        });
    head_.unshared().store(Batch ? advance(head, claimed) : after(head), std::memory_order_release);
    count = claimed;
    return PopResult::ok;
  }

  // touch(): before close or a park re-check (confinement.h's touch()).
  [[gnu::always_inline]] void touch() const {
    if (explore_) {
      confinement_.template touch<true>();
    } else {
      confinement_.template touch<false>();
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

  // The re-checks of the park protocol: seq_cst loads (the other half of the
  // Dekker pair). A push that claimed a slot but has not written it yet counts
  // as an item: the receiver will wait a few instructions for it in try_pop.
  // has_item_or_closed and has_room_or_closed touch() the ring (a waiter on
  // another thread is a second actor: it upgrades a confined ring);
  // closed and len only read, and leave the ring as it is: a confined
  // owner's positions and mark are release stores, read here with seq_cst
  // loads, so a reader on another thread (a monitor, a trace line) sees a
  // state the ring was in, and len's re-read of the tail still proves that
  // head and tail were read from one state.
  bool closed() const {
    return (tail_.load(at(sites::kClosedReadTail), std::memory_order_seq_cst) & mark_bit_) != 0;
  }
  bool has_item_or_closed() const {
    touch();
    const std::size_t tail = tail_.load(at(sites::kHasItemReadTail), std::memory_order_seq_cst);
    return (tail & mark_bit_) != 0 ||
           tail != head_.load(at(sites::kHasItemReadHead), std::memory_order_seq_cst);
  }
  bool has_room_or_closed() const {
    touch();
    const std::size_t tail = tail_.load(at(sites::kHasRoomReadTail), std::memory_order_seq_cst);
    if (tail & mark_bit_) return true;
    return head_.load(at(sites::kHasRoomReadHead), std::memory_order_seq_cst) + one_lap_ != tail;
  }

  // len(): a consistent snapshot of the number of values (crossbeam's method:
  // re-read tail until it did not move while head was read).
  std::size_t len() const {
    for (;;) {
      const std::size_t tail = tail_.load(at(sites::kLenReadTail), std::memory_order_seq_cst);
      const std::size_t head = head_.load(at(sites::kLenReadHead), std::memory_order_seq_cst);
      if (tail_.load(at(sites::kLenRecheckTail), std::memory_order_seq_cst) == tail) {
        return count(head, tail & ~mark_bit_);
      }
    }
  }
  std::size_t capacity() const noexcept { return capacity_; }
  // confined(): some actor owns the ring (a snapshot, for tests).
  bool confined() const noexcept { return confinement_.confined(); }

 private:
  static std::size_t checked(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("queue capacity must be at least 1, got 0");
    if (capacity > kMaxCapacity) {
      throw std::invalid_argument("queue capacity must be at most 2^40, got " +
                                  std::to_string(capacity));
    }
    return capacity;
  }

 protected:
  // Protected, not private: the stress tests derive rings with one operation
  // broken (tests/mutants.h), and write it with the slots and positions.
  struct Slot {
    runtime::ChoiceAtomic<std::size_t> stamp{0};
    alignas(T) unsigned char storage[sizeof(T)];
    T* value() noexcept { return std::launder(reinterpret_cast<T*>(storage)); }
  };

  // at(site): an access at `site`, a choice point if this ring is explored.
  runtime::At at(const runtime::ChoicePointSite& site) const noexcept {
    return runtime::At{&site, explore_};
  }
  // at_if<Explore>(site): the same, decided when it is compiled.
  template <bool Explore>
  static runtime::At at_if(const runtime::ChoicePointSite& site) noexcept {
    return runtime::At{&site, Explore};
  }

  // after(position): the next position (the next index, or index 0 of the
  // next lap), as a claim moves head or tail on.
  std::size_t after(std::size_t position) const noexcept {
    return (position & (mark_bit_ - 1)) + 1 < capacity_ ? position + 1
                                                        : (position & ~(one_lap_ - 1)) + one_lap_;
  }

  // advance(position, k): the position k claims on (k <= capacity_); after()
  // k times.
  std::size_t advance(std::size_t position, std::size_t k) const noexcept {
    const std::size_t index = (position & (mark_bit_ - 1)) + k;
    return index < capacity_ ? position + k
                             : (position & ~(one_lap_ - 1)) + one_lap_ + (index - capacity_);
  }

  // ready_run<Explore>(start, max, offset, site): how many slots from
  // position `start` on (at most max; the first one known ready) are ready
  // in a row: the slot at position p has stamp p + offset (a free slot for a
  // push: offset 0; a written one for a pop: 1). Acquire loads at `site`.
  // The run stops at the end of this lap's slots or goes on into the next
  // lap's, from index 0; each part is a plain indexed loop (this is the
  // batch's per-slot cost), with the ring's fields in registers: a stamp's
  // atomic type may alias them, so the compiler would reload each per slot.
  template <bool Explore>
  std::size_t ready_run(std::size_t start, std::size_t max, std::size_t offset,
                        const runtime::ChoicePointSite& site) const noexcept(!Explore) {
    Slot* const slots = slots_.get();
    const std::size_t index = start & (mark_bit_ - 1);
    const std::size_t in_lap = std::min(max, capacity_ - index);
    std::size_t ready = 1;
    for (; ready < in_lap; ++ready) {
      if (slots[index + ready].stamp.load(at_if<Explore>(site), std::memory_order_acquire) !=
          start + ready + offset) {
        return ready;
      }
    }
    const std::size_t next_lap = (start & ~(one_lap_ - 1)) + one_lap_;
    for (std::size_t j = 0; ready < max; ++j, ++ready) {
      if (slots[j].stamp.load(at_if<Explore>(site), std::memory_order_acquire) !=
          next_lap + j + offset) {
        break;
      }
    }
    return ready;
  }

  // for_each_in_run<Batch>(start, count, each): each(k, slot, position) for
  // the k-th of `count` claimed slots from position `start` (count <=
  // capacity_), in order; two plain loops, as ready_run. A single push or
  // pop (not Batch: count is 1) calls each once, with no loop around it: the
  // loop's bounds cost the unbatched hot path about 5% (BM_SendReceive).
  template <bool Batch, class Each>
  [[gnu::always_inline]] void for_each_in_run(std::size_t start, std::size_t count, Each each) {
    if constexpr (!Batch) {
      each(0, slots_[start & (mark_bit_ - 1)], start);
      return;
    }
    Slot* const slots = slots_.get();
    const std::size_t index = start & (mark_bit_ - 1);
    const std::size_t in_lap = std::min(count, capacity_ - index);
    for (std::size_t k = 0; k < in_lap; ++k) each(k, slots[index + k], start + k);
    if (in_lap == count) [[likely]]
      return;
    const std::size_t next_lap = (start & ~(one_lap_ - 1)) + one_lap_;
    for (std::size_t k = in_lap; k < count; ++k)
      each(k, slots[k - in_lap], next_lap + (k - in_lap));
  }

  std::size_t count(std::size_t head, std::size_t tail) const noexcept {
    const std::size_t hix = head & (mark_bit_ - 1);
    const std::size_t tix = tail & (mark_bit_ - 1);
    if (hix < tix) return tix - hix;
    if (hix > tix) return capacity_ - hix + tix;
    return tail == head ? 0 : capacity_;
  }

  // head_ and tail_ on their own cache lines: producers and consumers do not
  // invalidate each other's position on every operation.
  alignas(64) runtime::ChoiceAtomic<std::size_t> head_{0};
  alignas(64) runtime::ChoiceAtomic<std::size_t> tail_{0};
  alignas(64) std::size_t capacity_;
  const bool explore_;
  std::size_t mark_bit_ = 0;
  std::size_t one_lap_ = 0;
  std::unique_ptr<Slot[]> slots_;
  // mutable: the park protocol's re-checks (const) touch() the ring, and may
  // upgrade it.
  mutable Confinement confinement_;
};

}  // namespace tmpmc::detail
