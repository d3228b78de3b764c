// shrink.h: a failing schedule made small before it is printed (shrink.cpp
// says how). stress.cpp shrinks every deterministic failure unless
// --no-shrink; the result replays with `run --schedule` like any schedule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stress/explore.h"
#include "tmpmc/scenarios/driver.h"
#include "tmpmc/scenarios/failure_class.h"

namespace tmpmc::scenarios {

// The runs shrinking may spend, so that it ends (and ends alike on every
// machine: a count, not a clock) however long the failing schedule is.
inline constexpr std::uint64_t kShrinkRuns = 4'000;
// The schedules the bounded search below the shrunk schedule's preemptions
// may spend looking for one with fewer.
inline constexpr std::uint64_t kShrinkSearchSchedules = 250'000;

struct Shrunk {
  RunResult run;  // the shrunk schedule's run (RunResult::schedule is it)
  ShrinkReport report;
};

// shrink_failure(): `failed` (a deterministic run of `config` with its
// schedule recorded, whose first failure class is `kind`) shrunk: fewest
// preemptions first, then fewest steps, with the same failure class. Runs go
// through `driver` (its impl, checks, run_instead) under the bounded policy.
// `minimal_bound`: the failure came from the bounded search at that bound,
// which already ran every schedule with fewer preemptions. nullopt when the
// failure does not shrink (the step cap stopped it, it has no schedule, or
// its schedule does not fail again under the bounded policy), or the command
// was interrupted.
std::optional<Shrunk> shrink_failure(const ScenarioConfig& config, const RunResult& failed,
                                     FailureClass kind, const DriverOptions& driver,
                                     const StressOptions& options,
                                     std::optional<unsigned> minimal_bound);

}  // namespace tmpmc::scenarios
