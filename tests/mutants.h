// mutants.h: deliberately broken queues, one per class of bug that stress
// mode must catch. Each is the real queue core with one defect switched on
// (detail::NoBugs in queue_core.h); they exist only in this test binary.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <optional>
#include <string>

#include "backends/runtime_executor.h"
#include "driver_loops.h"
#include "tmpmc/queue/detail/queue_core.h"

namespace tmpmc::mutants {

// (1) A sender wakes a receiver before its item is in the ring.
struct NotifyBeforePublish : detail::NoBugs {
  static constexpr bool notify_before_publish = true;
};
// (2) A receive wakes a sender only when it empties a slot of a full queue.
struct WakeSenderOnlyFromFull : detail::NoBugs {
  static constexpr bool wake_sender_only_from_full = true;
};
// (3) A receiver checks closed, then waits without re-checking under the lock.
struct CheckThenWaitUnregistered : detail::NoBugs {
  static constexpr bool check_then_wait_unregistered = true;
};
// (4) A sender woken from a full queue pushes without re-checking closed.
struct PushAfterCloseOnWake : detail::NoBugs {
  static constexpr bool push_after_close_on_wake = true;
};
// (5) A receiver reads the head slot before claiming it.
struct ReadSlotBeforeClaim : detail::NoBugs {
  static constexpr bool read_slot_before_claim = true;
};
// (6) A receive that times out still takes (and drops) a value.
struct TimedOutReceiveConsumes : detail::NoBugs {
  static constexpr bool timed_out_receive_consumes = true;
};

// (7) A sender woken for room hands its value to a parked receiver and keeps
// the wake: the room stays free while other senders sleep on a full queue.
struct WokenSenderKeepsRoomWake : detail::NoBugs {
  static constexpr bool woken_sender_keeps_room_wake = true;
};

// MutantQueue: Queue<T>'s interface over a broken core.
template <class T, class Bugs>
class MutantQueue {
 public:
  MutantQueue(std::size_t capacity, std::string name)
      : core_(std::make_shared<detail::QueueCore<T, Bugs>>(capacity, std::move(name))) {}
  std::expected<void, Rejected<T>> send(T value) { return core_->send_value(std::move(value)); }
  std::optional<T> receive() { return core_->receive_value(); }
  SendOutcome<T> send_for(T value, runtime::Duration timeout) {
    return core_->send_value_until(std::move(value), runtime::now() + timeout);
  }
  ReceiveOutcome<T> receive_for(runtime::Duration timeout) {
    return core_->receive_value_until(runtime::now() + timeout);
  }
  ReceiveOutcome<T> try_receive() { return core_->try_receive_value(); }
  bool close() { return core_->close(); }
  std::size_t len() const { return core_->len(); }
  bool is_closed() const { return core_->is_closed(); }

 private:
  std::shared_ptr<detail::QueueCore<T, Bugs>> core_;
};

template <class Bugs>
struct MutantBackend {
  template <class T>
  using Queue = MutantQueue<T, Bugs>;
  using Executor = scenarios::backends::RuntimeExecutor;
  static constexpr bool kChannel = false;
};

// run_mutant<Bugs>(): a DriverOptions::run_instead that runs the mutant. The
// stress configs carry no payload: one instantiation of the loops per mutant,
// not one per payload size (this file is the suite's slowest to compile).
template <class Bugs>
scenarios::RunResult run_mutant(const scenarios::ScenarioConfig& config,
                                const scenarios::DriverOptions& options) {
  if (config.producers.payload_bytes != 0) {
    scenarios::RunResult result;
    result.error = "mutant runs carry no payload (payload_bytes must be 0)";
    return result;
  }
  return scenarios::loops::run_with_payload<MutantBackend<Bugs>, 0, true>(config, options);
}

}  // namespace tmpmc::mutants
