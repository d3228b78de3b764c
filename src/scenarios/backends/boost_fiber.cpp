// boost_fiber.cpp: scenarios on boost::fibers::buffered_channel on Boost.Fiber's
// schedulers.
#include "backends/backends.h"

namespace tmpmc::scenarios::backends {
std::string boost_fiber_note(const ScenarioConfig& config) {
  std::string note = "buffered_channel(" +
                     std::to_string(boost_fiber_slots(config.queue.capacity)) +
                     "): a power of two, holding one less";
  if (config.runtime.workers > 1 && config.runtime.placement == Placement::spread) {
    note +=
        "; spread: one thread per worker, each with its own round_robin scheduler, every "
        "fiber pinned to its thread (no shared_work)";
  } else if (config.runtime.workers > 1) {
    note +=
        "; shared_work with polling threads (suspend = false): Boost 1.81's sleeping "
        "schedulers can miss a wake, boostorg/fiber#327";
  }
  return note;
}
}  // namespace tmpmc::scenarios::backends

// Not compiled in ThreadSanitizer builds: the registry's row says why
// (impls.cpp), and run_scenario() answers with that.
#if !defined(__SANITIZE_THREAD__)
#include "backends/boost_fiber_executor.h"
#include "backends/boost_fiber_queue.h"
#include "driver/driver_loops.h"

namespace tmpmc::scenarios::backends {

namespace {
struct BoostFiberBackend {
  template <class T>
  using Queue = BoostFiberQueue<T>;
  using Executor = BoostFiberExecutor;
  static constexpr bool kChannel = false;
};
}  // namespace

RunResult run_boost_fiber(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<BoostFiberBackend, true>(config, options);
}

}  // namespace tmpmc::scenarios::backends

#endif  // __SANITIZE_THREAD__
