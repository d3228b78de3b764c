// stress_report.h: what stress mode found, for people (one line per scenario,
// each failure with its replay command) and for machines (stress/v1).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "tmpmc/scenarios/stress.h"

namespace tmpmc::results {

// print_stress(): the scenarios' lines, the failures, and the totals.
void print_stress(std::ostream& out, const std::vector<scenarios::StressResult>& results,
                  const scenarios::StressOptions& options);
// to_json(): the stress/v1 document.
nlohmann::json to_json(const std::vector<scenarios::StressResult>& results,
                       const scenarios::StressOptions& options);

bool any_failed(const std::vector<scenarios::StressResult>& results) noexcept;

}  // namespace tmpmc::results
