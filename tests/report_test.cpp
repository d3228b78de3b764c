// report_test.cpp: the results layer on hand-made runs: summaries, impl-group
// ratios, the table, result/v1, stress/v1 and the result-file writer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tmpmc/results/result_file.h"
#include "tmpmc/results/result_json.h"
#include "tmpmc/results/schema.h"
#include "tmpmc/results/stress_report.h"
#include "tmpmc/results/summary.h"
#include "tmpmc/results/table.h"
#include "tmpmc/scenarios/failure_class.h"
#include "tmpmc/scenarios/no_progress.h"
#include "tmpmc/scenarios/runner.h"
#include "tmpmc/scenarios/stress.h"
#include "tmpmc/scenarios/timestamp.h"

namespace tmpmc::testing {
namespace {

using nlohmann::json;
namespace rs = tmpmc::results;
namespace sc = tmpmc::scenarios;

// run_at(rate): a clean run of 1000 messages at `rate` msgs/s, latency 1..100 us.
sc::RunResult run_at(double rate) {
  sc::RunResult run;
  run.msgs_per_sec = rate;
  run.elapsed_s = 1000 / rate;
  run.check.sent = run.check.received = 1000;
  run.stats.switches = 500;
  for (std::uint64_t ns = 1000; ns <= 100'000; ns += 1000) run.latency.record(ns);
  return run;
}

// scenario(name, impl, rates): one scenario's runs.
sc::ScenarioRuns scenario(const std::string& name, const std::string& impl,
                          const std::vector<double>& rates, unsigned group = 0) {
  sc::ScenarioRuns s;
  s.config.name = name;
  s.config.queue.impl = impl;
  s.config.impl_group = group;
  for (double rate : rates) s.runs.push_back(run_at(rate));
  return s;
}

const rs::ReportContext kContext{"2026-01-01T00:00:00Z", "steady_clock"};

TEST(Summary, median_range_and_switches_per_message) {
  const auto results = rs::summarize({scenario("a", "tmpmc", {300, 100, 200})});
  ASSERT_EQ(results.size(), 1u);
  const rs::ScenarioResult& r = results[0];
  EXPECT_EQ(r.median_msgs_per_sec, 200);
  EXPECT_EQ(r.min_msgs_per_sec, 100);
  EXPECT_EQ(r.max_msgs_per_sec, 300);
  EXPECT_DOUBLE_EQ(r.switches_per_msg, 0.5);
  EXPECT_EQ(r.latency.count(), 300u);  // the three runs merged
  EXPECT_TRUE(r.passed());
  EXPECT_TRUE(r.baseline_impl.empty());  // not in an impl group
}

TEST(Summary, failed_checks_and_unmet_expectations_are_failures) {
  auto s = scenario("a", "tmpmc", {100, 100});
  s.runs[1].check.lost = 3;
  s.config.expect.min_msgs_per_sec = 1e6;
  const auto results = rs::summarize({s});
  ASSERT_EQ(results[0].failures.size(), 2u);
  EXPECT_EQ(results[0].failures[0].rfind("run 2: 3 lost", 0), 0u) << results[0].failures[0];
  EXPECT_EQ(results[0].failures[1], "expect.min_msgs_per_sec: median 100/s is below 1.00M/s");
  EXPECT_FALSE(rs::all_passed(results));
}

TEST(Summary, an_impl_group_is_compared_with_its_first) {
  const auto results =
      rs::summarize({scenario("g[tmpmc]", "tmpmc", {200}, 1),
                     scenario("g[mutex]", "mutex", {100}, 1), scenario("alone", "tmpmc", {50})});
  EXPECT_EQ(results[0].baseline_impl, "tmpmc");
  EXPECT_EQ(results[0].ratio_msgs_per_sec, 1.0);
  EXPECT_EQ(results[1].baseline_impl, "tmpmc");
  EXPECT_EQ(results[1].ratio_msgs_per_sec, 0.5);
  EXPECT_TRUE(results[2].baseline_impl.empty());
}

TEST(Table, one_row_per_scenario_and_the_failures_below) {
  auto broken = scenario("broken", "tmpmc", {100});
  broken.runs[0].check.duplicated = 1;
  const auto results = rs::summarize({scenario("fine", "tmpmc", {2.5e6}), broken});
  std::ostringstream out;
  rs::print_table(out, results, kContext);
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("scenario  shape", 0), 0u) << text;
  EXPECT_NE(text.find("2.50M (2.50M-2.50M)"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL"), std::string::npos) << text;
  EXPECT_NE(text.find("latency: steady_clock;"), std::string::npos) << text;
  EXPECT_NE(text.find("\nbroken:\n  run 1: 1 duplicated\n"), std::string::npos) << text;
}

// An open-loop scenario reports its sends' lateness beside the latency, in
// the table and in result/v1; a closed-loop one has no such column or key.
TEST(OpenLoopReport, send_lateness_beside_latency_only_for_open_loop) {
  auto paced = scenario("paced", "tmpmc", {100, 100});
  paced.config.producers.rate_per_sec = 1000;
  for (auto& run : paced.runs) {
    for (std::uint64_t ns = 100; ns <= 10'000; ns += 100) run.send_lateness.record(ns);
  }
  const auto results = rs::summarize({paced, scenario("closed", "tmpmc", {100})});
  std::ostringstream out;
  rs::print_table(out, results, kContext);
  const std::string text = out.str();
  EXPECT_NE(text.find("late p50  late p99"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlate: "), std::string::npos) << text;
  const json doc = rs::to_json(results, kContext);
  const json& open = doc["scenarios"][0];
  EXPECT_EQ(open["runs"][0]["send_lateness_ns"]["samples"], 100);
  EXPECT_EQ(open["runs"][1]["send_lateness_ns"]["max"], 10'000);
  EXPECT_EQ(open["summary"]["send_lateness_ns"]["p50"], results[0].send_lateness.percentile(50));
  EXPECT_EQ(results[0].send_lateness.count(), 200u);  // both runs merged
  EXPECT_FALSE(open["summary"]["send_lateness_percentiles"].empty());
  const json& closed = doc["scenarios"][1];
  EXPECT_FALSE(closed["runs"][0].contains("send_lateness_ns"));
  EXPECT_FALSE(closed["summary"].contains("send_lateness_ns"));
}

TEST(Table, a_closed_loop_table_has_no_lateness_column) {
  std::ostringstream out;
  rs::print_table(out, rs::summarize({scenario("closed", "tmpmc", {100})}), kContext);
  EXPECT_EQ(out.str().find("late p50"), std::string::npos) << out.str();
}

TEST(ResultJson, schema_v1_with_every_count_of_a_run) {
  auto s = scenario("a", "tmpmc", {100});
  s.runs[0].trace_hash = 0xabc;
  const json doc = rs::to_json(rs::summarize({s}), kContext);
  EXPECT_EQ(doc["schema"], rs::kResultSchema);
  EXPECT_EQ(doc["started_at"], kContext.started_at);
  const json& run = doc["scenarios"][0]["runs"][0];
  for (const sc::FailureClass counted : sc::kCountedFailures) {
    EXPECT_EQ(run[std::string(sc::count_name(counted))], 0) << sc::to_string(counted);
  }
  EXPECT_EQ(run["trace_hash"], "0000000000000abc");
  EXPECT_EQ(doc["scenarios"][0]["verdict"], "pass");
}

TEST(StressReport, lines_failure_and_stress_v1) {
  sc::StressResult passed;
  passed.scenario = "ok";
  passed.impl = "tmpmc";
  passed.seeds_run = 200;
  sc::StressResult failed;
  failed.scenario = "bad";
  failed.impl = "seed";
  failed.seeds_run = 7;
  sc::StressFailure failure;
  failure.seed = 7;
  failure.kind = to_string(sc::FailureClass::lost);
  failure.lines = {"1 lost"};
  failure.replay = "tmpmc-bench run x.json";
  failure.trace_hash = 0x1f;
  failed.failure = failure;
  const sc::StressOptions options;
  std::ostringstream out;
  rs::print_stress(out, {passed, failed}, options);
  const std::string text = out.str();
  EXPECT_NE(text.find("ok   tmpmc  200 seeds"), std::string::npos) << text;
  EXPECT_NE(text.find("\nFAIL: bad on seed, seed 7 (after 7 seeds): lost\n  1 lost\n"
                      "  trace_hash 000000000000001f\nreplay: tmpmc-bench run x.json\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("207 seeds in 0.00 s (0 seeds/s), policy random, deterministic"),
            std::string::npos)
      << text;
  EXPECT_TRUE(rs::any_failed({passed, failed}));
  const json doc = rs::to_json({passed, failed}, options);
  EXPECT_EQ(doc["schema"], rs::kStressSchema);
  EXPECT_EQ(doc["scenarios"][1]["failure"]["kind"], "lost");
  EXPECT_EQ(doc["scenarios"][1]["verdict"], "fail");
}

TEST(ResultFile, written_whole_or_not_at_all) {
  const auto path = std::filesystem::temp_directory_path() / "tmpmc_test_result_file.json";
  rs::write_result_file(path.string(), json{{"schema", rs::kResultSchema}});
  std::ifstream in(path);
  EXPECT_EQ(json::parse(in)["schema"], rs::kResultSchema);
  EXPECT_THROW(rs::write_result_file("/nonexistent/dir/out.json", json::object()),
               rs::ResultFileError);
}

// ---------------------------------------------------------------- no_progress
namespace no_progress {

// The driver defect that once printed 0 msgs/s and `pass` for every shipped
// scenario, re-created: producers that stop before their first send. The
// real loops run, each producer with no quota (`messages` 0); the run is then
// judged against the scenario as written.
sc::RunResult producers_stop_at_once(const sc::ScenarioConfig& config,
                                     const sc::DriverOptions& options) {
  sc::ScenarioConfig broken = config;
  broken.messages = 0;
  sc::DriverOptions inner = options;
  inner.run_instead = nullptr;
  return sc::run_scenario(broken, inner);
}

// Producers that stop halfway: every check passes (what was sent arrived).
sc::RunResult producers_stop_halfway(const sc::ScenarioConfig& config,
                                     const sc::DriverOptions& options) {
  sc::ScenarioConfig broken = config;
  broken.messages = *config.messages / 2;
  sc::DriverOptions inner = options;
  inner.run_instead = nullptr;
  return sc::run_scenario(broken, inner);
}

// options(): driver options with the message clock every run needs.
sc::DriverOptions options() {
  static const sc::TimestampClock clock = sc::TimestampClock::calibrate();
  sc::DriverOptions o;
  o.clock = &clock;
  return o;
}

std::vector<sc::ScenarioConfig> spsc(bool deterministic) {
  return sc::parse_scenarios(
      std::string(
          R"({"name":"spsc","messages":1000,"queue":{"capacity":16},"runtime":{"workers":1,)") +
          R"("deterministic":)" + (deterministic ? "true" : "false") + "}}",
      "report_test");
}

TEST(NoProgress, a_run_that_sends_nothing_fails_as_no_progress) {
  for (const bool deterministic : {true, false}) {
    sc::DriverOptions broken = options();
    broken.run_instead = &producers_stop_at_once;
    auto runs = sc::run_all(spsc(deterministic), broken, nullptr);
    ASSERT_EQ(runs.size(), 1u);
    for (const auto& run : runs[0].runs) {
      EXPECT_TRUE(run.check.ok()) << "nothing sent, nothing lost: only the new rule sees it";
      EXPECT_EQ(run.no_progress, "no send was attempted");
      EXPECT_EQ(sc::failure_kind(run), "no_progress");
    }
    const auto results = rs::summarize(std::move(runs));
    EXPECT_FALSE(rs::all_passed(results));
    ASSERT_FALSE(results[0].failures.empty());
    EXPECT_NE(results[0].failures[0].find("no_progress: no send was attempted"), std::string::npos)
        << results[0].failures[0];
    const json doc = rs::to_json(results, kContext);
    EXPECT_EQ(doc["scenarios"][0]["verdict"], "fail");
    EXPECT_EQ(doc["scenarios"][0]["runs"][0]["no_progress"], "no send was attempted");
  }
}

TEST(NoProgress, producers_that_stop_early_without_a_fault_fail) {
  sc::DriverOptions broken = options();
  broken.run_instead = &producers_stop_halfway;
  const auto run = sc::run_scenario(spsc(true).at(0), broken);
  EXPECT_TRUE(run.check.ok());
  EXPECT_EQ(run.no_progress, "500 of 1000 messages attempted, and no producer fault stops them");
  EXPECT_EQ(sc::failure_kind(run), "no_progress");
}

TEST(NoProgress, a_run_that_moves_its_messages_passes) {
  const auto run = sc::run_scenario(spsc(true).at(0), options());
  EXPECT_EQ(run.no_progress, "");
  EXPECT_EQ(sc::failure_kind(run), "");
}

// A close after N received that a producer fault put out of reach (real
// threads draw N anywhere up to `messages`): the run closes after its
// producers and is judged by what they sent, not by N. Without the fault,
// the same short count is no_progress.
TEST(NoProgress, a_close_count_out_of_reach_of_stopped_producers_is_no_failure) {
  auto config =
      sc::parse_scenarios(R"({"name":"stop","messages":4,"queue":{"capacity":1},)"
                          R"("producers":{"count":2,"stop_after":1},"consumers":{"count":1},)"
                          R"("close":{"when":"after_received","messages":4}})",
                          "report_test")
          .at(0);
  sc::RunResult run;
  run.check.sent = 3;  // producer 0 stopped after 1 of its 2
  run.check.received = 3;
  sc::judge_progress(config, run);
  EXPECT_EQ(run.no_progress, "");
  run.check.received = 2;  // one sent ok and neither received nor left: a real shortfall
  sc::judge_progress(config, run);
  EXPECT_EQ(run.no_progress, "2 received, but close.after_received is 4");
  config.producers.stop_after = 0;
  run.no_progress.clear();
  run.check.received = 3;
  sc::judge_progress(config, run);
  EXPECT_EQ(run.no_progress, "3 received, but close.after_received is 4");
}

TEST(NoProgress, the_class_has_a_name_and_no_count) {
  EXPECT_EQ(sc::to_string(sc::FailureClass::no_progress), "no_progress");
  EXPECT_EQ(sc::failure_class_from_string("no_progress"), sc::FailureClass::no_progress);
  EXPECT_EQ(sc::count_name(sc::FailureClass::no_progress), "");
}

}  // namespace no_progress

}  // namespace
}  // namespace tmpmc::testing
