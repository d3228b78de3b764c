// mutants.h: deliberately broken queues, one per class of bug that stress
// mode must catch. Each is the real protocol (detail::QueueCore) with one
// step replaced by a broken one: a step of the core, which the core calls
// through its Derived parameter, or an operation of its ring, in a ring
// derived from detail::Ring (mutant_rings.h). They exist only in this test
// binary. They are broken where stress runs them, on a deterministic runtime:
// a queue nobody explores sends and receives through the core's own inlined
// plain copy of those steps (queue_core.h), not through Derived's.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "backends/runtime_executor.h"
#include "driver/driver_loops.h"
#include "mutant_rings.h"
#include "tmpmc/queue/detail/queue_core.h"
#include "tmpmc/queue/detail/value_api.h"

namespace tmpmc::mutants {

using detail::PopResult;
using detail::PushResult;
using detail::QueueCore;

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

// (9) A push publishes its slot before writing the value into it.
template <class T>
using StampBeforeValue = QueueCore<T, void, RingPublishingBeforeWrite<T>>;

// (10) A pop frees its slot for the next lap before reading the value out.
template <class T>
using FreeSlotBeforeRead = QueueCore<T, void, RingFreeingBeforeRead<T>>;

// (17) A batch push publishes its run of slots before writing the values.
template <class T>
using BatchStampsBeforeValues = QueueCore<T, void, RingPublishingRunBeforeWrite<T>>;

// (17) A pop's stamp load weakened from acquire to relaxed: the value it
// reads is not ordered after the push that wrote it. A weak-memory bug:
// every deterministic mode passes it (they are sequentially consistent);
// the TSan tier's spread stress catches it (weak_memory_test, through
// tmpmc-bench-planted, whose impl planted-relaxed-stamp it is). Its ring's
// try_pop_unexplored is broken too: real threads run that one.
template <class T>
using PopStampWithoutAcquire = QueueCore<T, void, RingPoppingWithRelaxedStamp<T>>;

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

// (13) A queue that holds capacity + 1 values while reporting capacity.
template <class T>
using OneValueTooMany = QueueCore<T, void, RingOneTooMany<T>>;

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
// not one per payload size.
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

// Each mutant's loops are instantiated once, for every binary that runs them
// (stress_test, stress_cli_test, tmpmc-mutant-table): they are the suite's
// slowest code to compile, and each binary compiling its own copy cost a
// minute of CPU per build. The lists: the mutants whose broken step is the
// core's (instantiated in mutant_runs.cpp) and those whose broken step is
// their ring's (mutant_ring_runs.cpp), so that the two compile in parallel.
// clang-format off
#define TMPMC_CORE_MUTANTS(X) \
  X(CheckThenWaitUnregistered) \
  X(NotifyBeforePublish) \
  X(PushAfterCloseOnWake) \
  X(SpinUntilItem) \
  X(TimedOutReceiveConsumes) \
  X(TimedReceiveWaitsBeforeLooking) \
  X(TrySendFullWithRoom) \
  X(UnlinkWithoutLock) \
  X(WakeSenderOnlyFromFull) \
  X(WokenSenderKeepsRoomWake)
#define TMPMC_RING_MUTANTS(X) \
  X(BatchStampsBeforeValues) \
  X(FifoBrokenAcrossProducers) \
  X(FreeSlotBeforeRead) \
  X(OneValueTooMany) \
  X(ReadSlotBeforeClaim) \
  X(StampBeforeValue) \
  X(UpgradeIgnoringOwner)
// clang-format on
#define TMPMC_MUTANT_RUN(Core)                                                     \
  template scenarios::RunResult run_mutant<Core>(const scenarios::ScenarioConfig&, \
                                                 const scenarios::DriverOptions&);
#define TMPMC_EXTERN_MUTANT_RUN(Core) extern TMPMC_MUTANT_RUN(Core)
TMPMC_CORE_MUTANTS(TMPMC_EXTERN_MUTANT_RUN)
TMPMC_RING_MUTANTS(TMPMC_EXTERN_MUTANT_RUN)

}  // namespace tmpmc::mutants
