// mutants.h: deliberately broken queues, one per class of bug that stress
// mode must catch. Each is the real protocol (detail::QueueCore) with one
// step replaced by a broken one: a step of the core, which the core calls
// through its Derived parameter, or an operation of its ring, in a ring
// derived from detail::Ring. They exist only in this test binary. They are
// broken where stress runs them, on a deterministic runtime: a queue nobody
// explores sends and receives through the core's own inlined plain copy of
// those steps (queue_core.h), not through Derived's.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "backends/runtime_executor.h"
#include "driver_loops.h"
#include "tmpmc/queue/detail/queue_core.h"
#include "tmpmc/queue/detail/value_api.h"

namespace tmpmc::mutants {

using detail::PopResult;
using detail::PushResult;
using detail::QueueCore;

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
};
template <class T>
using UnconfinedRing = detail::Ring<T, Unconfined>;

// (1) A sender wakes a receiver before its item is in the ring (and hands
// nothing to a parked receiver).
template <class T>
struct NotifyBeforePublish : QueueCore<T, NotifyBeforePublish<T>> {
  using QueueCore<T, NotifyBeforePublish>::QueueCore;
  QueueStatus publish(T& value, bool /*took_wake*/) {
    if (this->ring_.has_room_or_closed() && !this->ring_.closed()) {
      if (this->receivers_.maybe_waiters()) this->receivers_.wake_one();
    }
    const PushResult pushed = this->ring_.try_push(value);
    return pushed == PushResult::ok     ? QueueStatus::ok
           : pushed == PushResult::full ? QueueStatus::full
                                        : QueueStatus::closed;
  }
};

// (2) A receive wakes a sender only when it empties a slot of a full queue
// (tokio-mpmc's channel).
template <class T>
struct WakeSenderOnlyFromFull : QueueCore<T, WakeSenderOnlyFromFull<T>> {
  using QueueCore<T, WakeSenderOnlyFromFull>::QueueCore;
  void after_pop() {
    if (this->ring_.len() + 1 == this->ring_.capacity() && this->senders_.maybe_waiters()) {
      this->senders_.wake_one();
    }
  }
};

// (3) A receiver checks for an item or close, then waits without re-checking
// under the list's lock: a close (or push) in between is never seen.
template <class T>
struct CheckThenWaitUnregistered : QueueCore<T, CheckThenWaitUnregistered<T>> {
  using QueueCore<T, CheckThenWaitUnregistered>::QueueCore;
  runtime::WaitStatus wait_for_item(std::optional<T>&, const runtime::TimePoint* deadline) {
    if (this->ring_.has_item_or_closed()) return runtime::WaitStatus::ready;
    return this->receivers_.wait_unless([] { return false; }, deadline);
  }
};

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

