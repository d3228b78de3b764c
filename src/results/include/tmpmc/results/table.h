// table.h: results for people: one row per scenario, then the notes and failures.
#pragma once

#include <ostream>
#include <vector>

#include "tmpmc/results/summary.h"

namespace tmpmc::results {

void print_table(std::ostream& out, const std::vector<ScenarioResult>& results,
                 const ReportContext& context);

}  // namespace tmpmc::results
