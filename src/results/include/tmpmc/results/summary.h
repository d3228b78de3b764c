// report.h: results for people (a table) and for machines (result JSON, schema v1).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/driver.h"

namespace tmpmc::scenarios {

struct ScenarioResult {
  ScenarioConfig config;
  std::vector<RunResult> runs;  // measured runs (warm-up runs are not kept)
  Histogram latency;            // all measured runs merged
  double median_msgs_per_sec = 0, min_msgs_per_sec = 0, max_msgs_per_sec = 0;
  double switches_per_msg = 0;
  bool interrupted = false;
  // In an impl group: the first impl of the group, and this one's median
  // throughput and p99 as ratios against it (1.0 for the first itself).
  std::string baseline_impl;
  double ratio_msgs_per_sec = 0;
  double ratio_p99 = 0;
  std::string note;                   // what the impl changed, e.g. boost-fiber's rounded capacity
  std::vector<std::string> failures;  // checks and expectations that failed
  bool passed() const noexcept { return failures.empty() && !interrupted; }
};

// summarize(): fills the summary, the failures and the verdict from `runs`.
void summarize(ScenarioResult& result);
// compare_group(): the ratios of each result against the first (an impl group).
void compare_group(std::vector<ScenarioResult>::iterator first,
                   std::vector<ScenarioResult>::iterator last);

struct ReportContext {
  std::string started_at;  // ISO 8601, UTC
  std::string clock;       // how latency was stamped
};

void print_table(std::ostream& out, const std::vector<ScenarioResult>& results,
                 const ReportContext& context);
nlohmann::json to_json(const std::vector<ScenarioResult>& results, const ReportContext& context);

// write_file_atomically(): a temp file beside `path`, then rename: readers see
// the whole file or none of it. Throws std::runtime_error naming the path.
void write_file_atomically(const std::string& path, const std::string& content);

// Facts about this build and host for result files.
nlohmann::json tool_info();
nlohmann::json host_info();
std::string utc_now_iso8601();

}  // namespace tmpmc::scenarios
