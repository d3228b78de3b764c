// summary.h: what a list of scenario runs amounts to: per scenario the median
// throughput, the merged latency, the checks and expectations that failed,
// the verdict, and in an impl group the ratios against the group's first.
#pragma once

#include <string>
#include <vector>

#include "tmpmc/scenarios/histogram.h"
#include "tmpmc/scenarios/runner.h"

namespace tmpmc::results {

struct ScenarioResult : scenarios::ScenarioRuns {
  scenarios::Histogram latency;        // all measured runs merged
  scenarios::Histogram send_lateness;  // open loop: the same, of the sends' lateness
  double median_msgs_per_sec = 0, min_msgs_per_sec = 0, max_msgs_per_sec = 0;
  double switches_per_msg = 0;
  // In an impl group: the first impl of the group, and this one's median
  // throughput and p99 as ratios against it (1.0 for the first itself).
  std::string baseline_impl;
  double ratio_msgs_per_sec = 0;
  double ratio_p99 = 0;
  std::vector<std::string> failures;  // checks and expectations that failed
  bool passed() const noexcept { return failures.empty() && !interrupted; }
};

// summarize(): each scenario's summary, failures and verdict, in the order run.
std::vector<ScenarioResult> summarize(std::vector<scenarios::ScenarioRuns> scenarios);

bool all_passed(const std::vector<ScenarioResult>& results) noexcept;

// How the results were taken, for the table and result/v1.
struct ReportContext {
  std::string started_at;  // ISO 8601, UTC
  std::string clock;       // how latency was stamped
};

}  // namespace tmpmc::results
