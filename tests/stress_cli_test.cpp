// stress_cli_test.cpp: stress and replay on the command line (replay
// commands, shrinking, schedules that do not fit, exit codes) and policies.
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

// ---------------------------------------------------------------- the command line

TEST(StressCli, max_steps_is_validated) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  for (const std::string command : {"stress", "run"}) {
    for (const std::string value : {"0", "-5", "many"}) {
      const std::string out = run_cli(command + " " + config + " --max-steps " + value, code);
      EXPECT_EQ(code, 2) << command << " --max-steps " << value << ": " << out;
      EXPECT_NE(out.find("--max-steps"), std::string::npos) << out;
    }
  }
}

TEST(StressCli, failure_prints_a_replay_command_that_reproduces_it) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  const std::string out =
      run_cli("stress " + config + " --impl seed --seeds 500 --time-budget 10m", code);
  EXPECT_EQ(code, 1) << out;
  const std::string replay = replay_args(out);
  ASSERT_FALSE(replay.empty()) << out;
  const std::string hash = out.substr(out.find("trace_hash ") + 11, 16);
  // Replayed twice: the same failure, the same trace hash, and the trace.
  for (int i = 0; i < 2; ++i) {
    const std::string again = run_cli(replay, code);
    EXPECT_EQ(code, 1) << again;
    EXPECT_NE(again.find("trace_hash " + hash), std::string::npos) << again;
    EXPECT_NE(again.find("at seed receive"), std::string::npos) << again;
  }
}

// Shrinking is a function of the failure: the same failure twice gives the
// same schedule, with no more preemptions nor (at as many) steps than the
// schedule the seed found, and each preemption named with its fibers and the
// access it happens at.
TEST(Shrink, the_same_failure_shrinks_to_the_same_schedule) {
  if (tmpmc::testing::kThreadSanitized)
    GTEST_SKIP() << "one deterministic worker: see Release/ASan";
  using namespace tmpmc::mutants;
  const sc::ScenarioConfig config = find_config("close-race-blocked-producers");
  auto options = stress_options(10'000);
  options.driver.run_instead = &run_mutant<PushAfterCloseOnWake>;
  const auto first = sc::run_stress({config}, options);
  const auto second = sc::run_stress({config}, options);
  options.shrink = false;
  const auto unshrunk = sc::run_stress({config}, options);
  for (const auto* r : {&first, &second, &unshrunk}) ASSERT_TRUE(r->at(0).failure.has_value());
  const sc::StressFailure& a = *first[0].failure;
  const sc::StressFailure& b = *second[0].failure;
  const sc::StressFailure& original = *unshrunk[0].failure;
  ASSERT_TRUE(a.shrunk.has_value());
  EXPECT_FALSE(original.shrunk.has_value());
  EXPECT_EQ(a.seed, original.seed);
  EXPECT_EQ(a.schedule, b.schedule);
  EXPECT_EQ(a.shrunk->switches, b.shrunk->switches);
  EXPECT_EQ(a.kind, original.kind);
  EXPECT_NE(a.schedule, original.schedule);
  const auto parsed = tmpmc::runtime::Schedule::parse(original.schedule);
  EXPECT_EQ(a.shrunk->original_steps, parsed.steps());
  EXPECT_LE(a.shrunk->preemptions, a.shrunk->original_preemptions);
  if (a.shrunk->preemptions == a.shrunk->original_preemptions) {
    EXPECT_LE(a.shrunk->steps, a.shrunk->original_steps);
  }
  std::size_t preemptions = 0;
  for (const auto& line : a.shrunk->switches) {
    if (line.find(": preemption: ") == std::string::npos) continue;
    ++preemptions;
    // "step N: preemption: F stopped at `LABEL`, G runs"
    EXPECT_NE(line.find(" stopped at `"), std::string::npos) << line;
    EXPECT_NE(line.find(" runs"), std::string::npos) << line;
  }
  EXPECT_EQ(preemptions, a.shrunk->preemptions);
}

// The CLI prints the shrunk schedule and its switches; --no-shrink the
// schedule as found. Both replay to the same failure.
TEST(StressCli, prints_the_shrunk_schedule_unless_no_shrink) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  const std::string one =
      config + " --filter '^close-race-idle-consumers$' --impl seed --policy pct:3";
  int code = 0;
  const std::string shrunk = run_cli("stress " + one, code);
  EXPECT_EQ(code, 1) << shrunk;
  EXPECT_NE(shrunk.find("\nshrunk: "), std::string::npos) << shrunk;
  EXPECT_NE(shrunk.find(": preemption: "), std::string::npos) << shrunk;
  const std::string plain = run_cli("stress " + one + " --no-shrink", code);
  EXPECT_EQ(code, 1) << plain;
  EXPECT_EQ(plain.find("shrunk: "), std::string::npos) << plain;
  for (const std::string* out : {&shrunk, &plain}) {
    const std::string replay = replay_args(*out);
    ASSERT_FALSE(replay.empty()) << *out;
    const std::string again = run_cli(replay, code);
    EXPECT_EQ(code, 1) << again;
    EXPECT_NE(again.find("at seed receive"), std::string::npos) << again;
  }
  EXPECT_NE(replay_args(shrunk), replay_args(plain));
}

