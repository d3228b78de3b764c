// stress_answers_test.cpp: mutants that deliver every message yet answer
// wrongly, caught only by the linearizability check; and the seed design's
// known bugs, found by seeds and by the bounded search.
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

// ---------------------------------------------------------------- wrong answers

// The mutants that deliver every message, once and in each producer's order,
// yet answer wrongly: the message checks pass them over the whole search,
// and the linearizability check catches each at its smallest bound, with
// the witness below (the fewest calls that show it).
struct AnswerMutant {
  const char* name;
  sc::RunResult (*run)(const sc::ScenarioConfig&, const sc::DriverOptions&);
  const char* scenario;
  unsigned bound;
  std::vector<std::string> witness;  // the report's lines after its heading
};
void PrintTo(const AnswerMutant& m, std::ostream* out) { *out << m.name; }

std::vector<AnswerMutant> answer_mutants() {
  using namespace tmpmc::mutants;
  return {
      // Two values in a 1-slot queue: both sends returned before either
      // value came out.
      AnswerMutant{
          "one_value_too_many",
          &run_mutant<OneValueTooMany>,
          "close-race-blocked-producers",
          0,
          {"steps 22-29  producer-0  send(p0#1) -> ok", "steps 30-37  producer-1  send(p1#0) -> ok",
           "steps 56-62  consumer-0  receive() -> p0#1",
           "steps 62-68  consumer-0  receive() -> p1#0"}},
      // p0#0's send returned before p1#0's began; p1#0 came out first.
      AnswerMutant{
          "fifo_broken_across_producers",
          &run_mutant<FifoBrokenAcrossProducers>,
          "answers-fifo-across-producers",
          0,
          {"steps 2-16   producer-0  send(p0#0) -> ok", "steps 17-31  producer-1  send(p1#0) -> ok",
           "steps 32-41  consumer-0  receive() -> p1#0",
           "steps 41-53  consumer-0  receive() -> p0#0"}},
      // "full" at steps 30-34, right after len() read 0 (the shrunk
      // schedule: the search's first failing one said "full" before
      // anything was sent, with one message more around it).
      AnswerMutant{
          "try_send_full_with_room",
          &run_mutant<TrySendFullWithRoom>,
          "answers-try-first",
          0,
          {"steps 6-48   consumer-0  receive() -> p0#0",
           "steps 20-29  producer-0  send(p0#0) -> ok", "steps 29-29  producer-0  len() -> 0",
           "steps 30-34  producer-1  try_send(p1#0) -> full",
           "steps 34-41  producer-1  send(p1#0) -> ok",
           "steps 48-54  consumer-0  try_receive() -> p1#0"}},
      AnswerMutant{"timed_receive_waits_before_looking",
                   &run_mutant<TimedReceiveWaitsBeforeLooking>,
                   "faults-timed-receives",
                   0,
                   // p0#0 was in the queue before the timed receive began
                   // and still there when it timed out.
                   {"steps 3-10   producer-0  send(p0#0) -> ok",
                    "steps 11-32  consumer-0  receive_for() -> timeout",
                    "steps 32-44  consumer-0  receive_for() -> p0#0"}},
  };
}

class AnswerMutants : public ::testing::TestWithParam<AnswerMutant> {};

TEST_P(AnswerMutants, only_the_linearizability_check_catches_them) {
  const AnswerMutant& m = GetParam();
  if (tmpmc::testing::kThreadSanitized)
    GTEST_SKIP() << "one deterministic worker: see Release/ASan";
  const sc::ScenarioConfig config = find_config(m.scenario);
  // The message checks alone: the same search, one bound further, passes.
  auto options = bounded_options(m.bound + 1);
  options.driver.run_instead = m.run;
  options.linearizability = false;
  const auto blind = sc::run_stress({config}, options);
  EXPECT_FALSE(blind.at(0).failure.has_value())
      << m.name << " was caught without the history check: " << blind[0].failure->kind << " "
      << ::testing::PrintToString(blind[0].failure->lines);
  EXPECT_TRUE(blind[0].bounds.back().exhausted);
  // With it: caught at the smallest bound, shown by its witness.
  options.bound = m.bound;
  options.linearizability = true;
  const auto results = sc::run_stress({config}, options);
  ASSERT_TRUE(results.at(0).failure.has_value()) << m.name << " was not caught at " << m.bound;
  const sc::StressFailure& f = *results[0].failure;
  for (const auto& line : f.lines) std::printf("  %s\n", line.c_str());
  EXPECT_EQ(f.kind, "not_linearizable") << ::testing::PrintToString(f.lines);
  EXPECT_EQ(f.kinds, std::vector<std::string>{"not_linearizable"});
  ASSERT_EQ(f.bound.value_or(99), m.bound);
  std::vector<std::string> witness;
  bool in_witness = false;
  for (const auto& line : f.lines) {
    if (line.starts_with("not linearizable")) {
      in_witness = true;
    } else if (in_witness) {
      witness.push_back(line.substr(2));
    }
  }
  EXPECT_EQ(witness, m.witness) << m.name;
  // The printed schedule replays to the same failure.
  ASSERT_FALSE(f.schedule.empty());
  sc::DriverOptions driver = options.driver;
  driver.check_linearizability = true;
  driver.policy.kind = tmpmc::runtime::PolicyKind::replay;
  driver.policy.replay = tmpmc::runtime::Schedule::parse(f.schedule);
  const sc::RunResult again = sc::run_scenario(sc::stress_config(config, 1, 1), driver);
  EXPECT_EQ(sc::failure_kind(again), "not_linearizable");
  EXPECT_EQ(again.trace_hash.value_or(0), f.trace_hash);
  std::printf("%s: caught on %s at bound %u after %llu schedules (above)\n", m.name, m.scenario,
              m.bound, static_cast<unsigned long long>(results[0].seeds_run));
}

