// runtime_executor.h: scenarios on our runtime (the tmpmc, mutex and seed
// queues). The executor interface the driver's loops use is described in
// driver_loops.h.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/driver.h"

namespace tmpmc::scenarios::backends {

// A description of the program's state for trace lines (runtime only).
using TraceState = std::function<std::string()>;

// runtime_options(): a scenario's runtime section as runtime::Options.
runtime::Options runtime_options(const ScenarioConfig& c, const DriverOptions& o,
                                 TraceState trace_state);

class RuntimeExecutor {
 public:
  using Handle = runtime::JoinHandle<void>;
  // Runs in deterministic mode when the config asks: the driver then may
  // record the run's history (recorded_queue.h).
  static constexpr bool kCanBeDeterministic = true;
  RuntimeExecutor(const ScenarioConfig& c, const DriverOptions& o, TraceState trace_state)
      : runtime_(runtime_options(c, o, std::move(trace_state))),
        recorded_schedule_(o.record_schedule || o.trace) {}
  // block_on(): a StoppedError (the step cap, a stop request) goes on to
  // the driver as any stuck run does; finish() says why it stopped.
  template <class F>
  void block_on(F&& root) {
    try {
      runtime_.block_on(std::forward<F>(root));
    } catch (const runtime::StoppedError& e) {
      stopped_ = e.kind();
      throw;
    }
  }
  template <class F>
  Handle spawn(std::string name, F&& f) {
    return runtime::spawn(std::move(name), std::forward<F>(f));
  }
  // spawn_on(): pinned to the worker (runtime.h, spawn_pinned).
  template <class F>
  Handle spawn_on(unsigned worker, std::string name, F&& f) {
    return runtime::spawn_pinned(worker, std::move(name), std::forward<F>(f));
  }
  // The runtime's watchdog ends a stuck run (StuckError from block_on).
  bool join(Handle& h) {
    h.join();
    return true;
  }
  static runtime::TimePoint now() { return runtime::now(); }
  static void sleep_until(runtime::TimePoint t) { runtime::this_fiber::sleep_until(t); }
  // pace_until(): the runtime's workers spin for a timer due within the
  // horizon themselves (runtime::Options::timer_spin, from the same config key).
  static void pace_until(runtime::TimePoint t, std::chrono::nanoseconds /*in Options*/) {
    runtime::this_fiber::sleep_until(t);
  }
  void finish(RunResult& r) const {
    r.stats = runtime_.stats();
    r.stopped = stopped_;
    if (runtime_.deterministic()) {
      r.trace_hash = runtime_.trace_hash();
      r.trace = runtime_.trace();
      if (recorded_schedule_) r.schedule = runtime_.schedule();
      r.choice_points_reached = runtime_.reached_choice_points();
    }
  }

 private:
  runtime::Runtime runtime_;
  const bool recorded_schedule_;
  std::optional<runtime::StopKind> stopped_;
};

}  // namespace tmpmc::scenarios::backends
