// explore.h: what stress.cpp's two ways of choosing schedules share: the
// budget, the failure report, and the bounded search (explore.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "tmpmc/scenarios/stress.h"

namespace tmpmc::scenarios {

// StressClock: when a stress command must stop (its time budget, a signal).
struct StressClock {
  std::chrono::steady_clock::time_point deadline;
  const std::atomic<bool>* interrupt = nullptr;
  bool interrupted() const noexcept {
    return interrupt != nullptr && interrupt->load(std::memory_order_relaxed);
  }
  bool out_of_time() const { return interrupted() || std::chrono::steady_clock::now() >= deadline; }
};

// failure_of(): the report of a failed run: its class, lines, schedule and
// replay command (`seed` for the seed form, when the schedule is too long).
StressFailure failure_of(const ScenarioConfig& config, const RunResult& run, FailureClass kind,
                         std::uint64_t seed, const StressOptions& options);

// report_failure(): failure_of() for a failed run of `run_config` (the
// config as stress ran it), with its schedule shrunk first (shrink.h) unless
// options.shrink is off. `minimal_bound`: the bound the search failed at.
StressFailure report_failure(const ScenarioConfig& config, const ScenarioConfig& run_config,
                             const RunResult& run, FailureClass kind, std::uint64_t seed,
                             const StressOptions& options, const DriverOptions& driver,
                             std::optional<unsigned> minimal_bound);

// explore_bounded(): the bounded search of one scenario (explore.cpp): every
// schedule with at most options.bound preemptions (this shard's part), bound
// by bound, until a failure or the budget. Fills `result`'s bounds,
// seeds_run (schedules run), messages, failure and out_of_time.
void explore_bounded(const ScenarioConfig& config, const StressOptions& options,
                     const DriverOptions& driver, const StressClock& clock, StressResult& result);

}  // namespace tmpmc::scenarios
