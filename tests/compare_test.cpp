// compare_test.cpp: the relative CI gate on synthetic result files, and the
// Mann-Whitney U test against hand-computed p-values.
#include "tmpmc/results/compare.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "tmpmc/results/schema.h"
#include "tmpmc/results/statistics.h"

namespace tmpmc::testing {
namespace {

using nlohmann::json;
namespace rs = tmpmc::results;

// A result file with one scenario per entry: name -> per-run msgs/s (and p99
// = 1000); each run counts `broken` of the failure counted as `count_name`.
json result(const std::vector<std::pair<std::string, std::vector<double>>>& scenarios,
            std::uint64_t broken = 0, const std::string& count_name = "lost") {
  json doc = {{"schema", rs::kResultSchema}, {"scenarios", json::array()}};
  for (const auto& [name, rates] : scenarios) {
    json s = {{"name", name}, {"runs", json::array()}, {"verdict", broken ? "fail" : "pass"}};
    for (double r : rates) {
      json run = {{"msgs_per_sec", r},    {"lost", 0},
                  {"duplicated", 0},      {"phantom", 0},
                  {"reordered", 0},       {"hung", 0},
                  {"spurious_closed", 0}, {"latency_ns", {{"p50", 500}, {"p99", 1000}}}};
      run[count_name] = broken;
      s["runs"].push_back(run);
    }
    doc["scenarios"].push_back(s);
  }
  return doc;
}

std::string write(const std::string& name, const json& doc) {
  return temp_file("compare_" + name + ".json", doc.dump());
}

int run_compare(const std::string& base, const std::string& next, const std::string& extra = "") {
  return run_cli("compare " + base + " " + next + " " + extra).exit_code;
}

const std::vector<double> kBase = {100, 101, 99, 100.5, 99.5, 100.2, 99.8};

rs::Verdict verdict_of(const rs::Comparison& c, const std::string& metric = "msgs_per_sec") {
  for (const auto& row : c.rows) {
    if (row.metric == metric) return row.verdict;
  }
  return rs::Verdict::ok;
}

TEST(Compare, clear_regression_exits_1) {
  const json base = result({{"a", kBase}});
  const json next = result({{"a", {80, 81, 79, 80.5, 79.5, 80.2, 79.8}}});
  const auto c = rs::compare(base, next, {});
  EXPECT_EQ(verdict_of(c), rs::Verdict::regressed);
  EXPECT_TRUE(c.regressed());
  EXPECT_EQ(run_compare(write("reg_base", base), write("reg_new", next)), 1);
}

TEST(Compare, clear_improvement_exits_0) {
  const json base = result({{"a", kBase}});
  const json next = result({{"a", {120, 121, 119, 120.5, 119.5, 120.2, 119.8}}});
  const auto c = rs::compare(base, next, {});
  EXPECT_EQ(verdict_of(c), rs::Verdict::improved);
  EXPECT_FALSE(c.regressed());
  EXPECT_EQ(run_compare(write("imp_base", base), write("imp_new", next)), 0);
}

TEST(Compare, within_threshold_is_ok) {
  const auto c = rs::compare(result({{"a", kBase}}),
                             result({{"a", {98, 99, 97, 98.5, 97.5, 98.2, 97.8}}}), {});
  EXPECT_EQ(verdict_of(c), rs::Verdict::ok);
  EXPECT_FALSE(c.regressed());
}

TEST(Compare, shift_beyond_threshold_but_insignificant_is_noise) {
  // Medians 10% apart, but the samples overlap heavily: the U test does not reject.
  const json base = result({{"a", {100, 60, 140, 70, 130, 90, 110}}});
  const json next = result({{"a", {90, 55, 135, 65, 125, 80, 100}}});
  const auto c = rs::compare(base, next, {});
  EXPECT_EQ(verdict_of(c), rs::Verdict::noise);
  EXPECT_GT(c.rows[0].p_value, 0.05);
  EXPECT_EQ(run_compare(write("noise_base", base), write("noise_new", next)), 0);
}

TEST(Compare, few_runs_threshold_alone_decides) {
  const auto c = rs::compare(result({{"a", {100, 100}}}), result({{"a", {80, 80}}}), {});
  EXPECT_LT(c.rows[0].p_value, 0.0);  // not tested
  EXPECT_EQ(verdict_of(c), rs::Verdict::regressed);
}

// lateness_*: an open-loop run's send_lateness_ns, lower is better.
TEST(Compare, lateness_metrics_read_send_lateness) {
  auto with_lateness = [](json doc, double p99) {
    for (json& run : doc["scenarios"][0]["runs"]) run["send_lateness_ns"] = {{"p99", p99}};
    return doc;
  };
  rs::CompareOptions options;
  options.metrics = {"lateness_p99"};
  const json base = with_lateness(result({{"a", kBase}}), 1000);
  const json worse = with_lateness(result({{"a", kBase}}), 5000);
  const auto c = rs::compare(base, worse, options);
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].scenario, "a");
  EXPECT_EQ(c.rows[0].verdict, rs::Verdict::regressed);
  EXPECT_EQ(c.rows[0].new_median, 5000);
  EXPECT_EQ(rs::compare(worse, base, options).rows[0].verdict, rs::Verdict::improved);
  EXPECT_EQ(run_compare(write("late_base", base), write("late_new", worse),
                        "--metrics lateness_p99 --threshold 10%"),
            1);
}

