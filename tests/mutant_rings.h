// mutant_rings.h: the broken rings the mutants (mutants.h) are built on, each
// detail::Ring with one operation replaced by a broken copy, and the
// confinements that switch the ring's confinement off or break its upgrade.
// They exist only in this test binary.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <optional>
#include <utility>

#include "tmpmc/queue/detail/confinement.h"
#include "tmpmc/queue/detail/ring.h"

namespace tmpmc::mutants {

using detail::PopResult;
using detail::PushResult;
// Unconfined: a ring's confinement (confinement.h) switched off: every
// access claims. For the rings below that replace a shared operation: a
// confined access would bypass their broken copy, or run beside it.
class Unconfined {
 public:
  explicit Unconfined(bool) {}
  template <bool Explore>
  bool enter() {
    return false;
  }
  template <bool Explore>
  void leave() {}
  template <bool Explore>
  void touch() {}
  bool confined() const noexcept { return false; }
  bool shared() const noexcept { return true; }
};
template <class T>
using UnconfinedRing = detail::Ring<T, Unconfined>;

// RingWithUncheckedPush: the ring plus a push that does not look at the
// closed mark (keeping the mark set in tail_).
template <class T>
class RingWithUncheckedPush : public UnconfinedRing<T> {
  using Base = UnconfinedRing<T>;

 public:
  using Base::Base;
  PushResult try_push_ignoring_close(T& value) {
    namespace sites = detail::sites;
    std::size_t tail = this->tail_.load(this->at(sites::kPushReadTail), std::memory_order_relaxed);
    for (;;) {
      const std::size_t mark = tail & this->mark_bit_;
      const std::size_t bare = tail & ~this->mark_bit_;
      const std::size_t index = bare & (this->mark_bit_ - 1);
      const std::size_t lap = bare & ~(this->one_lap_ - 1);
      auto& slot = this->slots_[index];
      const std::size_t stamp =
          slot.stamp.load(this->at(sites::kPushReadStamp), std::memory_order_acquire);
      if (bare == stamp) {
        const std::size_t next =
            (index + 1 < this->capacity_ ? bare + 1 : lap + this->one_lap_) | mark;
        if (this->tail_.compare_exchange_weak(tail, next, this->at(sites::kPushClaim),
                                              std::memory_order_seq_cst,
                                              std::memory_order_relaxed)) {
          runtime::choice_point_if(this->explore_, sites::kPushWriteValue, slot.storage, true);
          ::new (slot.storage) T(std::move(value));
          slot.stamp.store(bare + 1, this->at(sites::kPushPublish), std::memory_order_release);
          return PushResult::ok;
        }
      } else if (stamp + this->one_lap_ == bare + 1 &&
                 this->head_.load(this->at(sites::kPushReadHead), std::memory_order_seq_cst) +
                         this->one_lap_ ==
                     bare) {
        return PushResult::full;
      } else {
        const std::size_t seen = tail;
        tail = this->tail_.spin_load(
            this->at(sites::kPushRereadTail), [&] { return this->tail_.peek() == seen; },
            std::memory_order_relaxed);
      }
    }
  }
};

// RingReadingBeforeClaim: try_pop copies the head slot's value, then claims
// a slot (whichever is at the head by then: Base::try_pop's first access is
// a choice point), returning the early copy: a slot read twice, and another
// never delivered.
template <class T>
class RingReadingBeforeClaim : public UnconfinedRing<T> {
  using Base = UnconfinedRing<T>;

