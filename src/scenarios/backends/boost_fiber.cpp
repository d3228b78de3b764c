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
#if defined(__SANITIZE_THREAD__)
  // Boost.Fiber's stack switches are not annotated for ThreadSanitizer (ours
  // are: src/runtime/sanitizer.h); under it, its runs would report nonsense.
  (void)options;
  RunResult result;
  result.error =
      "queue.impl \"boost-fiber\" is not available in a ThreadSanitizer build (Boost.Fiber's "
      "stack switches are invisible to TSan)";
  (void)config;
  return result;
#else
  return loops::run_backend<BoostFiberBackend, true>(config, options);
#endif
}

}  // namespace tmpmc::scenarios::backends