// A metric one side lacks (a closed-loop run has no send lateness; the file
// below has no latency at all) is an error naming the scenario, the metric
// and the file, never a pass on two medians of 0.
TEST(Compare, a_requested_metric_missing_from_a_side_exits_2) {
  const json with = result({{"a", kBase}});
  json without = result({{"a", kBase}});
  for (json& run : without["scenarios"][0]["runs"]) run.erase("latency_ns");
  const std::string with_file = write("metric_with", with);
  const std::string without_file = write("metric_without", without);
  rs::CompareOptions options;
  options.new_file = without_file;
  try {
    rs::compare(with, without, options);
    ADD_FAILURE() << "no error for a missing p99";
  } catch (const rs::CompareError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(without_file), std::string::npos) << what;
    EXPECT_NE(what.find("\"a\""), std::string::npos) << what;
    EXPECT_NE(what.find("p99"), std::string::npos) << what;
  }
  EXPECT_EQ(run_compare(with_file, without_file), 2);
  EXPECT_EQ(run_compare(without_file, with_file), 2);
  EXPECT_EQ(run_compare(with_file, with_file, "--metrics lateness_p99"), 2);
  // msgs_per_sec alone is in both: that comparison is fine.
  EXPECT_EQ(run_compare(with_file, without_file, "--metrics msgs_per_sec"), 0);
}

TEST(Compare, correctness_failure_with_better_numbers_exits_1) {
  const json base = result({{"a", kBase}});
  const json next = result({{"a", {200, 201, 199, 200.5, 199.5, 200.2, 199.8}}}, /*lost=*/3);
  const auto c = rs::compare(base, next, {});
  EXPECT_TRUE(c.regressed());
  ASSERT_EQ(c.correctness_failures.size(), 1u);
  EXPECT_NE(c.correctness_failures[0].find("lost"), std::string::npos);
  EXPECT_EQ(run_compare(write("bad_base", base), write("bad_new", next)), 1);
}

TEST(Compare, every_counted_failure_class_is_a_correctness_regression) {
  for (const char* count :
       {"lost", "duplicated", "phantom", "reordered", "hung", "spurious_closed"}) {
    const auto c = rs::compare(result({{"a", kBase}}), result({{"a", kBase}}, 1, count), {});
    ASSERT_EQ(c.correctness_failures.size(), 1u) << count;
    EXPECT_NE(c.correctness_failures[0].find(std::string("1 ") + count), std::string::npos)
        << c.correctness_failures[0];
  }
}

// A pass that becomes no_progress (a run that moved nothing, no count to
// show for it) is a correctness regression, named by its failure line.
TEST(Compare, a_pass_that_becomes_no_progress_is_a_regression) {
  json next = result({{"a", {0, 0, 0, 0, 0, 0, 0}}});
  next["scenarios"][0]["verdict"] = "fail";
  next["scenarios"][0]["failures"] = {"run 1: no_progress: no send was attempted"};
  for (auto& run : next["scenarios"][0]["runs"]) run["no_progress"] = "no send was attempted";
  const auto c = rs::compare(result({{"a", kBase}}), next, {});
  EXPECT_TRUE(c.regressed());
  ASSERT_EQ(c.correctness_failures.size(), 1u);
  EXPECT_NE(c.correctness_failures[0].find("no_progress: no send was attempted"), std::string::npos)
      << c.correctness_failures[0];
}

TEST(Compare, a_value_of_the_wrong_type_is_a_compare_error) {
  json next = result({{"a", kBase}});
  next["scenarios"][0]["runs"][0]["latency_ns"]["p99"] = "slow";
  rs::CompareOptions options;
  EXPECT_THROW(rs::compare(result({{"a", kBase}}), next, options), rs::CompareError);
  EXPECT_EQ(run_compare(write("type_base", result({{"a", kBase}})), write("type_new", next)), 2);
}

