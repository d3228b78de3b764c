// runtime_executor.cpp: a scenario's runtime settings as runtime::Options,
// for every backend on our runtime (tmpmc, mutex, seed).
#include "backends/runtime_executor.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <utility>

#include "tmpmc/scenarios/crash_report.h"

namespace tmpmc::scenarios::backends {

runtime::Options runtime_options(const ScenarioConfig& c, const DriverOptions& o,
                                 TraceState trace_state) {
  runtime::Options ro;
  ro.workers = c.runtime.workers;
  ro.deterministic = c.runtime.deterministic;
  ro.seed = c.runtime.seed;
  ro.policy = o.policy;
  ro.stack_size = static_cast<std::size_t>(c.runtime.stack_kib) * 1024;
  ro.timer_spin = std::chrono::microseconds(c.runtime.timer_spin_us);
  ro.watchdog = c.hang_after();
  ro.max_steps = o.max_steps;
  ro.choice_points = o.choice_points;
  if (o.interrupt != nullptr || o.stop_at) {
    ro.stop_requested = [interrupt = o.interrupt, stop_at = o.stop_at] {
      return (interrupt != nullptr && interrupt->load(std::memory_order_relaxed)) ||
             (stop_at && std::chrono::steady_clock::now() >= *stop_at);
    };
  }
  ro.record_trace = o.trace && c.runtime.deterministic;
  ro.record_schedule = o.record_schedule && c.runtime.deterministic;
  if (c.runtime.deterministic) ro.schedule_tap = crash_schedule_tap();
  if (ro.record_trace) ro.trace_state = std::move(trace_state);
  return ro;
}

}  // namespace tmpmc::scenarios::backends
