// stress_bounded_test.cpp: the bounded search runs every schedule once,
// shards and reduces it without losing an outcome, reaches every choice point,
// and catches each mutant at its smallest bound; and each run is bounded (the
// step cap, the time budget inside a run, PCT's fairness).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>

#include "cli_runner.h"
#include "mutants.h"
#include "runtime_fixture.h"
#include "stress_support.h"
#include "test_paths.h"
#include "tmpmc/scenarios/stress.h"

using namespace stress_support;

namespace {

using tmpmc::testing::kSanitized;

// ---------------------------------------------------------------- the bounded search
// The scenarios small enough to search whole at bound 2 in a test (the
// others have up to millions of schedules: the README's counts).
bool searched_whole_in_tests(const std::string& name) {
  if (kSanitized) return name == "close-race-blocked-producers";
  for (const char* small :
       {"close-race-blocked-producers", "faults-timed-receives", "faults-timed-sends",
        "faults-stopping-producers", "wake-edge-handoff"}) {
    if (name == small) return true;
  }
  return false;
}

// Every schedule up to the bound runs once: no schedule twice, the counts
// the same on a second search, and bound by bound.
void runs_every_schedule_once_and_counts_the_same_every_time(unsigned bound) {
  for (const auto& config : stress_configs()) {
    if (!searched_whole_in_tests(config.name)) continue;
    auto options = bounded_options(bound);
    Seen seen;
    seen.watch(options);
    const auto first = sc::run_stress({config}, options);
    ASSERT_EQ(first.size(), 1u);
    const auto& r = first[0];
    ASSERT_FALSE(r.failure.has_value()) << config.name << ": " << r.failure->kind;
    ASSERT_EQ(r.bounds.size(), bound + 1) << config.name;
    for (unsigned b = 0; b <= bound; ++b) {
      EXPECT_EQ(r.bounds[b].bound, b);
      EXPECT_TRUE(r.bounds[b].exhausted) << config.name << " bound " << b;
      EXPECT_GT(r.bounds[b].schedules, 0u) << config.name << " bound " << b;
    }
    EXPECT_EQ(total(r), r.seeds_run);
    EXPECT_EQ(seen.schedules.size(), r.seeds_run) << config.name;
    const std::set<std::string> distinct(seen.schedules.begin(), seen.schedules.end());
    EXPECT_EQ(distinct.size(), seen.schedules.size()) << config.name << ": a schedule ran twice";
    const auto again = sc::run_stress({config}, bounded_options(bound));
    for (unsigned b = 0; b <= bound; ++b) {
      EXPECT_EQ(again[0].bounds[b].schedules, r.bounds[b].schedules) << config.name;
    }
  }
}

TEST(Bounded, runs_every_schedule_once_and_counts_the_same_every_time) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP()
      << "one deterministic worker, one thread: nothing for TSan (ASan and Release run it)";
#endif
  runs_every_schedule_once_and_counts_the_same_every_time(1);
}
TEST(BoundedDeep, runs_every_schedule_once_and_counts_the_same_every_time) {
  runs_every_schedule_once_and_counts_the_same_every_time(2);
}

// --shard K/3: three disjoint parts that add up to the whole search (with
// the reduction off: each shard skips only against its own runs).
void shards_add_up_to_the_whole_search(unsigned bound) {
  for (const auto& config : stress_configs()) {
    if (!searched_whole_in_tests(config.name)) continue;
    auto whole_options = bounded_options(bound);
    whole_options.reduce = false;
    Seen whole;
    whole.watch(whole_options);
    const auto all = sc::run_stress({config}, whole_options);
    std::vector<std::uint64_t> per_bound(bound + 1, 0);
    std::set<std::string> union_of_shards;
    std::size_t shard_runs = 0;
    for (unsigned k = 1; k <= 3; ++k) {
      auto options = bounded_options(bound);
      options.reduce = false;
      options.shard = sc::Shard{k, 3};
      Seen seen;
      seen.watch(options);
      const auto part = sc::run_stress({config}, options);
      ASSERT_FALSE(part[0].failure.has_value());
      for (unsigned b = 0; b <= bound; ++b) per_bound[b] += part[0].bounds[b].schedules;
      // Shard 1 alone counts the first run, which every shard runs.
      for (std::size_t i = k == 1 ? 0 : 1; i < seen.schedules.size(); ++i) {
        union_of_shards.insert(seen.schedules[i]);
        ++shard_runs;
      }
    }
    for (unsigned b = 0; b <= bound; ++b) {
      EXPECT_EQ(per_bound[b], all[0].bounds[b].schedules) << config.name << " bound " << b;
    }
    EXPECT_EQ(shard_runs, whole.schedules.size()) << config.name;
    EXPECT_EQ(union_of_shards,
              std::set<std::string>(whole.schedules.begin(), whole.schedules.end()))
        << config.name;
  }
}

