// replay_command.h: the command line that shows a stress failure again. It
// spells tmpmc-bench's flags (--filter, --schedule, --deterministic, --seed,
// --policy, --trace, --max-steps), so it is the one file of scenarios that must change with them;
// the stress tests run the command it builds through the real CLI.
#pragma once

#include <cstdint>
#include <string>

#include "tmpmc/scenarios/stress.h"

namespace tmpmc::scenarios {

// replay_command(): `tmpmc-bench run CONFIG --filter ... --schedule S`, which
// replays `schedule` whatever policy and seed found it; without a schedule
// (one too long to print), `run ... --deterministic --seed S --policy P`;
// with real threads, `tmpmc-bench stress ... --seed-start S --seeds 1`.
// trace: with --trace, every scheduling event printed; not for a run the step
// cap stopped, whose trace would hold max_steps events.
std::string replay_command(const ScenarioConfig& config, std::uint64_t seed,
                           const std::string& schedule, const StressOptions& options, bool trace);

}  // namespace tmpmc::scenarios
