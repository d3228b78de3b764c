// mutex.cpp: scenarios on a std::mutex + ring with the runtime's park/wake, on our runtime.
#include "backends/backends.h"
#include "backends/runtime_executor.h"
#include "driver/driver_loops.h"
#include "tmpmc/queue/peers/mutex_queue.h"

namespace tmpmc::scenarios::backends {

namespace {
struct MutexBackend {
  template <class T>
  using Queue = peers::MutexQueue<T>;
  using Executor = RuntimeExecutor;
  static constexpr bool kChannel = false;
};
}  // namespace

RunResult run_mutex(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<MutexBackend, true>(config, options);
}

}  // namespace tmpmc::scenarios::backends
