// runner.h: runs a list of scenarios (warm-ups, repeats) and collects results.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/driver.h"

namespace tmpmc::scenarios {

// Overrides from the command line, applied on top of every config.
struct Overrides {
  std::optional<unsigned> repeat;
  std::optional<unsigned> warmup;
  std::optional<std::uint64_t> seed;
  std::optional<unsigned> workers;
  std::optional<Placement> placement;
  std::optional<bool> deterministic;
  double scale = 1.0;  // multiplies messages, duration_ms and close.messages
  // --duration: each run lasts this long instead of its messages or
  // duration_ms (not scaled); --timeout: run.timeout_ms.
  std::optional<std::uint64_t> duration_ms;
  std::optional<std::uint64_t> timeout_ms;
  // Each scenario once per impl, in this order (replacing queue.impl lists).
  std::vector<std::string> impls;
};

// parse_impl_list("tmpmc,mutex"): the names, checked. Throws ConfigError.
std::vector<std::string> parse_impl_list(const std::string& text);

// apply_overrides(): throws ConfigError when an override contradicts a config.
void apply_overrides(std::vector<ScenarioConfig>& configs, const Overrides& overrides);

struct Progress {
  std::size_t scenario, scenarios;  // 1-based
  unsigned run, runs;               // 1-based, warm-ups included
  const std::string& name;
  bool warmup;
};

// ScenarioRuns: what running one scenario produced (results/ summarizes it).
struct ScenarioRuns {
  ScenarioConfig config;
  std::vector<RunResult> runs;  // measured runs, and warm-ups that failed a check
  bool interrupted = false;
  std::string note;  // what the impl changed, e.g. boost-fiber's rounded capacity
};

// impl_group_end(items, first, config_of): one past the last item of the impl
// group that starts at `first` (first + 1 for a scenario outside any group).
template <class Items, class ConfigOf>
std::size_t impl_group_end(const Items& items, std::size_t first, ConfigOf config_of) {
  const unsigned group = config_of(items[first]).impl_group;
  std::size_t end = first + 1;
  while (end < items.size() && group != 0 && config_of(items[end]).impl_group == group) ++end;
  return end;
}

// RunsSoFar: what run_all has finished while it runs, for another thread to
// read: the CLI's stop watchdog writes it when a run cannot be stopped (a
// task spinning for ever on a real runtime never reaches a check of the
// interrupt flag).
class RunsSoFar {
 public:
  // snapshot(): what a stop now would keep: every scenario begun, with its
  // finished runs; those of the impl group under way marked interrupted.
  std::vector<ScenarioRuns> snapshot() const;

 private:
  friend std::vector<ScenarioRuns> run_all(const std::vector<ScenarioConfig>&, const DriverOptions&,
                                           const std::function<void(const Progress&)>&, RunsSoFar*);
  mutable std::mutex mutex_;
  std::vector<ScenarioRuns> runs_;  // under mutex_
  std::size_t under_way_ = 0;       // the first of the group under way (under mutex_)
};

// run_all(): runs each scenario's warm-ups (discarded) and repeats; stops
// early (keeping what finished, marked interrupted) once `interrupt` is set.
// so_far, if given, holds the results while they are gathered (see RunsSoFar).
std::vector<ScenarioRuns> run_all(const std::vector<ScenarioConfig>& configs,
                                  const DriverOptions& options,
                                  const std::function<void(const Progress&)>& progress,
                                  RunsSoFar* so_far = nullptr);

}  // namespace tmpmc::scenarios
