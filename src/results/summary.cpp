// summary.cpp: per scenario, what its runs amount to (summary.h).
#include "tmpmc/results/summary.h"

#include <algorithm>

#include "tmpmc/results/statistics.h"
#include "tmpmc/results/units.h"
#include "tmpmc/scenarios/stress.h"

namespace tmpmc::results {

namespace {

// summarize_runs(): fills the summary and the failures from `r.runs`.
void summarize_runs(ScenarioResult& r) {
  std::vector<double> rates;
  std::uint64_t switches = 0, received = 0;
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const scenarios::RunResult& run = r.runs[i];
    rates.push_back(run.msgs_per_sec);
    r.latency.merge(run.latency);
    r.send_lateness.merge(run.send_lateness);
    switches += run.stats.switches;
    received += run.check.received;
    r.interrupted |= run.interrupted;
    for (const std::string& failure : run.check.failures()) {
      r.failures.push_back("run " + std::to_string(i + 1) + ": " + failure);
    }
    for (const std::string& line : run.linearizability_report) {
      r.failures.push_back(line.starts_with(" ") ? line
                                                 : "run " + std::to_string(i + 1) + ": " + line);
    }
    if (!run.error.empty()) r.failures.push_back("run " + std::to_string(i + 1) + ": " + run.error);
    if (!run.no_progress.empty()) {
      r.failures.push_back("run " + std::to_string(i + 1) + ": no_progress: " + run.no_progress);
    }
    if (!run.stuck_summary.empty()) {
      r.failures.push_back("run " + std::to_string(i + 1) + ": " + run.stuck_summary);
      for (const std::string& fiber : run.stuck_fibers) r.failures.push_back("  " + fiber);
    }
    // A failed deterministic run's schedule: `run --schedule` replays it.
    if (const std::string schedule = scenarios::failure_schedule(run); !schedule.empty()) {
      r.failures.push_back("run " + std::to_string(i + 1) + ": schedule " + schedule);
    }
  }
  if (!rates.empty()) {
    r.median_msgs_per_sec = median_of(rates);
    r.min_msgs_per_sec = *std::min_element(rates.begin(), rates.end());
    r.max_msgs_per_sec = *std::max_element(rates.begin(), rates.end());
  }
  r.switches_per_msg = received ? static_cast<double>(switches) / static_cast<double>(received) : 0;
  const scenarios::ExpectConfig& e = r.config.expect;
  if (e.min_msgs_per_sec > 0 && r.median_msgs_per_sec < e.min_msgs_per_sec) {
    r.failures.push_back("expect.min_msgs_per_sec: median " +
                         detail::humane_rate(r.median_msgs_per_sec) + "/s is below " +
                         detail::humane_rate(e.min_msgs_per_sec) + "/s");
  }
  if (e.max_p99_ns > 0 && r.latency.percentile(99) > e.max_p99_ns) {
    r.failures.push_back("expect.max_p99_ns: p99 " + detail::humane_ns(r.latency.percentile(99)) +
                         " is above " + detail::humane_ns(e.max_p99_ns));
  }
}

// compare_group(): the ratios of each result against the first (an impl group).
void compare_group(std::vector<ScenarioResult>::iterator first,
                   std::vector<ScenarioResult>::iterator last) {
  const double base_rate = first->median_msgs_per_sec;
  const double base_p99 = static_cast<double>(first->latency.percentile(99));
  for (auto it = first; it != last; ++it) {
    it->baseline_impl = first->config.queue.impl;
    it->ratio_msgs_per_sec = base_rate > 0 ? it->median_msgs_per_sec / base_rate : 0;
    it->ratio_p99 = base_p99 > 0 ? static_cast<double>(it->latency.percentile(99)) / base_p99 : 0;
  }
}

}  // namespace

std::vector<ScenarioResult> summarize(std::vector<scenarios::ScenarioRuns> scenarios) {
  std::vector<ScenarioResult> results;
  results.reserve(scenarios.size());
  for (scenarios::ScenarioRuns& runs : scenarios) {
    ScenarioResult result;
    static_cast<scenarios::ScenarioRuns&>(result) = std::move(runs);
    summarize_runs(result);
    results.push_back(std::move(result));
  }
  for (std::size_t i = 0; i < results.size();) {
    const std::size_t end = scenarios::impl_group_end(
        results, i,
        [](const ScenarioResult& r) -> const scenarios::ScenarioConfig& { return r.config; });
    if (end - i > 1) {
      compare_group(results.begin() + static_cast<std::ptrdiff_t>(i),
                    results.begin() + static_cast<std::ptrdiff_t>(end));
    }
    i = end;
  }
  return results;
}

bool all_passed(const std::vector<ScenarioResult>& results) noexcept {
  return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.passed(); });
}

}  // namespace tmpmc::results