// A scenario BASE has and NEW lacks (a config edit dropped it, a run was cut
// short) fails the gate unless --allow-missing; one only in NEW is listed.
TEST(Compare, a_scenario_missing_from_new_fails_unless_allowed) {
  const json base = result({{"a", kBase}, {"gone", kBase}});
  const json next = result({{"a", kBase}, {"added", kBase}});
  const auto c = rs::compare(base, next, {});
  EXPECT_EQ(c.only_in_base, std::vector<std::string>{"gone"});
  EXPECT_EQ(c.only_in_new, std::vector<std::string>{"added"});
  EXPECT_TRUE(c.regressed());
  rs::CompareOptions allow;
  allow.allow_missing = true;
  EXPECT_FALSE(rs::compare(base, next, allow).regressed());
  EXPECT_FALSE(rs::compare(result({{"a", kBase}}), next, {}).regressed()) << "only in NEW";

  const std::string base_file = write("missing_base", base), next_file = write("missing_new", next);
  const CliRun failed = run_cli("compare " + base_file + " " + next_file);
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find("REGRESSION (missing) only in BASE: gone"), std::string::npos)
      << failed.output;
  EXPECT_EQ(run_compare(base_file, next_file, "--allow-missing"), 0);
}

// Scenarios of one name that did different work (quickstart's spsc is 2M
// messages, configs/spsc.json's 10M) are not one scenario: an error naming
// each differing key, unless --allow-config-change. How often a scenario ran
// and its absolute gates are not its work.
TEST(Compare, a_scenario_whose_work_changed_exits_2_unless_allowed) {
  json base = result({{"a", kBase}});
  json next = result({{"a", kBase}});
  base["scenarios"][0]["config"] = {{"name", "a"},
                                    {"messages", 2000000},
                                    {"queue", {{"impl", "tmpmc"}, {"capacity", 1024}}},
                                    {"run", {{"repeat", 3}}},
                                    {"expect", {{"min_msgs_per_sec", 0}}}};
  next["scenarios"][0]["config"] = base["scenarios"][0]["config"];
  next["scenarios"][0]["config"]["run"]["repeat"] = 7;
  next["scenarios"][0]["config"]["expect"]["min_msgs_per_sec"] = 5;
  next["scenarios"][0]["config"]["description"] = "other words";
  EXPECT_NO_THROW(rs::compare(base, next, {})) << "repeats, gates and words are not work";

  next["scenarios"][0]["config"]["messages"] = 10000000;
  next["scenarios"][0]["config"]["queue"]["impl"] = "mutex";
  try {
    rs::compare(base, next, {});
    ADD_FAILURE() << "no error for a changed config";
  } catch (const rs::CompareError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("messages (BASE 2000000, NEW 10000000)"), std::string::npos) << what;
    EXPECT_NE(what.find("queue.impl (BASE \"tmpmc\", NEW \"mutex\")"), std::string::npos) << what;
    EXPECT_EQ(what.find("capacity"), std::string::npos) << what;
  }
  rs::CompareOptions allow;
  allow.allow_config_change = true;
  EXPECT_NO_THROW(rs::compare(base, next, allow));
  const std::string base_file = write("work_base", base), next_file = write("work_new", next);
  EXPECT_EQ(run_compare(base_file, next_file), 2);
  EXPECT_EQ(run_compare(base_file, next_file, "--allow-config-change"), 0);
}

// compare matches scenarios by name: a name twice in one file is an error
// naming both entries, not the last one silently kept.
TEST(Compare, a_scenario_name_twice_in_one_file_exits_2) {
  const json twice = result({{"a", kBase}, {"b", kBase}, {"a", {50, 50, 50, 50, 50}}});
  const std::string file = write("twice", twice), once = write("once", result({{"a", kBase}}));
  const CliRun run = run_cli("compare " + once + " " + file);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find(file + ": scenarios[2]: the name \"a\" is also scenarios[0]'s"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run_compare(file, once), 2);
}

// --threshold 10% for every metric, or per metric, or both.
TEST(Compare, thresholds_per_metric) {
  json base = result({{"a", kBase}});
  json next = result({{"a", {90, 91, 89, 90.5, 89.5, 90.2, 89.8}}});               // -10%
  for (auto& run : next["scenarios"][0]["runs"]) run["latency_ns"]["p99"] = 1200;  // +20%
  rs::CompareOptions options;
  options.threshold = 0.25;
  EXPECT_FALSE(rs::compare(base, next, options).regressed());
  options.metric_thresholds["msgs_per_sec"] = 0.05;
  const auto c = rs::compare(base, next, options);
  EXPECT_EQ(verdict_of(c, "msgs_per_sec"), rs::Verdict::regressed);
  EXPECT_EQ(verdict_of(c, "p99"), rs::Verdict::ok);

  const std::string base_file = write("thr_base", base), next_file = write("thr_new", next);
  EXPECT_EQ(run_compare(base_file, next_file, "--threshold 25%"), 0);
  EXPECT_EQ(run_compare(base_file, next_file, "--threshold msgs_per_sec=15%,p99=25%"), 0);
  EXPECT_EQ(run_compare(base_file, next_file, "--threshold msgs_per_sec=15%,p99=15%"), 1);
  EXPECT_EQ(run_compare(base_file, next_file, "--threshold 25%,msgs_per_sec=5%"), 1);
  EXPECT_EQ(run_compare(base_file, next_file, "--threshold msgs_per_sec=5"), 1);
  for (const char* bad : {"p99=abc", "bogus=5%", "p999=5%", "msgs_per_sec=", "=5%"}) {
    const CliRun run = run_cli("compare " + base_file + " " + next_file + " --threshold " + bad);
    EXPECT_EQ(run.exit_code, 2) << bad << ": " << run.output;
    EXPECT_NE(run.output.find("--threshold"), std::string::npos) << bad << ": " << run.output;
  }
}

