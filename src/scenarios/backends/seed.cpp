// seed.cpp: scenarios on the seed design (tokio-mpmc 0.2.4's Queue), on our runtime.
#include "backends/backends.h"
#include "backends/runtime_executor.h"
#include "driver/driver_loops.h"
#include "tmpmc/queue/peers/seed_queue.h"

namespace tmpmc::scenarios::backends {

namespace {
struct SeedBackend {
  template <class T>
  using Queue = peers::SeedQueue<T>;
  using Executor = RuntimeExecutor;
  static constexpr bool kChannel = false;
};
}  // namespace

RunResult run_seed(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<SeedBackend, true>(config, options);
}

}  // namespace tmpmc::scenarios::backends
