// tmpmc.cpp: scenarios on our queue (and channel), on our runtime.
#include "backends/backends.h"
#include "backends/runtime_executor.h"
#include "driver/driver_loops.h"
#include "tmpmc/queue/queue.h"

namespace tmpmc::scenarios::backends {

namespace {
struct TmpmcBackend {
  template <class T>
  using Queue = tmpmc::Queue<T>;
  using Executor = RuntimeExecutor;
  static constexpr bool kChannel = true;
};
}  // namespace

RunResult run_tmpmc(const ScenarioConfig& config, const DriverOptions& options) {
  // Two instantiations: with recording off, no stamp, log or histogram code
  // is compiled into the producer and consumer loops at all.
  return options.record ? loops::run_backend<TmpmcBackend, true>(config, options)
                        : loops::run_backend<TmpmcBackend, false>(config, options);
}

}  // namespace tmpmc::scenarios::backends