 public:
  using Base::Base;
  PopResult try_pop(void* out) {
    namespace sites = detail::sites;
    const std::size_t head =
        this->head_.load(this->at(sites::kPopReadHead), std::memory_order_relaxed);
    auto& slot = this->slots_[head & (this->mark_bit_ - 1)];
    if (slot.stamp.load(this->at(sites::kPopReadStamp), std::memory_order_acquire) != head + 1) {
      return Base::try_pop(out);
    }
    alignas(T) unsigned char early[sizeof(T)];
    runtime::choice_point_if(this->explore_, sites::kPopReadValue, slot.storage, true);
    ::new (early) T(*slot.value());
    alignas(T) unsigned char claimed[sizeof(T)];
    const PopResult result = Base::try_pop(claimed);
    if (result == PopResult::ok) std::launder(reinterpret_cast<T*>(claimed))->~T();
    if (result == PopResult::ok)
      ::new (out) T(std::move(*std::launder(reinterpret_cast<T*>(early))));
    std::launder(reinterpret_cast<T*>(early))->~T();
    return result;
  }
};

// RingPublishingBeforeWrite: a push that claims a free slot publishes its
// stamp before it writes the value. The slots start zeroed, so that what a
// pop reads too early is the same bytes in every build.
template <class T>
class RingPublishingBeforeWrite : public UnconfinedRing<T> {
  using Base = UnconfinedRing<T>;

 public:
  explicit RingPublishingBeforeWrite(std::size_t capacity) : Base(capacity) {
    for (std::size_t i = 0; i < this->capacity_; ++i) {
      std::memset(this->slots_[i].storage, 0, sizeof(T));
    }
  }
  PushResult try_push(T& value) {
    namespace sites = detail::sites;
    std::size_t tail = this->tail_.load(this->at(sites::kPushReadTail), std::memory_order_relaxed);
    if (tail & this->mark_bit_) return PushResult::closed;
    const std::size_t index = tail & (this->mark_bit_ - 1);
    auto& slot = this->slots_[index];
    if (slot.stamp.load(this->at(sites::kPushReadStamp), std::memory_order_acquire) != tail) {
      return Base::try_push(value);  // full, stale or mid-way: the real push decides
    }
    if (!this->tail_.compare_exchange_strong(tail, this->after(tail), this->at(sites::kPushClaim),
                                             std::memory_order_seq_cst,
                                             std::memory_order_relaxed)) {
      return Base::try_push(value);
    }
    slot.stamp.store(tail + 1, this->at(sites::kPushPublish), std::memory_order_release);
    runtime::choice_point_if(this->explore_, sites::kPushWriteValue, slot.storage, true);
    ::new (slot.storage) T(std::move(value));
    return PushResult::ok;
  }
};

// RingFreeingBeforeRead: a pop that claims a written slot frees it for the
// next lap before it moves the value out, so a push of the next lap may
// overwrite the value first.
template <class T>
class RingFreeingBeforeRead : public UnconfinedRing<T> {
  using Base = UnconfinedRing<T>;

 public:
  using Base::Base;
  PopResult try_pop(void* out) {
    namespace sites = detail::sites;
    std::size_t head = this->head_.load(this->at(sites::kPopReadHead), std::memory_order_relaxed);
    const std::size_t index = head & (this->mark_bit_ - 1);
    auto& slot = this->slots_[index];
    if (slot.stamp.load(this->at(sites::kPopReadStamp), std::memory_order_acquire) != head + 1) {
      return Base::try_pop(out);  // empty, stale or mid-way: the real pop decides
    }
    if (!this->head_.compare_exchange_strong(head, this->after(head), this->at(sites::kPopClaim),
                                             std::memory_order_seq_cst,
                                             std::memory_order_relaxed)) {
      return Base::try_pop(out);
    }
    slot.stamp.store(head + this->one_lap_, this->at(sites::kPopFree), std::memory_order_release);
    runtime::choice_point_if(this->explore_, sites::kPopReadValue, slot.storage, true);
    T* value = slot.value();
    ::new (out) T(std::move(*value));
    value->~T();
    return PopResult::ok;
  }
};

// RingPoppingWithRelaxedStamp: a pop that reads the slot's stamp relaxed
// instead of acquire (ring.h's [pop A]), so its read of the value is not
// ordered after the push's write of it, which the push's release of the
// stamp ([push D]) was meant to hand over. Under sequential consistency,
// which is every deterministic mode, nothing changes; on x86 the machine
// code is the same load. Only a checker of happens-before on real threads
// sees it: ThreadSanitizer, with the two sides of the queue on two
// threads (stress --workers 2, spread). A pop that finds nothing to take
// goes the real way.
template <class T>
class RingPoppingWithRelaxedStamp : public UnconfinedRing<T> {
  using Base = UnconfinedRing<T>;

