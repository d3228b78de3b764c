// stress_support.h: what the stress suites share (stress_test.cpp,
// stress_bounded_test.cpp, stress_answers_test.cpp, stress_cli_test.cpp): the
// shipped stress configs, the options a test runs them with, and the table of
// mutants with where each must be caught.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "test_paths.h"
#include "tmpmc/scenarios/stress.h"

namespace stress_support {

namespace sc = tmpmc::scenarios;

inline const sc::TimestampClock& test_clock() {
  static const sc::TimestampClock clock = sc::TimestampClock::calibrate();
  return clock;
}

inline std::vector<sc::ScenarioConfig> stress_configs() {
  std::vector<sc::ScenarioConfig> all;
  for (const char* file :
       {"close-race.json", "wake-edge.json", "faults.json", "answers.json", "batch.json"}) {
    auto more = sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/" + file);
    all.insert(all.end(), more.begin(), more.end());
  }
  return all;
}

inline sc::StressOptions stress_options(std::uint64_t seeds) {
  sc::StressOptions options;
  options.seeds = seeds;
  options.time_budget = std::chrono::minutes(10);
  options.config_path = "configs/stress/x.json";
  options.driver.clock = &test_clock();
  return options;
}

inline const sc::StressResult* first_failure(const std::vector<sc::StressResult>& results) {
  for (const auto& r : results) {
    if (r.failure) return &r;
  }
  return nullptr;
}

struct MutantCase {
  const char* name;
  sc::RunResult (*run)(const sc::ScenarioConfig&, const sc::DriverOptions&);
  const char* kind;  // the class of failure it must be caught as
  // Where the bounded search catches it, and at which bound (the smallest:
  // the bounds below pass there); the README's table of mutants.
  const char* scenario;
  unsigned bound;
  // Its window is inside a ring or wait-list operation: the search with the
  // coarser granularity stress had before (operations) passes it.
  bool needs_inner_points = false;
  // The class the seeds find first, if not `kind` (a sampled schedule may
  // show another symptom of the same bug before the search's).
  const char* seeds_kind = nullptr;
  // The policy of the seeds test (random unless it needs PCT's bias toward
  // running one fiber long: a pattern of parks random interleaving rarely
  // lines up).
  const char* seeds_policy = "random";
  // Caught by sampled seeds too (the Mutants test). false: its window opens
  // once per run (the ring's one upgrade), which sampled schedules seldom
  // hit; the bounded search still must catch it.
  bool by_seeds = true;
};
// PrintTo(): a failing case shows the mutant's name, not its bytes.
inline void PrintTo(const MutantCase& m, std::ostream* out) { *out << m.name; }
// mutant_cases(): every mutant of mutants.h and the class it must be caught
// as (defined in stress_test.cpp: one file instantiates the mutants' runs).
std::vector<MutantCase> mutant_cases();

inline sc::StressOptions bounded_options(unsigned bound) {
  auto options = stress_options(1);
  options.explore = sc::Explore::bounded;
  options.bound = bound;
  return options;
}

// Seen: every schedule a search runs, as text, through the driver's hook.
struct Seen {
  std::vector<std::string> schedules;
  void watch(sc::StressOptions& options) {
    options.driver.run_instead = [this, inner = options.driver.run_instead](
                                     const sc::ScenarioConfig& c, const sc::DriverOptions& o) {
      sc::DriverOptions plain = o;
      plain.run_instead = nullptr;
      sc::RunResult run = inner ? inner(c, plain) : sc::run_scenario(c, plain);
      if (run.schedule) schedules.push_back(run.schedule->text());
      return run;
    };
  }
};

inline std::uint64_t total(const sc::StressResult& r) {
  std::uint64_t sum = 0;
  for (const auto& b : r.bounds) sum += b.schedules;
  return sum;
}

// find_config(): the shipped stress scenario of that name.
inline sc::ScenarioConfig find_config(const std::string& name) {
  for (auto& config : stress_configs()) {
    if (config.name == name) return config;
  }
  ADD_FAILURE() << "no stress scenario " << name;
  return {};
}

// run_cli(args, exit_code): cli_runner.h's run_cli, in the shape these tests read.
inline std::string run_cli(const std::string& args, int& exit_code) {
  const tmpmc::testing::CliRun run = tmpmc::testing::run_cli(args);
  exit_code = run.exit_code;
  return run.output;
}

// replay_args(out): the arguments of the `replay: tmpmc-bench ...` line a
// failing stress command printed ("" if it printed none).
inline std::string replay_args(const std::string& out) {
  const std::string marker = "replay: tmpmc-bench ";
  const auto at = out.find(marker);
  if (at == std::string::npos) return {};
  const auto start = at + marker.size();
  return out.substr(start, out.find('\n', start) - start);
}

}  // namespace stress_support