// A schedule that does not fit the run is a failure of its own class,
// diverged, at the step it stopped fitting; one that is not a schedule is a
// one-line usage error. Neither ever passes by falling back.
TEST(StressCli, schedules_that_do_not_fit_diverge_or_are_refused) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  const std::string one = config + " --filter '^close-race-idle-consumers$' --impl tmpmc";
  // Another program's schedule: valid, foreign.
  tmpmc::runtime::Schedule foreign;
  for (int i = 0; i < 5; ++i) foreign.record(1, 1);
  foreign.record(7, 3);
  int code = 0;
  std::string out = run_cli("run " + one + " --schedule " + foreign.text(), code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("diverged at step "), std::string::npos) << out;
  // Corrupted, cut short, not a schedule, or given with a policy: exit 2, one line.
  const std::string text = foreign.text();
  std::string corrupted = text;
  corrupted[4] = corrupted[4] == '5' ? '6' : '5';
  for (const std::string& bad :
       {corrupted, text.substr(0, text.size() - 3), std::string("v1.3.2"), std::string("random")}) {
    out = run_cli("run " + one + " --schedule " + bad, code);
    EXPECT_EQ(code, 2) << bad << ": " << out;
    EXPECT_NE(out.find("--schedule: not a schedule string"), std::string::npos) << out;
  }
  out = run_cli("run " + one + " --schedule " + text + " --policy pct:3", code);
  EXPECT_EQ(code, 2) << out;
  out = run_cli("run " + config + " --schedule " + text, code);  // every scenario of the file
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("replays one run of one scenario"), std::string::npos) << out;
}

TEST(StressCli, passes_and_reports_the_rate) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  const std::string out = run_cli("stress " + config + " --seeds 50 --policy pct:3", code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("seeds/s"), std::string::npos) << out;
}

TEST(StressCli, bounded_search_prints_a_line_per_scenario_and_bound) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  const std::string out =
      run_cli("stress " + config + " --filter blocked-producers --explore bounded --bound 1", code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("close-race-blocked-producers bound 0: "), std::string::npos) << out;
  EXPECT_NE(out.find(" schedules, exhausted\nclose-race-blocked-producers bound 1: "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("bounded search to 1 preemptions"), std::string::npos) << out;
  // The seed design fails; its schedule replays through `run --schedule`.
  const std::string failed = run_cli(
      "stress " + config + " --impl seed --filter blocked-producers --explore bounded", code);
  EXPECT_EQ(code, 1) << failed;
  EXPECT_NE(failed.find(", bound 0 (after "), std::string::npos) << failed;
  const std::string replay = replay_args(failed);
  ASSERT_FALSE(replay.empty()) << failed;
  EXPECT_NE(replay.find("--schedule v1."), std::string::npos) << replay;
  const std::string again = run_cli(replay, code);
  EXPECT_EQ(code, 1) << again;
}

TEST(StressCli, bad_input_is_exit_code_2) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  for (const std::string args : {"--policy pct:0",
                                 "--policy fair",
                                 "--time-budget 10x",
                                 "--seeds 0",
                                 "--impl nope",
                                 "--impl boost-fiber",
                                 "--impl tmpmc,seed",
                                 "--explore all",
                                 "--bound 2",
                                 "--shard 1/2",
                                 "--explore bounded --bound 11",
                                 "--explore bounded --bound -1",
                                 "--explore bounded --shard 0/3",
                                 "--explore bounded --shard 4/3",
                                 "--explore bounded --shard 1/0",
                                 "--explore bounded --shard 3",
                                 "--explore bounded --shard x/y",
                                 "--explore bounded --seeds 5",
                                 "--explore bounded --policy pct:3",
                                 "--explore bounded --workers 2"}) {
    const std::string out = run_cli("stress " + config + " " + args, code);
    EXPECT_EQ(code, 2) << args << ": " << out;
  }
  run_cli("stress /nonexistent.json", code);
  EXPECT_EQ(code, 2);
  run_cli("run " + config + " --trace", code);  // --trace without --deterministic
  EXPECT_EQ(code, 2);
}

TEST(Policy, parse) {
  EXPECT_EQ(sc::parse_policy("random").kind, tmpmc::runtime::PolicyKind::random);
  EXPECT_EQ(sc::parse_policy("pct:5").pct_depth, 5);
  EXPECT_EQ(sc::policy_text(sc::parse_policy("pct:5")), "pct:5");
  EXPECT_THROW(sc::parse_policy("pct:"), sc::ConfigError);
  EXPECT_THROW(sc::parse_policy("pct:x"), sc::ConfigError);
  EXPECT_THROW(sc::parse_policy("random "), sc::ConfigError);
}

}  // namespace