 public:
  using Base::Base;
  PopResult try_pop(void* out) { return pop_relaxed(out); }
  PopResult try_pop_unexplored(void* out) { return pop_relaxed(out); }

 private:
  PopResult pop_relaxed(void* out) {
    namespace sites = detail::sites;
    std::size_t head = this->head_.load(this->at(sites::kPopReadHead), std::memory_order_relaxed);
    auto& slot = this->slots_[head & (this->mark_bit_ - 1)];
    // The bug: relaxed, where the real pop loads with acquire.
    if (slot.stamp.load(this->at(sites::kPopReadStamp), std::memory_order_relaxed) != head + 1) {
      return Base::try_pop(out);  // empty, stale or mid-way: the real pop decides
    }
    if (!this->head_.compare_exchange_strong(head, this->after(head), this->at(sites::kPopClaim),
                                             std::memory_order_seq_cst,
                                             std::memory_order_relaxed)) {
      return Base::try_pop(out);
    }
    runtime::choice_point_if(this->explored(), sites::kPopReadValue, slot.storage, true);
    T* value = slot.value();
    ::new (out) T(std::move(*value));
    value->~T();
    slot.stamp.store(head + this->one_lap_, this->at(sites::kPopFree), std::memory_order_release);
    return PopResult::ok;
  }
};

// RingPublishingRunBeforeWrite: a batch push that claims its run of free
// slots publishes every stamp of the run first, then writes the values (the
// batch's own copy of stamp_before_value: a pop that comes between reads a
// slot not yet written). Slots start zeroed, as in (9). Single pushes are
// the real ones.
template <class T>
class RingPublishingRunBeforeWrite : public UnconfinedRing<T> {
  using Base = UnconfinedRing<T>;

 public:
  explicit RingPublishingRunBeforeWrite(std::size_t capacity) : Base(capacity) {
    for (std::size_t i = 0; i < this->capacity_; ++i) {
      std::memset(this->slots_[i].storage, 0, sizeof(T));
    }
  }
  PushResult try_push_many(T* values, std::size_t n, std::size_t& count) {
    namespace sites = detail::sites;
    count = 0;
    std::size_t tail = this->tail_.load(this->at(sites::kPushReadTail), std::memory_order_relaxed);
    if (tail & this->mark_bit_) return PushResult::closed;
    std::size_t end = tail, claimed = 0;
    while (claimed < n) {
      auto& slot = this->slots_[end & (this->mark_bit_ - 1)];
      const auto& site = claimed == 0 ? sites::kPushReadStamp : sites::kPushManyReadStamp;
      if (slot.stamp.load(this->at(site), std::memory_order_acquire) != end) break;
      ++claimed;
      end = this->after(end);
    }
    // Nothing free at the tail (full, stale or mid-way): the real push decides.
    if (claimed == 0) return Base::try_push_many(values, n, count);
    if (!this->tail_.compare_exchange_strong(tail, end, this->at(sites::kPushManyClaim),
                                             std::memory_order_seq_cst,
                                             std::memory_order_relaxed)) {
      return Base::try_push_many(values, n, count);
    }
    std::size_t position = tail;
    for (std::size_t k = 0; k < claimed; ++k, position = this->after(position)) {
      this->slots_[position & (this->mark_bit_ - 1)].stamp.store(
          position + 1, this->at(sites::kPushPublish), std::memory_order_release);
    }
    position = tail;
    for (std::size_t k = 0; k < claimed; ++k, position = this->after(position)) {
      auto& slot = this->slots_[position & (this->mark_bit_ - 1)];
      runtime::choice_point_if(this->explore_, sites::kPushWriteValue, slot.storage, true);
      ::new (slot.storage) T(std::move(values[k]));
    }
    count = claimed;
    return PushResult::ok;
  }
};

// UpgradeWithoutWaiting: the upgrade of a confined ring (confinement.h) marks
// it shared without waiting for the owner's confined access to end.
class UpgradeWithoutWaiting : public detail::ThreadConfinement<UpgradeWithoutWaiting> {
 public:
  using ThreadConfinement::ThreadConfinement;
  template <bool Explore>
  void wait_for_owner_to_leave() {}
};

// RingOneTooMany: a ring with one slot more than it reports.
template <class T>
class RingOneTooMany : public detail::Ring<T> {
  using Base = detail::Ring<T>;