TEST(Bounded, shards_add_up_to_the_whole_search) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP()
      << "one deterministic worker, one thread: nothing for TSan (ASan and Release run it)";
#endif
  shards_add_up_to_the_whole_search(1);
}
TEST(BoundedDeep, shards_add_up_to_the_whole_search) { shards_add_up_to_the_whole_search(2); }

// The reduction skips only schedules equivalent to ones it ran: on the
// scenarios small enough to search whole, the reduced search reaches exactly
// the outcomes (who received what, in which order; what was refused, timed
// out or left) of the full one, in fewer schedules.
void reduction_reaches_the_same_outcomes_in_fewer_schedules(unsigned bound) {
  std::size_t most_outcomes = 0;
  for (const auto& config : stress_configs()) {
    if (!searched_whole_in_tests(config.name)) continue;
    std::set<std::uint64_t> outcomes[2];
    std::uint64_t schedules[2] = {0, 0};
    for (int reduce = 0; reduce < 2; ++reduce) {
      auto options = bounded_options(bound);
      options.reduce = reduce == 1;
      options.on_run = [&, reduce](const sc::RunResult& run) {
        EXPECT_NE(run.outcome, 0u);
        outcomes[reduce].insert(run.outcome);
      };
      const auto r = sc::run_stress({config}, options);
      ASSERT_FALSE(r[0].failure.has_value()) << config.name;
      schedules[reduce] = r[0].seeds_run;
    }
    EXPECT_EQ(outcomes[1], outcomes[0]) << config.name;
    EXPECT_LT(schedules[1], schedules[0]) << config.name;
    most_outcomes = std::max(most_outcomes, outcomes[0].size());
    std::printf("%s bound %u: %llu schedules reduced, %llu full, %zu outcomes\n",
                config.name.c_str(), bound, static_cast<unsigned long long>(schedules[1]),
                static_cast<unsigned long long>(schedules[0]), outcomes[0].size());
  }
  // Not vacuous: some scenario's schedules end in several different ways.
  EXPECT_GT(most_outcomes, 1u);
}

TEST(Bounded, reduction_reaches_the_same_outcomes_in_fewer_schedules) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP()
      << "one deterministic worker, one thread: nothing for TSan (ASan and Release run it)";
#endif
  reduction_reaches_the_same_outcomes_in_fewer_schedules(1);
}
TEST(BoundedDeep, reduction_reaches_the_same_outcomes_in_fewer_schedules) {
  reduction_reaches_the_same_outcomes_in_fewer_schedules(2);
}

// Coverage: the shipped stress configs pass through every choice point of
// the queue (a point none reaches is a gap in the configs, or dead code).
// search_bound(config) is the bound each config is searched to.
template <class SearchBound>
void shipped_configs_reach_every_choice_point_of_the_queue(SearchBound search_bound) {
  tmpmc::runtime::ChoicePointSet reached;
  for (const auto& config : stress_configs()) {
    const auto results = sc::run_stress({config}, bounded_options(search_bound(config.name)));
    ASSERT_FALSE(results.at(0).failure.has_value()) << config.name;
    reached |= results[0].choice_points_reached;
  }
  for (const auto* site : tmpmc::detail::sites::kQueueChoicePoints) {
    // A confined pop needs one fiber that both sends and receives on a ring
    // no other fiber has touched: no stress scenario has one (each fiber
    // produces or consumes). confinement_test.cpp explores it.
    if (site == &tmpmc::detail::sites::kConfinedPopRead) continue;
    EXPECT_TRUE(reached.test(site->id)) << "no stress config reaches " << site->label;
  }
}

// Every config to bound 1, except the three whose bound-1 search runs to
// hundreds of thousands of schedules (a minute in all), which go to bound 0:
// the same points are reached. Release only: the search is deterministic.
TEST(Bounded, shipped_configs_reach_every_choice_point_of_the_queue) {
  if (kSanitized) GTEST_SKIP() << "a Release-only sweep: the bounded search is deterministic";
  shipped_configs_reach_every_choice_point_of_the_queue([](const std::string& name) {
    const bool large = name == "batch-close-race" || name == "wake-edge-room-handoff" ||
                       name == "wake-edge-many-producers";
    return large ? 0u : 1u;
  });
}
TEST(BoundedDeep, shipped_configs_reach_every_choice_point_of_the_queue) {
  shipped_configs_reach_every_choice_point_of_the_queue([](const std::string&) { return 1u; });
}

// Each mutant is caught by the bounded search on its scenario at its
// smallest bound (every bound below passes there), and its schedule replays
// to the same class and trace hash.
class BoundedMutants : public ::testing::TestWithParam<MutantCase> {};