// (4) A sender woken from a full queue pushes without re-checking closed: a
// value accepted after close, which drained receivers never see.
template <class T>
struct PushAfterCloseOnWake : QueueCore<T, PushAfterCloseOnWake<T>, RingWithUncheckedPush<T>> {
  using Base = QueueCore<T, PushAfterCloseOnWake, RingWithUncheckedPush<T>>;
  using Base::Base;
  QueueStatus publish(T& value, bool took_wake) {
    if (took_wake && this->ring_.try_push_ignoring_close(value) == PushResult::ok) {
      this->after_push();
      return QueueStatus::ok;
    }
    return Base::publish(value, took_wake);
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

// (5) A receiver reads the head slot before claiming it.
template <class T>
using ReadSlotBeforeClaim = QueueCore<T, void, RingReadingBeforeClaim<T>>;

// (6) A receive that times out still takes (and drops) a value.
template <class T>
struct TimedOutReceiveConsumes : QueueCore<T, TimedOutReceiveConsumes<T>> {
  using Base = QueueCore<T, TimedOutReceiveConsumes>;
  using Base::Base;
  QueueStatus receive_timed_out(bool took_wake) {
    std::optional<T> dropped;
    this->try_receive_into(dropped);
    return Base::receive_timed_out(took_wake);
  }
};

// (7) A sender woken for room hands its value to a parked receiver and keeps
// the wake: the room stays free while other senders sleep on a full queue.
template <class T>
struct WokenSenderKeepsRoomWake : QueueCore<T, WokenSenderKeepsRoomWake<T>> {
  using QueueCore<T, WokenSenderKeepsRoomWake>::QueueCore;
  void pass_on_room_wake() {}
};

// (8) A receiver on an empty queue spins, yielding, until an item shows up,
// instead of parking; it does not look at close, so once the queue is closed
// and drained it spins for ever on a condition nothing will make true: a
// livelock, which the step cap stops and reports (`livelock`).
template <class T>
struct SpinUntilItem : QueueCore<T, SpinUntilItem<T>> {
  using QueueCore<T, SpinUntilItem>::QueueCore;
  runtime::WaitStatus wait_for_item(std::optional<T>&, const runtime::TimePoint*) {
    while (this->ring_.len() == 0) runtime::this_fiber::yield();
    return runtime::WaitStatus::ready;
  }
};

// The next three hide in a window that only the choice points inside the
// ring's and the wait list's operations can open: with the granularity
// stress had before (runtime::Granularity::operations, where each operation
// runs without interruption) the bounded search passes them.

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

// (9) A push publishes its slot before writing the value into it.
template <class T>
using StampBeforeValue = QueueCore<T, void, RingPublishingBeforeWrite<T>>;

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

// (10) A pop frees its slot for the next lap before reading the value out.
template <class T>
using FreeSlotBeforeRead = QueueCore<T, void, RingFreeingBeforeRead<T>>;

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

// (17) A batch push publishes its run of slots before writing the values.
template <class T>
using BatchStampsBeforeValues = QueueCore<T, void, RingPublishingRunBeforeWrite<T>>;

// UpgradeWithoutWaiting: the upgrade of a confined ring (confinement.h) marks
// it shared without waiting for the owner's confined access to end.
class UpgradeWithoutWaiting : public detail::ThreadConfinement<UpgradeWithoutWaiting> {
 public:
  using ThreadConfinement::ThreadConfinement;
  template <bool Explore>
  void wait_for_owner_to_leave() {}
};

// (18) An upgrade that does not wait for the owner: the owner's confined push
// (pop) and the upgrader's claiming one take the same slot.
template <class T>
using UpgradeIgnoringOwner = QueueCore<T, void, detail::Ring<T, UpgradeWithoutWaiting>>;

// WaitListLinks: reaches a WaitList's protected links, as a derived class
// may (through pointers to members of the derived class).
struct WaitListLinks : runtime::WaitList {
  // wake_one_unlocked(): wake_one without taking the list's lock.
  static bool wake_one_unlocked(runtime::WaitList& list) {
    runtime::Waiter* waiter = list.*(&WaitListLinks::head_);
    if (waiter == nullptr) return false;
    (list.*(&WaitListLinks::unlink))(*waiter);
    (list.*(&WaitListLinks::wake))(*waiter);
    return true;
  }
};

// (11) A push wakes a parked receiver by unlinking it without the list's
// lock: a receiver that has locked the list and is re-checking the ring is
// not linked yet, so the wake finds nobody, and the receiver then parks for
// an item that is already there.
//
// Its ring is unconfined: with a confined first phase the search meets a
// schedule where the unlocked unlink corrupts a waiter's stack (the harness
// crashes) before the one where it strands the receiver (a hang it can
// report); the bug is the wait list's, the same either way.
template <class T>
struct UnlinkWithoutLock : QueueCore<T, UnlinkWithoutLock<T>, UnconfinedRing<T>> {
  using QueueCore<T, UnlinkWithoutLock, UnconfinedRing<T>>::QueueCore;
  void after_push() {
    if (this->receivers_.maybe_waiters()) WaitListLinks::wake_one_unlocked(this->receivers_);
  }
};

// The next four deliver every message, once, in each producer's order: the
// message checks pass them. Only the linearizability check of the history
// of the queue's answers (linearizability.h) catches them.

// RingOneTooMany: a ring with one slot more than it reports.
template <class T>
class RingOneTooMany : public detail::Ring<T> {
  using Base = detail::Ring<T>;

 public:
  explicit RingOneTooMany(std::size_t capacity) : Base(capacity + 1) {}
  std::size_t capacity() const noexcept { return Base::capacity() - 1; }
};

// (13) A queue that holds capacity + 1 values while reporting capacity.
template <class T>
using OneValueTooMany = QueueCore<T, void, RingOneTooMany<T>>;

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

// (14) FIFO broken across producers.
template <class T>
using FifoBrokenAcrossProducers = QueueCore<T, void, RingWithLanes<T>>;

// (15) try_send answers full when one slot is free (an off-by-one in its
// check). Only try_send: the blocking send's own try is the core's.
template <class T>
struct TrySendFullWithRoom : QueueCore<T, TrySendFullWithRoom<T>> {
  using Base = QueueCore<T, TrySendFullWithRoom>;
  using Base::Base;
  QueueStatus try_send_from(T& value) {
    if (this->len() + 1 >= this->capacity() && !this->is_closed()) return QueueStatus::full;
    return Base::try_send_from(value);
  }
};

// (16) The first timed receive on a queue waits before it looks (as if a
// "looked already" flag started out set): with a value already in the queue
// and no send to wake it, it times out with the value there all along. Close
// still ends its wait, and every later receive is the real one.
template <class T>
struct TimedReceiveWaitsBeforeLooking : QueueCore<T, TimedReceiveWaitsBeforeLooking<T>> {
  using Base = QueueCore<T, TimedReceiveWaitsBeforeLooking>;
  using Base::Base;
  QueueStatus receive_into(std::optional<T>& out, const runtime::TimePoint* deadline) {
    if (deadline != nullptr && !waited_once_) {
      waited_once_ = true;
      const runtime::WaitStatus waited =
          this->receivers_.wait_unless([this] { return this->ring_.closed(); }, deadline);
      if (waited == runtime::WaitStatus::timeout) return QueueStatus::timeout;
    }
    return Base::receive_into(out, deadline);
  }
  bool waited_once_ = false;  // deterministic runs: one fiber at a time
};

// MutantQueue: a Queue<T>-like handle over a broken core, with the value
// API every handle has (value_api.h).
template <class T, template <class> class Core>
class MutantQueue : public detail::SendApi<MutantQueue<T, Core>, T>,
                    public detail::ReceiveApi<MutantQueue<T, Core>, T> {
 public:
  MutantQueue(std::size_t capacity, std::string name)
      : core_(std::make_shared<Core<T>>(capacity, std::move(name))) {}
  bool close() { return core_->close(); }
  std::size_t len() const { return core_->len(); }
  bool is_closed() const { return core_->is_closed(); }

 private:
  friend detail::SendApi<MutantQueue, T>;
  friend detail::ReceiveApi<MutantQueue, T>;
  Core<T>& primitives() { return *core_; }

  std::shared_ptr<Core<T>> core_;
};

template <template <class> class Core>
struct MutantBackend {
  template <class T>
  using Queue = MutantQueue<T, Core>;
  using Executor = scenarios::backends::RuntimeExecutor;
  static constexpr bool kChannel = false;
};

// run_mutant<Core>(): a DriverOptions::run_instead that runs the mutant. The
// stress configs carry no payload: one instantiation of the loops per mutant,
// not one per payload size (this file is the suite's slowest to compile).
template <template <class> class Core>
scenarios::RunResult run_mutant(const scenarios::ScenarioConfig& config,
                                const scenarios::DriverOptions& options) {
  if (config.producers.payload_bytes != 0) {
    scenarios::RunResult result;
    result.error = "mutant runs carry no payload (payload_bytes must be 0)";
    return result;
  }
  return scenarios::loops::run_with_payload<MutantBackend<Core>, 0, true>(config, options);
}

}  // namespace tmpmc::mutants