 public:
  explicit RingOneTooMany(std::size_t capacity) : Base(capacity + 1) {}
  std::size_t capacity() const noexcept { return Base::capacity() - 1; }
};

// RingWithLanes: two rings, one per producer parity (read from the message
// id), that share the capacity; a pop takes from the odd producers' lane
// first. Each producer's messages stay in order; across producers FIFO is
// broken.
template <class T>
class RingWithLanes {
 public:
  explicit RingWithLanes(std::size_t capacity)
      : capacity_(capacity), lanes_{detail::Ring<T>(capacity), detail::Ring<T>(capacity)} {}

  PushResult try_push(T& value) {
    if (lanes_[1].closed()) return PushResult::closed;
    if (len() >= capacity_) return PushResult::full;
    return lane_of(value).try_push(value);
  }
  PushResult try_push_unexplored(T& value) { return try_push(value); }
  PopResult try_pop(void* out) {
    if (lanes_[1].try_pop(out) == PopResult::ok) return PopResult::ok;
    const PopResult second = lanes_[0].try_pop(out);
    if (second != PopResult::closed) return second;
    // Lane 0 closes last: lane 1 is closed too, and what it says now is final.
    return lanes_[1].try_pop(out);
  }
  PopResult try_pop_unexplored(void* out) { return try_pop(out); }
  // Batches, one value at a time (the lanes' order is the bug, not batches).
  PushResult try_push_many(T* values, std::size_t, std::size_t& count) {
    const PushResult result = try_push(values[0]);
    count = result == PushResult::ok ? 1 : 0;
    return result;
  }
  PopResult try_pop_many(T* out, std::size_t, std::size_t& count) {
    alignas(T) unsigned char storage[sizeof(T)];
    const PopResult result = try_pop(storage);
    count = 0;
    if (result == PopResult::ok) {
      T* value = std::launder(reinterpret_cast<T*>(storage));
      out[0] = std::move(*value);
      value->~T();
      count = 1;
    }
    return result;
  }
  bool explored() const noexcept { return lanes_[0].explored(); }
  // Lane 0 closes last: closed() and a pop that finds lane 0 closed mean both are.
  bool close() {
    lanes_[1].close();
    return lanes_[0].close();
  }
  bool closed() const { return lanes_[0].closed(); }
  std::size_t len() const { return lanes_[0].len() + lanes_[1].len(); }
  std::size_t capacity() const noexcept { return capacity_; }
  bool has_item_or_closed() const { return closed() || len() > 0; }
  bool has_room_or_closed() const { return closed() || len() < capacity_; }

 private:
  detail::Ring<T>& lane_of(const T& value) {
    return lanes_[(value.id >> scenarios::ConsumerLog::kSeqBits) & 1];
  }
  std::size_t capacity_;
  detail::Ring<T> lanes_[2];
};

}  // namespace tmpmc::mutants
