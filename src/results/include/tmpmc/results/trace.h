// trace.h: the schedule of deterministic runs (run --trace), one event per line.
#pragma once

#include <cstdio>
#include <vector>

#include "tmpmc/results/summary.h"

namespace tmpmc::results {

// print_traces(): each run's seed, event count and trace hash, then its last
// `last` scheduling events.
void print_traces(std::FILE* out, const std::vector<ScenarioResult>& results,
                  std::size_t last = 400);

}  // namespace tmpmc::results
