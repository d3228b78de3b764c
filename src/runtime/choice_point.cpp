// choice_point.cpp: the entry to a deterministic worker's choice points, and
// the runtime's list of its sites (for coverage reports).
#include "tmpmc/runtime/choice_point.h"

#include <array>
#include <string>

#include "worker.h"

namespace tmpmc::runtime {

using detail::Worker;

void choice_point(const ChoicePointSite& site, const void* object, bool write) {
  Worker* worker = Worker::current();
  if (worker != nullptr && worker->deterministic())
    worker->choice_point(site, object, write, false);
}

void spin_point(const ChoicePointSite& site, const void* object, bool waiting) {
  Worker* worker = Worker::current();
  if (worker != nullptr && worker->deterministic()) {
    worker->choice_point(site, object, false, waiting);
    return;
  }
  // Explored objects live on deterministic runtimes only: off its fibers,
  // nothing runs that could change what this spin waits for.
  if (waiting) {
    throw SpinWithoutRunner(std::string(site.label) +
                            ": a spin waits for a change that no fiber is left to make");
  }
}

std::span<const ChoicePointSite* const> runtime_choice_points() noexcept {
  using namespace sites;
  static constexpr std::array<const ChoicePointSite*, 22> kAll{&kWaitLock,
                                                               &kWakeOneLock,
                                                               &kWakeAllLock,
                                                               &kHandOffLock,
                                                               &kLeaveLock,
                                                               &kLockSpin,
                                                               &kLockRetry,
                                                               &kLeaveLockSpin,
                                                               &kLeaveLockRetry,
                                                               &kUnlock,
                                                               &kMaybeWaiters,
                                                               &kWakeTimed,
                                                               &kWakeUntimed,
                                                               &kNotifyLock,
                                                               &kNotifyWithdrawLock,
                                                               &kNotifyCallsBump,
                                                               &kNotifyCallsRead,
                                                               &kNotifyCallsRecheck,
                                                               &kNotifiedStateLocked,
                                                               &kNotifiedStateRead,
                                                               &kNotifiedDone,
                                                               &kNotifyWake};
  return kAll;
}

}  // namespace tmpmc::runtime