TEST_P(BoundedMutants, caught_at_the_smallest_bound_and_replayed) {
  const MutantCase& m = GetParam();
  // Deterministic, on a queue broken on purpose: nothing more for a
  // sanitizer to see than in Release, at several times the cost.
  if (kSanitized) GTEST_SKIP() << "deterministic: the Release run checks it";
  const sc::ScenarioConfig config = find_config(m.scenario);
  auto options = bounded_options(m.bound);
  options.driver.run_instead = m.run;
  const auto results = sc::run_stress({config}, options);
  const auto* failed = first_failure(results);
  ASSERT_NE(failed, nullptr) << m.name << " was not caught at bound " << m.bound;
  const sc::StressFailure& f = *failed->failure;
  EXPECT_EQ(f.kind, m.kind) << m.name << " on " << failed->scenario;
  ASSERT_TRUE(f.bound.has_value());
  EXPECT_EQ(*f.bound, m.bound);
  // Smallest: every bound below it ran out without a failure.
  ASSERT_EQ(failed->bounds.size(), *f.bound + 1);
  for (unsigned b = 0; b < *f.bound; ++b) EXPECT_TRUE(failed->bounds[b].exhausted);
  ASSERT_FALSE(f.schedule.empty());
  sc::DriverOptions driver = options.driver;
  driver.policy.kind = tmpmc::runtime::PolicyKind::replay;
  driver.policy.replay = tmpmc::runtime::Schedule::parse(f.schedule);
  const sc::RunResult again = sc::run_scenario(sc::stress_config(config, 1, 1), driver);
  EXPECT_EQ(sc::failure_kind(again), f.kind);
  EXPECT_EQ(again.trace_hash.value_or(0), f.trace_hash);
  std::printf("%s: caught by the bounded search on %s at bound %u after %llu schedules: %s\n",
              m.name, failed->scenario.c_str(), *f.bound,
              static_cast<unsigned long long>(failed->seeds_run), f.kind.c_str());
}

