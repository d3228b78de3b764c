// stress.h: seeded schedule exploration. Each scenario runs once per seed in
// deterministic mode (one worker, virtual time, every shared access of the
// queue and the runtime a choice point), until a run fails its checks or the seeds or the time run
// out. A failure comes with its seed, its schedule (runtime/schedule.h) and the command that
// replays that schedule exactly, whatever policy found it.
//
// With workers > 1 the runs are real-thread instead (memory-ordering bugs,
// under TSan): each iteration draws its close point from the seed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/driver.h"
#include "tmpmc/scenarios/failure_class.h"

namespace tmpmc::scenarios {

// parse_policy("random" | "pct:D" | "pos" | "round_robin"). Throws
// ConfigError. pct:D leaves k to be learned (driver.h, pct_choices).
runtime::SchedulePolicy parse_policy(const std::string& text);
std::string policy_text(const runtime::SchedulePolicy& policy);

// How stress chooses schedules: a sample (one per seed, from the policy), or
// the bounded search (every schedule up to `bound` preemptions, once each;
// explore.cpp).
enum class Explore { seeds, bounded };

// Shard K of N (1-based) of a bounded search: N shards together run every
// schedule exactly once (explore.cpp says how the search is split).
struct Shard {
  unsigned index = 1, count = 1;
};

struct StressResult;

struct StressOptions {
  Explore explore = Explore::seeds;
  unsigned bound = 2;  // bounded: the most preemptions a schedule may have
  Shard shard;         // bounded: which part of the search to run
  // bounded: skip what an equivalent schedule explored already (explore.cpp).
  bool reduce = true;
  // Which labelled accesses are choice points (runtime::Options::choice_points).
  runtime::Granularity choice_points = runtime::Granularity::every_access;
  // Record every deterministic run's queue operations and check that the
  // history is linearizable (linearizability.h); off: --no-linearizability.
  bool linearizability = true;
  std::uint64_t seeds = 10'000;
  std::uint64_t seed_start = 1;
  runtime::SchedulePolicy policy;  // random by default
  unsigned workers = 1;            // 1: deterministic; more: real threads
  // Real threads: where producers and consumers run (runtime.placement).
  // spread by default: a queue's fibers on different cores is what real
  // threads are for (the deterministic search covers one core).
  Placement placement = Placement::spread;
  // time_budget: checked between seeds and inside each deterministic run.
  std::chrono::milliseconds time_budget{60'000};
  // max_steps: the runtime's step cap per deterministic run (a livelock or a
  // runaway past it is a failure).
  std::uint64_t max_steps = runtime::Options::kDefaultMaxSteps;
  std::string config_path;  // for the replay command
  std::string impl;         // for the replay command ("" when the config's own)
  DriverOptions driver;     // clock, interrupt, run_instead
  // on_run, if set, sees every run's result as it ends (to compare what
  // searches reach: RunResult::outcome).
  std::function<void(const RunResult&)> on_run;
  // on_result, if set, sees each scenario's result as its search ends (the
  // CLI keeps a copy that its stop watchdog can write).
  std::function<void(const StressResult&)> on_result;
  // Shrink each deterministic failure's schedule before reporting it
  // (shrink.cpp); off: --no-shrink.
  bool shrink = true;
  // Only a run whose first class is this one fails; others count as passing
  // (shrinking searches for one class). Empty: every failure.
  std::optional<FailureClass> target;
  // bounded: stop after this many schedules (not exhausted).
  std::uint64_t max_schedules = UINT64_MAX;
};

// How a failure's schedule was shrunk (shrink.h).
struct ShrinkReport {
  unsigned preemptions = 0;  // of the printed schedule
  std::uint64_t steps = 0;
  unsigned original_preemptions = 0;  // of the schedule that failed first
  std::uint64_t original_steps = 0;
  std::uint64_t runs = 0;  // runs shrinking took
  // Every schedule with fewer preemptions was run and none fails this way.
  bool fewer_ruled_out = false;
  // One line per place the schedule leaves the default (a preemption, or a
  // free choice other than the longest-waiting fiber): the step, the fibers,
  // and the access, park or wake where the switch happens.
  std::vector<std::string> switches;
};

// One failing run: what broke, and how to see it again.
struct StressFailure {
  std::uint64_t seed = 0;  // seeds only
  // bounded only: the preemptions of the failing schedule (the smallest
  // bound that fails: the search goes bound by bound).
  std::optional<unsigned> bound;
  std::string kind;  // to_string() of its FailureClass
  // Every class the run broke, kind first (a lost message, say, may also
  // make the history not linearizable).
  std::vector<std::string> kinds;
  std::vector<std::string> lines;  // the checks that failed, the parked fibers
  // The failing run's schedule as text (deterministic runs; "" with real
  // threads, or when longer than kMaxScheduleText: schedule_note says so).
  std::string schedule;
  std::string schedule_note;
  std::string replay;  // a ready-to-run command line: `run ... --schedule S` when there is one
  std::uint64_t trace_hash = 0;
  // The schedule, lines and replay above are the shrunk run's, when it shrank.
  std::optional<ShrinkReport> shrunk;
};
// A schedule longer than this as text (a run the step cap stopped can have
// millions of choices) is not printed; its failure replays by seed instead.
inline constexpr std::size_t kMaxScheduleText = 1u << 20;

// One bound of a bounded search: the schedules with exactly `bound`
// preemptions that ran (this shard's), and whether that was all of them.
struct BoundCount {
  unsigned bound = 0;
  std::uint64_t schedules = 0;
  bool exhausted = false;
};

struct StressResult {
  std::string scenario;
  std::string impl;
  std::uint64_t seeds_run = 0;     // seeds: seeds run; bounded: schedules run
  std::vector<BoundCount> bounds;  // bounded only, from bound 0 up
  // The choice point sites (runtime/choice_point.h) the scenario's runs
  // passed through, over every seed or schedule: its coverage.
  runtime::ChoicePointSet choice_points_reached;
  double elapsed_s = 0;
  double seeds_per_sec = 0;
  std::uint64_t messages = 0;  // received, over all seeds
  // Seeds under pct:D: the k its change points were drawn below, learned
  // from a first run of the scenario (driver.h, pct_choices); else 0.
  std::uint64_t pct_choices = 0;
  std::optional<StressFailure> failure;
  // The time budget ran out (or a signal came) before the seeds did; a seed
  // stopped in the middle is not counted in seeds_run.
  bool out_of_time = false;
  // The command was ended while this scenario's search was under way and
  // could not stop (the CLI's stop watchdog): its counts are not known.
  bool interrupted = false;
};

// failure_classes(): every class a run broke, in FailureClass's order
// (empty when it passed). classify(): the first of them.
std::vector<FailureClass> failure_classes(const RunResult& run);
std::optional<FailureClass> classify(const RunResult& run);
// failure_kind(): the name of classify()'s class ("" when the run passed).
std::string failure_kind(const RunResult& run);
// failure_schedule(): the schedule of a failed run as text, for a result to
// carry; "" when it passed, kept no schedule, or its text is longer than
// kMaxScheduleText.
std::string failure_schedule(const RunResult& run);

// stress_config(): the config as one stress iteration runs it; with
// workers > 1, on real threads with that placement.
ScenarioConfig stress_config(const ScenarioConfig& config, std::uint64_t seed, unsigned workers,
                             Placement placement = Placement::spread);

// run_stress(): every scenario, seed after seed (or bound after bound);
// stops at the first failure.
std::vector<StressResult> run_stress(const std::vector<ScenarioConfig>& configs,
                                     const StressOptions& options);

}  // namespace tmpmc::scenarios
