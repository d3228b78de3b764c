// boost_fiber.cpp: scenarios on boost::fibers::buffered_channel on Boost.Fiber's
// schedulers.
#include "backends/backends.h"
#include "backends/boost_fiber_executor.h"
#include "backends/boost_fiber_queue.h"
#include "driver_loops.h"

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
