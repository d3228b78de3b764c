// stress_test.cpp: stress mode finds nothing on ours, and finds each class
// of bug on deliberately broken queues (mutants.h) within 10,000 seeds, then
// replays it exactly. The bounded search, the wrong answers, the seed design
// and the command line: stress_bounded_test.cpp, stress_answers_test.cpp,
// stress_cli_test.cpp.
#include "tmpmc/scenarios/stress.h"

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

using namespace stress_support;

// mutant_cases(): every mutant of mutants.h and the class it must be caught as.
std::vector<MutantCase> stress_support::mutant_cases() {
  using namespace tmpmc::mutants;
  return {MutantCase{"notify_before_publish", &run_mutant<NotifyBeforePublish>, "hang",
                     "close-race-idle-consumers", 1},
          MutantCase{"wake_sender_only_from_full", &run_mutant<WakeSenderOnlyFromFull>, "hang",
                     "close-race-draining-consumers", 1, false, nullptr, "pct:2"},
          MutantCase{"check_then_wait_unregistered", &run_mutant<CheckThenWaitUnregistered>, "hang",
                     "close-race-idle-consumers", 1},
          MutantCase{"push_after_close_on_wake", &run_mutant<PushAfterCloseOnWake>, "lost",
                     "close-race-blocked-producers", 0, false, "spurious_closed"},
          MutantCase{"read_slot_before_claim", &run_mutant<ReadSlotBeforeClaim>, "duplicated",
                     "close-race-idle-consumers", 2},
          MutantCase{"timed_out_receive_consumes", &run_mutant<TimedOutReceiveConsumes>, "lost",
                     "faults-timed-receives", 1},
          MutantCase{"woken_sender_keeps_room_wake", &run_mutant<WokenSenderKeepsRoomWake>, "hang",
                     "wake-edge-many-producers", 0, false, nullptr, "pct:2"},
          MutantCase{"stamp_before_value", &run_mutant<StampBeforeValue>, "duplicated",
                     "close-race-idle-consumers", 1, true},
          MutantCase{"free_slot_before_read", &run_mutant<FreeSlotBeforeRead>, "duplicated",
                     "close-race-idle-consumers", 2, true},
          MutantCase{"unlink_without_lock", &run_mutant<UnlinkWithoutLock>, "hang",
                     "close-race-blocked-producers", 2, true},
          MutantCase{"batch_stamps_before_values", &run_mutant<BatchStampsBeforeValues>,
                     "duplicated", "batch-close-race", 1, true},
          MutantCase{"upgrade_ignoring_owner", &run_mutant<UpgradeIgnoringOwner>, "lost",
                     "close-race-blocked-producers", 1, true, nullptr, "random", false}};
}

namespace {

using tmpmc::testing::kSanitized;

// ---------------------------------------------------------------- ours

// passes_every_stress_scenario(): ours, checked in `check` mode, fails no seed.
void passes_every_stress_scenario(sc::CheckSetting check) {
  auto configs = stress_configs();
  for (auto& c : configs) c.check = check;
  const auto results = sc::run_stress(configs, stress_options(kSanitized ? 150 : 2000));
  const auto* failed = first_failure(results);
  ASSERT_EQ(failed, nullptr) << failed->scenario << " seed " << failed->failure->seed << ": "
                             << failed->failure->kind << "\n"
                             << ::testing::PrintToString(failed->failure->lines) << "\n"
                             << failed->failure->replay;
  EXPECT_EQ(results.size(), configs.size());
}

TEST(Stress, tmpmc_passes_every_stress_scenario) {
  passes_every_stress_scenario(sc::CheckSetting::automatic);
}

// No false alarm from the streaming check: timeouts, refusals, early stops
// and quits, what close leaves in the queue, all add up.
TEST(Stress, tmpmc_passes_every_stress_scenario_checked_streaming) {
  passes_every_stress_scenario(sc::CheckSetting::streaming);
}

TEST(Stress, real_threads_close_race) {
  // Real workers, the seed picks where the close lands; under TSan this is
  // the memory-ordering check of the close path.
  auto options = stress_options(kSanitized ? 40 : 300);
  options.workers = 2;
  const auto results = sc::run_stress(
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json"),
      options);
  const auto* failed = first_failure(results);
  ASSERT_EQ(failed, nullptr) << failed->scenario << ": " << failed->failure->kind;
}

// Every shipped stress scenario on real threads with its producers and
// consumers spread over two workers and pinned there, so that every message
// crosses cores (the ring upgraded, every wake handed across). Under TSan
// this is the tier's check of the shared protocol's memory orders: a race
// fails the binary at exit. A fixed number of seeds, each drawing its close
// point.
TEST(Stress, real_threads_spread_every_stress_scenario) {
  auto options = stress_options(20);
  options.workers = 2;
  options.placement = sc::Placement::spread;
  const auto configs = stress_configs();
  const auto results = sc::run_stress(configs, options);
  const auto* failed = first_failure(results);
  ASSERT_EQ(failed, nullptr) << failed->scenario << " seed " << failed->failure->seed << ": "
                             << failed->failure->kind << "\n"
                             << ::testing::PrintToString(failed->failure->lines);
  EXPECT_EQ(results.size(), configs.size());
  for (const auto& result : results) EXPECT_EQ(result.seeds_run, 20u) << result.scenario;
}

TEST(Stress, real_threads_vary_the_close_point) {
  auto config =
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json")[1];
  std::set<std::uint64_t> points;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto c = sc::stress_config(config, seed, 2);
    EXPECT_FALSE(c.runtime.deterministic);
    EXPECT_GE(c.close.messages, 1u);
    EXPECT_LE(c.close.messages, *c.messages);
    points.insert(c.close.messages);
  }
  // Seeds 1-20 reach every close point of a short run (this one has 4).
  EXPECT_EQ(points.size(), std::min<std::uint64_t>(*config.messages, 20)) << *config.messages;
}