INSTANTIATE_TEST_SUITE_P(WrongAnswers, AnswerMutants, ::testing::ValuesIn(answer_mutants()),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------- the seed design

// Each of the seed's known bugs, found by the scenario built for it.
TEST(SeedDesign, stress_finds_its_three_bugs) {
  const auto configs = sc::with_impls(
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json"),
      {"seed"});
  struct Expectation {
    const char* scenario;
    const char* policy;
    const char* kind;
    const char* line;  // a failure line it must show
    const char* also;  // a class it must also be filed under ("" none)
  };
  for (const Expectation& e :
       {Expectation{"close-race-idle-consumers", "pct:3", "hang", "seed receive", ""},
        // Its push after close: a 1-slot queue seen holding two values (the
        // history check files it first; the lost message comes later).
        Expectation{"close-race-blocked-producers", "random", "not_linearizable",
                    "not linearizable", ""},
        // Its Err(Closed) on a receive is an answer the queue's contract
        // never gives: the history check files it too, showing that receive.
        Expectation{"close-race-draining-consumers", "random", "spurious_closed", "spurious closed",
                    "not_linearizable"}}) {
    std::vector<sc::ScenarioConfig> one;
    for (const auto& c : configs) {
      if (c.name == e.scenario) one.push_back(c);
    }
    ASSERT_EQ(one.size(), 1u) << e.scenario;
    auto options = stress_options(2000);
    options.impl = "seed";
    options.policy = sc::parse_policy(e.policy);
    // The failures as the seeds find them: a shrunk one keeps its first
    // class, not necessarily the others (the Err(Closed) receive below).
    options.shrink = false;
    const auto results = sc::run_stress(one, options);
    ASSERT_TRUE(results.at(0).failure.has_value()) << e.scenario;
    const auto& f = *results[0].failure;
    EXPECT_EQ(f.kind, e.kind) << e.scenario;
    bool shown = false;
    for (const auto& line : f.lines) shown |= line.find(e.line) != std::string::npos;
    EXPECT_TRUE(shown) << e.scenario << ": " << ::testing::PrintToString(f.lines);
    if (*e.also != '\0') {
      EXPECT_NE(std::find(f.kinds.begin(), f.kinds.end(), e.also), f.kinds.end())
          << e.scenario << ": " << ::testing::PrintToString(f.kinds);
      bool witnessed = false;
      for (const auto& line : f.lines)
        witnessed |= line.find("receive() -> error") != std::string::npos;
      EXPECT_TRUE(witnessed) << ::testing::PrintToString(f.lines);
    }
    EXPECT_NE(f.replay.find("--impl seed"), std::string::npos);
    EXPECT_NE(f.replay.find("--schedule " + f.schedule), std::string::npos) << f.replay;
    // The printed command, through the real CLI: the same class (its count
    // in result/v1) and the same trace hash, whatever policy found it.
    const auto out = std::filesystem::temp_directory_path() / "tmpmc_seed_replay.json";
    const tmpmc::testing::CliRun replay = tmpmc::testing::run_cli(
        f.replay.substr(std::string("tmpmc-bench ").size()) + " --quiet --json " + out.string());
    EXPECT_EQ(replay.exit_code, 1) << replay.output;
    std::ifstream in(out);
    const auto doc = nlohmann::json::parse(in);
    const auto& run = doc["scenarios"].at(0)["runs"].at(0);
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(f.trace_hash));
    EXPECT_EQ(run["trace_hash"], hash) << run.dump();
    EXPECT_EQ(run["schedule"], f.schedule);
    if (e.kind == std::string("not_linearizable")) {
      EXPECT_EQ(run["linearizability"], "not_linearizable") << run.dump();
    } else {
      const std::string count = e.kind == std::string("hang") ? "hung" : e.kind;
      EXPECT_GT(run[count].get<std::uint64_t>(), 0u) << e.scenario << ": " << run.dump();
    }
  }
}

// The bounded search finds the seed's bugs too, each at its smallest bound.
TEST(SeedDesign, bounded_search_finds_its_bugs) {
  const auto configs = sc::with_impls(
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json"),
      {"seed"});
  for (const auto& config : configs) {
    auto options = bounded_options(2);
    options.impl = "seed";
    const auto results = sc::run_stress({config}, options);
    ASSERT_TRUE(results.at(0).failure.has_value()) << config.name;
    const auto& f = *results[0].failure;
    EXPECT_FALSE(f.schedule.empty());
    std::printf("seed on %s: %s at bound %u after %llu schedules\n", config.name.c_str(),
                f.kind.c_str(), f.bound.value_or(99),
                static_cast<unsigned long long>(results[0].seeds_run));
  }
}

}  // namespace
