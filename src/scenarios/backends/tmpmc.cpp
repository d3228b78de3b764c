// tmpmc.cpp: scenarios on our queue (and channel), on our runtime.
#include "backends/backends.h"
#include "backends/runtime_executor.h"
#include "driver_loops.h"
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

runtime::Options runtime_options(const ScenarioConfig& c, const DriverOptions& o,
                                 TraceState trace_state) {
  runtime::Options ro;
  ro.workers = c.runtime.workers;
  ro.deterministic = c.runtime.deterministic;
  ro.seed = c.runtime.seed;
  ro.policy = o.policy;
  ro.stack_size = static_cast<std::size_t>(c.runtime.stack_kib) * 1024;
  ro.watchdog = std::chrono::milliseconds(c.run.timeout_ms);
  ro.record_trace = o.trace && c.runtime.deterministic;
  if (ro.record_trace) ro.trace_state = std::move(trace_state);
  return ro;
}

RunResult run_tmpmc(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<TmpmcBackend, true>(config, options);
}

RunResult run_tmpmc_bare(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<TmpmcBackend, false>(config, options);
}

}  // namespace tmpmc::scenarios::backends