// ---------------------------------------------------------------- mutants

// Both modes catch the same mutants: each runs with the stress configs'
// check set to exact, and again to streaming, and must be caught as the same
// class either way.
class Mutants : public ::testing::TestWithParam<std::tuple<MutantCase, sc::CheckSetting>> {};

TEST_P(Mutants, caught_within_10000_seeds_and_replayed_exactly) {
  const MutantCase& m = std::get<0>(GetParam());
  const sc::CheckSetting check = std::get<1>(GetParam());
  const sc::CheckMode mode =
      check == sc::CheckSetting::streaming ? sc::CheckMode::streaming : sc::CheckMode::exact;
  if (!m.by_seeds) GTEST_SKIP() << m.name << ": the bounded search's, not the seeds'";
  // The search runs on one deterministic worker: the same schedules in every
  // build (the replay below checks the trace hash). What it checks is the
  // search's logic on a queue broken on purpose, which no sanitizer sees
  // more of: under them it cost 50-100 s a mutant. Release runs it whole.
  if (kSanitized) GTEST_SKIP() << "deterministic: the Release run checks it";
  // 10,000: every shared access is a choice point, so a seed's random walk
  // spreads over many more schedules than when only parks and wakes were.
  auto options = stress_options(10'000);
  options.policy = sc::parse_policy(m.seeds_policy);
  options.max_steps = 100'000;
  options.driver.run_instead = m.run;
  auto configs = stress_configs();
  for (auto& c : configs) c.check = check;
  const auto results = sc::run_stress(configs, options);
  const auto* failed = first_failure(results);
  ASSERT_NE(failed, nullptr) << m.name << " was not caught";
  const sc::StressFailure& f = *failed->failure;
  EXPECT_LE(failed->seeds_run, 10'000u);
  const char* kind = m.seeds_kind != nullptr ? m.seeds_kind : m.kind;
  EXPECT_EQ(f.kind, kind) << m.name << " on " << failed->scenario << " seed " << f.seed;
  if (f.kind == std::string("hang")) {
    // The report names the parked fibers and what they wait on.
    bool names_a_wait = false;
    for (const auto& line : f.lines)
      names_a_wait |= line.find("on queue \"q0\"") != std::string::npos;
    EXPECT_TRUE(names_a_wait) << ::testing::PrintToString(f.lines);
  }
  // The failure's schedule, and the command that replays it by that alone.
  ASSERT_FALSE(f.schedule.empty()) << f.schedule_note;
  EXPECT_NE(f.replay.find("--schedule " + f.schedule), std::string::npos) << f.replay;
  EXPECT_EQ(f.replay.find("--seed"), std::string::npos) << f.replay;
  EXPECT_NE(f.replay.find(failed->scenario), std::string::npos) << f.replay;

  // The replay: the schedule under the replay policy, with other seeds (which
  // it must not depend on), twice: the same failure and the same trace hash.
  const auto& config = *std::find_if(configs.begin(), configs.end(),
                                     [&](const auto& c) { return c.name == failed->scenario; });
  sc::DriverOptions driver = options.driver;
  driver.policy.kind = tmpmc::runtime::PolicyKind::replay;
  driver.policy.replay = tmpmc::runtime::Schedule::parse(f.schedule);
  for (std::uint64_t other_seed : {f.seed + 1, std::uint64_t{987654321}}) {
    const sc::RunResult again = sc::run_scenario(sc::stress_config(config, other_seed, 1), driver);
    EXPECT_EQ(sc::failure_kind(again), f.kind) << again.stuck_summary;
    EXPECT_EQ(again.check.mode, mode);
    ASSERT_TRUE(again.trace_hash.has_value());
    EXPECT_EQ(*again.trace_hash, f.trace_hash);
  }
  // Shrunk: no schedule with fewer preemptions fails this way on that
  // scenario (the search below it ran out), so on the mutant's own scenario
  // it has no more preemptions than the smallest bound that finds it.
  ASSERT_TRUE(f.shrunk.has_value()) << m.name;
  EXPECT_TRUE(f.shrunk->fewer_ruled_out) << m.name;
  EXPECT_LE(f.shrunk->preemptions, f.shrunk->original_preemptions);
  if (failed->scenario == m.scenario && f.kind == m.kind) {
    EXPECT_LE(f.shrunk->preemptions, m.bound) << m.name;
  }
  EXPECT_GE(f.shrunk->switches.size(), f.shrunk->preemptions);
  std::printf(
      "%s (%s): caught on %s after %llu seeds (seed %llu): %s; shrunk from %u preemptions, "
      "%llu steps to %u, %llu in %llu runs\n",
      m.name, sc::to_string(mode), failed->scenario.c_str(),
      static_cast<unsigned long long>(failed->seeds_run), static_cast<unsigned long long>(f.seed),
      f.kind.c_str(), f.shrunk->original_preemptions,
      static_cast<unsigned long long>(f.shrunk->original_steps), f.shrunk->preemptions,
      static_cast<unsigned long long>(f.shrunk->steps),
      static_cast<unsigned long long>(f.shrunk->runs));
}

INSTANTIATE_TEST_SUITE_P(EveryClass, Mutants,
                         ::testing::Combine(::testing::ValuesIn(mutant_cases()),
                                            ::testing::Values(sc::CheckSetting::exact,
                                                              sc::CheckSetting::streaming)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_" +
                                  sc::to_string(std::get<1>(info.param));
                         });

}  // namespace