INSTANTIATE_TEST_SUITE_P(EveryClass, BoundedMutants, ::testing::ValuesIn(mutant_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// With only the points between operations (the granularity stress had
// before), the same search finds nothing: the inner points are what expose
// the mutants that need them. not_caught_without_the_inner_points(m, bound):
// the coarse search to `bound` ends with no failure, every schedule run.
void not_caught_without_the_inner_points(const MutantCase& m, unsigned bound) {
  const sc::ScenarioConfig config = find_config(m.scenario);
  auto options = bounded_options(bound);
  options.driver.run_instead = m.run;
  options.choice_points = tmpmc::runtime::Granularity::operations;
  const auto coarse = sc::run_stress({config}, options);
  EXPECT_FALSE(coarse[0].failure.has_value())
      << m.name << " was caught without the inner points: " << coarse[0].failure->kind;
  EXPECT_TRUE(coarse[0].bounds.back().exhausted);
}

// At the bound where the inner points catch it (the sibling of the deep test
// below).
TEST_P(BoundedMutants, not_caught_at_its_bound_without_the_inner_points) {
  const MutantCase& m = GetParam();
  if (kSanitized) GTEST_SKIP() << "deterministic: the Release run checks it";
  if (!m.needs_inner_points) GTEST_SKIP() << m.name << " is caught at operation granularity";
  not_caught_without_the_inner_points(m, m.bound);
}

// One bound further: up to a minute per mutant.
class BoundedMutantsDeep : public ::testing::TestWithParam<MutantCase> {};

TEST_P(BoundedMutantsDeep, not_caught_one_bound_further_without_the_inner_points) {
  const MutantCase& m = GetParam();
  if (!m.needs_inner_points) GTEST_SKIP() << m.name << " is caught at operation granularity";
  not_caught_without_the_inner_points(m, m.bound + 1);
}

INSTANTIATE_TEST_SUITE_P(EveryClass, BoundedMutantsDeep, ::testing::ValuesIn(mutant_cases()),
                         [](const auto& info) { return std::string(info.param.name); });
// ---------------------------------------------------------------- bounded runs
// The step cap, the time budget inside a run, and PCT's fairness: no seed
// runs for ever, and none grows without bound.

namespace bounded {

using tmpmc::mutants::run_mutant;
using tmpmc::mutants::SpinUntilItem;

TEST(StressBounded, livelock_mutant_is_caught_within_the_cap_and_replayed) {
  auto options = stress_options(2000);
  options.max_steps = kSanitized ? 100'000 : 1'000'000;
  options.driver.run_instead = &run_mutant<SpinUntilItem>;
  const auto configs = stress_configs();
  const auto results = sc::run_stress(configs, options);
  const auto* failed = first_failure(results);
  ASSERT_NE(failed, nullptr) << "the livelock was not caught";
  const sc::StressFailure& f = *failed->failure;
  EXPECT_EQ(f.kind, "livelock") << failed->scenario << " seed " << f.seed;
  // The report: the stop, and where each fiber spins or waits.
  bool summary = false, spinning = false;
  for (const auto& line : f.lines) {
    summary |= line.find("livelock: no fiber made progress") != std::string::npos;
    // Its loop: a yield and len()'s loads (choice points too).
    spinning |= line.find("consumer") != std::string::npos &&
                (line.find("runnable, last at yield") != std::string::npos ||
                 line.find("runnable, last at ring.h: len") != std::string::npos);
  }
  EXPECT_TRUE(summary) << ::testing::PrintToString(f.lines);
  EXPECT_TRUE(spinning) << ::testing::PrintToString(f.lines);
  // Its replay runs with the same cap and without --trace (max_steps events).
  EXPECT_NE(f.replay.find("--max-steps " + std::to_string(options.max_steps)), std::string::npos)
      << f.replay;
  EXPECT_EQ(f.replay.find("--trace"), std::string::npos) << f.replay;

  const auto& config = *std::find_if(configs.begin(), configs.end(),
                                     [&](const auto& c) { return c.name == failed->scenario; });
  sc::DriverOptions driver = options.driver;
  driver.max_steps = options.max_steps;
  for (int i = 0; i < 2; ++i) {
    const sc::RunResult again = sc::run_scenario(sc::stress_config(config, f.seed, 1), driver);
    EXPECT_EQ(sc::failure_kind(again), "livelock");
    EXPECT_EQ(again.trace_hash.value_or(0), f.trace_hash);
  }
}

TEST(StressBounded, interrupt_stops_a_seed_in_the_middle_of_its_run) {
  // The flag goes up once the first seed's run has begun; with no cap in
  // reach, only the check inside the run can end it.
  std::atomic<bool> interrupt{false};
  auto options = stress_options(10);
  options.max_steps = std::uint64_t{1} << 40;
  options.driver.interrupt = &interrupt;
  options.driver.run_instead = [&interrupt](const sc::ScenarioConfig& c,
                                            const sc::DriverOptions& o) {
    interrupt.store(true);
    return run_mutant<SpinUntilItem>(c, o);
  };
  const auto results = sc::run_stress(stress_configs(), options);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].failure.has_value()) << results[0].failure->kind;
  EXPECT_TRUE(results[0].out_of_time);
  EXPECT_EQ(results[0].seeds_run, 0u) << "a seed stopped in the middle is not counted";
}

TEST(StressBounded, a_run_past_its_stop_time_is_unfinished_not_failed) {
  // The time budget's deadline, already past when the run starts.
  sc::DriverOptions driver = stress_options(1).driver;
  driver.max_steps = std::uint64_t{1} << 40;
  driver.stop_at = std::chrono::steady_clock::now();
  const auto config = sc::stress_config(stress_configs().front(), 1, 1);
  const sc::RunResult run = run_mutant<SpinUntilItem>(config, driver);
  ASSERT_TRUE(run.stopped.has_value());
  EXPECT_EQ(*run.stopped, tmpmc::runtime::StopKind::interrupted);
  EXPECT_FALSE(sc::classify(run).has_value());
}

TEST(StressBounded, pct_passes_the_polling_faults_scenarios) {
  // The consumers poll with receive_for in virtual time; PCT without its
  // fair prefix let one of them starve the producers for ever.
  auto options = stress_options(kSanitized ? 200 : 2000);
  options.policy = sc::parse_policy("pct:3");
  const auto results = sc::run_stress(
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/faults.json"),
      options);
  const auto* failed = first_failure(results);
  ASSERT_EQ(failed, nullptr) << failed->scenario << " seed " << failed->failure->seed << ": "
                             << failed->failure->kind << "\n"
                             << ::testing::PrintToString(failed->failure->lines);
  for (const auto& r : results) EXPECT_FALSE(r.out_of_time) << r.scenario;
}

TEST(StressBounded, step_cap_classes_have_names) {
  for (const sc::FailureClass failure : {sc::FailureClass::livelock, sc::FailureClass::runaway}) {
    EXPECT_EQ(sc::failure_class_from_string(sc::to_string(failure)), failure);
    EXPECT_EQ(sc::count_name(failure), "");
  }
  EXPECT_EQ(sc::stop_class(tmpmc::runtime::StopKind::livelock), sc::FailureClass::livelock);
  EXPECT_EQ(sc::stop_class(tmpmc::runtime::StopKind::runaway), sc::FailureClass::runaway);
  EXPECT_FALSE(sc::stop_class(tmpmc::runtime::StopKind::interrupted).has_value());
  EXPECT_EQ(sc::stop_name(tmpmc::runtime::StopKind::interrupted), "interrupted");
}

}  // namespace bounded

}  // namespace
