// result_json.h: results for machines: the result/v1 document (DESIGN.md),
// which compare, CI and scripts/plot.py read.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "tmpmc/results/summary.h"

namespace tmpmc::results {

nlohmann::json to_json(const std::vector<ScenarioResult>& results, const ReportContext& context);

}  // namespace tmpmc::results