// Host and build facts that differ are a warning each: the gate still runs.
TEST(Compare, differing_host_facts_warn) {
  json base = result({{"a", kBase}});
  json next = result({{"a", kBase}});
  base["host"] = {{"cpu_model", "AMD EPYC"}, {"cpus", 2}};
  next["host"] = {{"cpu_model", "Intel Xeon"}, {"cpus", 8}};
  base["tool"] = {{"build", "Release"}};
  next["tool"] = {{"build", "Release"}};
  const auto c = rs::compare(base, next, {});
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_NE(c.warnings[0].find("host.cpu_model differs"), std::string::npos) << c.warnings[0];
  EXPECT_NE(c.warnings[1].find("host.cpus differs"), std::string::npos) << c.warnings[1];
  const CliRun run = run_cli("compare " + write("host_base", base) + " " + write("host_new", next));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("warning: host.cpus differs"), std::string::npos) << run.output;
}

TEST(Compare, wrong_schema_or_unreadable_exits_2) {
  json wrong = result({{"a", kBase}});
  wrong["schema"] = "something/else";
  const std::string good = write("good", result({{"a", kBase}}));
  EXPECT_EQ(run_compare(good, write("wrong", wrong)), 2);
  EXPECT_EQ(run_compare(good, "/nonexistent/result.json"), 2);
  EXPECT_EQ(run_compare(good, good, "--metrics bogus"), 2);
  EXPECT_EQ(run_compare(good, good, "--threshold abc"), 2);
  EXPECT_THROW(rs::load_result("/nonexistent/result.json"), rs::CompareError);
}

TEST(Compare, latency_regression_is_lower_is_better) {
  json base = result({{"a", kBase}});
  json next = result({{"a", kBase}});
  for (auto& run : next["scenarios"][0]["runs"]) run["latency_ns"]["p99"] = 2000;
  const auto c = rs::compare(base, next, {});
  EXPECT_EQ(verdict_of(c, "p99"), rs::Verdict::regressed);
}

// ---------------------------------------------------------------- Mann-Whitney U

TEST(MannWhitney, exact_p_values_match_hand_computed) {
  // Completely separated samples of 3 and 3: U = 0, P(U <= 0) = 1/C(6,3) = 1/20;
  // two-sided p = 2/20.
  EXPECT_NEAR(rs::mann_whitney_p({1, 2, 3}, {4, 5, 6}), 0.1, 1e-12);
  // 5 and 5 separated: 2 / C(10,5) = 2/252.
  EXPECT_NEAR(rs::mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 2.0 / 252, 1e-12);
  // 5 and 5, U = 1 (one swap at the boundary): P(U <= 1) = 2/252, two-sided 4/252.
  EXPECT_NEAR(rs::mann_whitney_p({1, 2, 3, 4, 6}, {5, 7, 8, 9, 10}), 4.0 / 252, 1e-12);
  // 4 and 4, U = 2: counts of U = 0,1,2 are 1,1,2 of C(8,4) = 70 orderings:
  // P(U <= 2) = 4/70, two-sided 8/70.
  EXPECT_NEAR(rs::mann_whitney_p({1, 2, 4, 5}, {3, 6, 7, 8}), 8.0 / 70, 1e-12);
  // Identical distributions: p is 1 at the centre.
  EXPECT_NEAR(rs::mann_whitney_p({1, 4, 5, 8}, {2, 3, 6, 7}), 1.0, 1e-12);
}

TEST(MannWhitney, symmetric_and_tie_handling) {
  EXPECT_NEAR(rs::mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}),
              rs::mann_whitney_p({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}), 1e-12);
  // With ties: the normal approximation; all equal gives p = 1.
  EXPECT_NEAR(rs::mann_whitney_p({5, 5, 5, 5, 5}, {5, 5, 5, 5, 5}), 1.0, 1e-12);
  const double p = rs::mann_whitney_p({1, 1, 2, 2, 3}, {8, 8, 9, 9, 10});
  EXPECT_GT(p, 0.0);
  EXPECT_LT(p, 0.02);
}

}  // namespace
}  // namespace tmpmc::testing
