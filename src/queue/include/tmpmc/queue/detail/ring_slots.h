// detail/ring_slots.h: the storage of the ring (ring.h) and the arithmetic
// over it: slots with their stamps, the head and tail positions (lap | index,
// with close's mark bit in the tail), runs of ready slots, and the pushes and
// pops of a confined ring's owner, which need nothing else. Ring derives from
// RingSlots and adds the shared protocol: claims, publication, close and the
// park protocol's re-checks.
//
// Confinement (confinement.h): while one actor (thread) is the only one that
// has touched the ring, push and pop move its positions with plain stores, no
// claim (push_confined, pop_confined); the first access from a second actor
// upgrades the ring to the protocol above, for good. Confined operations keep
// the stamps exactly as the shared ones do, so the ring the upgrade hands on
// is an ordinary one.
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

namespace tmpmc::detail {

enum class PushResult { ok, full, closed };
enum class PopResult { ok, empty, closed };

// at_if<Explore>(site): an access at `site`, a choice point if Explore (a
// ring's explored copy of an operation), decided when it is compiled.
template <bool Explore>
runtime::At at_if(const runtime::ChoicePointSite& site) noexcept {
  return runtime::At{&site, Explore};
}

// RingSlots<T, Confinement>: the fields of a Ring<T, Confinement> (ring.h),
// the operations on them that involve no other actor, and the ring's
// read-only queries.
template <class T, class Confinement>
class RingSlots {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "queue elements must be nothrow-move-constructible: a value is moved into "
                "a slot after the slot is claimed, and a claim cannot be undone");

 public:
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 40;

  // A ring built on a deterministic runtime's fiber is explored (ring.h).
  explicit RingSlots(std::size_t capacity)
      : capacity_(checked(capacity)), explore_(runtime::exploring()), confinement_(explore_) {
    mark_bit_ = std::bit_ceil(capacity_ + 1);
    one_lap_ = mark_bit_ * 2;
    slots_ = std::make_unique<Slot[]>(capacity_);
    for (std::size_t i = 0; i < capacity_; ++i) {
      slots_[i].stamp.unshared().store(i, std::memory_order_relaxed);
    }
  }
  RingSlots(const RingSlots&) = delete;
  RingSlots& operator=(const RingSlots&) = delete;

  ~RingSlots() {
    // Every value still in the ring is destroyed exactly once.
    const std::size_t head = head_.unshared().load(std::memory_order_relaxed);
    const std::size_t tail = tail_.unshared().load(std::memory_order_relaxed) & ~mark_bit_;
    std::size_t index = head & (mark_bit_ - 1);
    for (std::size_t n = count(head, tail); n > 0; --n) {
      slots_[index].value()->~T();
      index = index + 1 < capacity_ ? index + 1 : 0;
    }
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
  // shared(): it runs the shared protocol for good (confinement.h).
  bool shared() const noexcept { return confinement_.shared(); }

 protected:
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

 protected:
  static std::size_t checked(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("queue capacity must be at least 1, got 0");
    if (capacity > kMaxCapacity) {
      throw std::invalid_argument("queue capacity must be at most 2^40, got " +
                                  std::to_string(capacity));
    }
    return capacity;
  }

  // Protected, not private: the stress tests derive rings with one operation
  // broken (tests/mutant_rings.h), and write it with the slots and positions.
  struct Slot {
    runtime::ChoiceAtomic<std::size_t> stamp{0};
    alignas(T) unsigned char storage[sizeof(T)];
    T* value() noexcept { return std::launder(reinterpret_cast<T*>(storage)); }
  };

  // at(site): an access at `site`, a choice point if this ring is explored.
  runtime::At at(const runtime::ChoicePointSite& site) const noexcept {
    return runtime::At{&site, explore_};
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
