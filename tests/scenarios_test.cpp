// scenarios_test.cpp: configs, checker, histogram, and every shipped config
// run end to end through the command line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "tmpmc/runtime/rng.h"
#include "tmpmc/scenarios/checker.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/histogram.h"
#include "tmpmc/scenarios/runner.h"

namespace tmpmc::testing {
namespace {

using nlohmann::json;
namespace sc = tmpmc::scenarios;

std::string config_error(const std::string& text) {
  try {
    sc::parse_scenarios(text, "configs/x.json");
  } catch (const sc::ConfigError& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------- config errors

struct BadConfig {
  const char* text;
  const char* message;  // the whole line must contain this
};

class ConfigErrorTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrorTest, names_path_and_expectation) {
  const std::string error = config_error(GetParam().text);
  EXPECT_NE(error.find(GetParam().message), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error;
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, ConfigErrorTest,
    ::testing::Values(
        BadConfig{R"({"name":"x","producers":{"count":-3}})",
                  "configs/x.json: producers.count: expected an integer from 1 to 10000, got -3"},
        BadConfig{R"({"name":"x","producers":{"count":"4"}})",
                  "producers.count: expected an integer"},
        BadConfig{R"({"name":"x","producers":{"cuont":3}})",
                  "producers.cuont: unknown key (did you mean \"count\"?)"},
        BadConfig{R"({"name":"x","qeueu":{}})", "qeueu: unknown key (did you mean \"queue\"?)"},
        BadConfig{R"({"name":"x","queue":{"capacity":0}})",
                  "queue.capacity: expected an integer from 1"},
        BadConfig{R"({"name":"x","queue":{"impl":"nope"}})", "queue.impl: expected one of"},
        BadConfig{R"({"name":"x","messages":5,"duration_ms":5})",
                  "messages and duration_ms are both set"},
        BadConfig{R"({"name":"x","messages":5,"close":{"when":"after_received","messages":9}})",
                  "close.messages: expected at most messages (5), got 9"},
        BadConfig{R"({"name":"x","close":{"when":"after_ms"}})", "close.ms: missing"},
        BadConfig{R"({"name":"x","close":{"when":"soon"}})", "close.when: expected one of"},
        BadConfig{R"({"name":"x","runtime":{"deterministic":true,"workers":2}})",
                  "runtime.workers: expected 1 with deterministic"},
        BadConfig{R"({"name":"x","runtime":{"workers":0}})",
                  "runtime.workers: expected an integer from 1"},
        BadConfig{R"({"name":"x","producers":{"rate_per_sec":-1}})",
                  "producers.rate_per_sec: expected a number >= 0"},
        BadConfig{R"({"name":"x","sweep":{"queue.capacity":[1,0]}})",
                  "queue.capacity: expected an integer from 1 to 67108864, got 0 (sweep point "
                  "queue.capacity=0)"},
        BadConfig{R"({"name":"x","sweep":{"bogus":[1]}})",
                  "sweep.bogus: not a key that can be swept"},
        BadConfig{R"({"producers":{"count":1}})", "name: missing"},
        BadConfig{R"({"scenarios":[{"name":"a"},{"name":"a"}]})", "two scenarios are named \"a\""},
        BadConfig{R"({"scenarios":[]})", "scenarios: expected a non-empty array"},
        BadConfig{"[1, 2]", "the top level: expected a scenario object, got an array"},
        BadConfig{"", "the file is empty"},
        BadConfig{"{\n  \"name\": \"x\",\n}", "configs/x.json:3:1: invalid JSON"}));

TEST(Config, defaults_and_resolution) {
  auto configs = sc::parse_scenarios(R"({"name":"x"})", "x.json");
  ASSERT_EQ(configs.size(), 1u);
  const auto& c = configs[0];
  EXPECT_EQ(c.queue.impl, "tmpmc");
  EXPECT_EQ(c.queue.capacity, 1024u);
  EXPECT_EQ(c.messages, 1'000'000u);
  EXPECT_EQ(c.close.when, sc::CloseWhen::after_producers);
  EXPECT_EQ(c.latency_sample_every, 64u);
  EXPECT_EQ(c.run.repeat, 5u);
  const json resolved = c.to_json();
  EXPECT_EQ(resolved["runtime"]["stack_kib"], 64);
  EXPECT_EQ(resolved["close"]["when"], "after_producers");
}

TEST(Config, sweep_is_a_cross_product_with_named_points) {
  auto configs = sc::parse_scenarios(
      R"({"name":"s","sweep":{"producers.count":[1,4],"queue.capacity":[1,64,1024]}})", "x.json");
  ASSERT_EQ(configs.size(), 6u);
  EXPECT_EQ(configs[0].name, "s[producers.count=1,queue.capacity=1]");
  EXPECT_EQ(configs[5].name, "s[producers.count=4,queue.capacity=1024]");
  EXPECT_EQ(configs[5].producers.count, 4u);
  EXPECT_EQ(configs[5].queue.capacity, 1024u);
}

TEST(Config, deterministic_defaults_to_one_worker) {
  auto configs = sc::parse_scenarios(R"({"name":"d","runtime":{"deterministic":true}})", "x.json");
  EXPECT_EQ(configs[0].runtime.workers, 1u);
}

TEST(Config, number_beyond_a_double_is_a_config_error) {
  // Found by the config fuzzer: nlohmann throws out_of_range, not parse_error.
  try {
    sc::parse_scenarios(R"({"name":"x","messages":40001e30800})", "x.json");
    FAIL() << "accepted";
  } catch (const sc::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "x.json: invalid JSON: number overflow parsing '40001e30800'");
  }
}

TEST(Config, files) {
  EXPECT_THROW(sc::load_scenarios("/nonexistent/x.json"), sc::ConfigError);
  EXPECT_THROW(sc::load_scenarios(std::filesystem::temp_directory_path().string()),
               sc::ConfigError);
}

// ---------------------------------------------------------------- the command line

// run_cli_into(): runs tmpmc-bench with `args`, its output going to `log`;
// returns its exit code (-1 if it did not exit).
int run_cli_into(const std::string& args, const std::string& log) {
  const std::string command = std::string(TMPMC_BENCH_BIN) + " " + args + " >" + log + " 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_cli(const std::string& args) { return run_cli_into(args, "/dev/null"); }

std::string temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() / ("tmpmc_test_" + name);
  std::ofstream(path) << content;
  return path.string();
}

TEST(Cli, bad_input_exits_2_and_runs_nothing) {
  EXPECT_EQ(run_cli("run /nonexistent/config.json"), 2);
  EXPECT_EQ(run_cli("run " + std::filesystem::temp_directory_path().string()), 2);
  EXPECT_EQ(run_cli("run " + temp_file("empty.json", "")), 2);
  EXPECT_EQ(run_cli("run " + temp_file("invalid.json", "{\"name\": ")), 2);
  EXPECT_EQ(run_cli("run " + temp_file("neg.json", R"({"name":"x","producers":{"count":-3}})")), 2);
  EXPECT_EQ(run_cli("validate " + temp_file("zero.json", R"({"name":"x","queue":{"capacity":0}})")),
            2);
  EXPECT_EQ(run_cli("run --bogus-flag"), 2);
  EXPECT_EQ(run_cli("run " + std::string(TMPMC_CONFIG_DIR) + "/spsc.json --scale 0"), 2);
  EXPECT_EQ(run_cli("run " + std::string(TMPMC_CONFIG_DIR) +
                    "/spsc.json --json /nonexistent/dir/out.json"),
            2);
}

TEST(Cli, validate_accepts_every_shipped_config) {
  for (const auto& entry : std::filesystem::directory_iterator(TMPMC_CONFIG_DIR)) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_EQ(run_cli("validate " + entry.path().string()), 0) << entry.path();
  }
}

TEST(Cli, expect_not_met_exits_1) {
  const std::string path = temp_file(
      "expect.json",
      R"({"name":"x","messages":1000,"run":{"repeat":1,"warmup":0},"expect":{"min_msgs_per_sec":1e15}})");
  EXPECT_EQ(run_cli("run " + path), 1);
}

// Every file in configs/ runs end to end at --scale 0.01 and passes; the JSON
// it writes parses and has every field of result schema v1.
class ShippedConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedConfig, runs_and_writes_schema_v1) {
  const std::string config = std::string(TMPMC_CONFIG_DIR) + "/" + GetParam();
  const auto out = std::filesystem::temp_directory_path() / ("tmpmc_result_" + GetParam());
  std::filesystem::remove(out);
  std::string impls;
#if defined(__SANITIZE_THREAD__)
  // Boost.Fiber cannot run under TSan (its switches are not annotated).
  std::ifstream text(config);
  if (std::string(std::istreambuf_iterator<char>(text), {}).find("boost-fiber") !=
      std::string::npos) {
    impls = " --impl tmpmc,mutex,threads,seed";
  }
#endif
  const auto log = std::filesystem::temp_directory_path() / ("tmpmc_result_" + GetParam() + ".log");
  const int code = run_cli_into(
      "run " + config + impls + " --scale 0.01 --repeat 2 --quiet --json " + out.string(),
      log.string());
  std::ifstream log_in(log);
  const std::string output(std::istreambuf_iterator<char>(log_in), {});
  ASSERT_TRUE(std::filesystem::exists(out)) << "exit " << code << ", no result file:\n" << output;
  std::ifstream in(out);
  const json doc = json::parse(in);
  // Exit 1 only for the seed design's own bugs (configs/peers.json runs it).
  bool seed_failed = false;
  for (const json& s : doc["scenarios"]) {
    seed_failed |= s["impl"] == "seed" && s["verdict"] != "pass";
  }
  ASSERT_EQ(code, seed_failed ? 1 : 0) << output;
  EXPECT_EQ(doc["schema"], "tmpmc-bench/result/v1");
  for (const char* key : {"version", "git", "build"}) EXPECT_TRUE(doc["tool"].contains(key)) << key;
  for (const char* key : {"cpus", "cpu_model", "compiler", "os"})
    EXPECT_TRUE(doc["host"].contains(key)) << key;
  EXPECT_TRUE(doc.contains("started_at"));
  ASSERT_FALSE(doc["scenarios"].empty());
  for (const json& s : doc["scenarios"]) {
    if (s["impl"] == "seed") continue;  // allowed to fail: the design with known bugs
    EXPECT_EQ(s["verdict"], "pass") << s["name"] << " " << s["failures"].dump();
    EXPECT_TRUE(s["config"].contains("queue"));
    ASSERT_EQ(s["runs"].size(), 2u);
    for (const json& run : s["runs"]) {
      for (const char* key :
           {"elapsed_s", "msgs_per_sec", "sent", "send_closed", "received", "lost", "duplicated",
            "phantom", "reordered", "hung", "left_in_queue"}) {
        EXPECT_TRUE(run.contains(key)) << key;
      }
      for (const char* key : {"p50", "p90", "p99", "p999", "max", "mean"}) {
        EXPECT_TRUE(run["latency_ns"].contains(key)) << key;
      }
      for (const char* key : {"switches", "parks", "steals", "switches_per_msg"}) {
        EXPECT_TRUE(run["runtime"].contains(key)) << key;
      }
      // Nothing lost: every message sent ok was received or is still queued.
      EXPECT_EQ(run["received"].get<std::uint64_t>() + run["left_in_queue"].get<std::uint64_t>(),
                run["sent"].get<std::uint64_t>());
    }
    for (const char* key : {"msgs_per_sec", "latency_ns", "latency_percentiles"}) {
      EXPECT_TRUE(s["summary"].contains(key)) << key;
    }
  }
}

std::vector<std::string> shipped_configs() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(TMPMC_CONFIG_DIR)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Configs, ShippedConfig, ::testing::ValuesIn(shipped_configs()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.size() - 5);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// ---------------------------------------------------------------- peers

TEST(Peers, an_impl_list_is_one_scenario_per_impl_in_one_group) {
  auto configs = sc::parse_scenarios(
      R"({"name":"p","queue":{"impl":["tmpmc","mutex","seed"]},"sweep":{"queue.capacity":[1,4]}})",
      "x.json");
  ASSERT_EQ(configs.size(), 6u);
  EXPECT_EQ(configs[0].name, "p[queue.capacity=1,queue.impl=tmpmc]");
  EXPECT_EQ(configs[2].name, "p[queue.capacity=1,queue.impl=seed]");
  EXPECT_EQ(configs[3].name, "p[queue.capacity=4,queue.impl=tmpmc]");
  EXPECT_EQ(configs[0].impl_group, configs[2].impl_group);
  EXPECT_NE(configs[2].impl_group, configs[3].impl_group);
  // --impl replaces the list.
  auto two = sc::with_impls(configs, {"threads", "tmpmc"});
  ASSERT_EQ(two.size(), 4u);
  EXPECT_EQ(two[0].name, "p[queue.capacity=1,queue.impl=threads]");
  EXPECT_EQ(two[1].queue.impl, "tmpmc");
}

TEST(Peers, bad_impls_are_config_errors) {
  for (const char* text :
       {R"({"name":"p","queue":{"impl":[]}})", R"({"name":"p","queue":{"impl":["tmpmc","nope"]}})",
        R"({"name":"p","queue":{"impl":["tmpmc","tmpmc"]}})", R"({"name":"p","queue":{"impl":3}})",
        R"({"name":"p","queue":{"impl":"threads"},"runtime":{"deterministic":true}})",
        R"({"name":"p","queue":{"impl":"seed"},"consumers":{"receive_timeout_us":5}})",
        R"({"name":"p","consumers":{"count":2,"quitters":3,"quit_after":1}})"}) {
    EXPECT_THROW(sc::parse_scenarios(text, "x.json"), sc::ConfigError) << text;
  }
  EXPECT_THROW(sc::parse_impl_list("tmpmc,"), sc::ConfigError);
  EXPECT_THROW(sc::parse_impl_list("tmpmc,tmpmc"), sc::ConfigError);
  EXPECT_EQ(sc::parse_impl_list("tmpmc,boost-fiber").size(), 2u);
}

TEST(Peers, every_impl_passes_the_checks_and_reports_its_ratio) {
  std::string impls = R"(["tmpmc","mutex","threads","seed")";
#if !defined(__SANITIZE_THREAD__)
  impls += R"(,"boost-fiber")";
#endif
  const std::string path =
      temp_file("peers.json", R"({"name":"p","queue":{"impl":)" + impls +
                                  R"(],"capacity":3},"messages":20000,)"
                                  R"("producers":{"count":3},"consumers":{"count":2},)"
                                  // The seed design can strand a receiver on real
                                  // threads (a known bug it keeps): its run then
                                  // ends at timeout_ms, 60 s by default.
                                  R"("run":{"repeat":2,"warmup":0,"timeout_ms":10000}})");
  const auto out = std::filesystem::temp_directory_path() / "tmpmc_result_peers.json";
  const int code = run_cli("run " + path + " --quiet --json " + out.string());
  std::ifstream in(out);
  const json doc = json::parse(in);
  ASSERT_GE(doc["scenarios"].size(), 4u);
  bool failed = false;
  for (const json& s : doc["scenarios"]) failed |= s["verdict"] != "pass";
  EXPECT_EQ(code, failed ? 1 : 0);
  for (const json& s : doc["scenarios"]) {
    // The seed design may fail here, on real threads: its known bugs
    // (spurious closed, stranded receivers), reported and not hidden.
    if (s["impl"] == "seed") continue;
    EXPECT_EQ(s["verdict"], "pass") << s["name"];
    EXPECT_EQ(s["summary"]["vs_first"]["impl"], "tmpmc");
    EXPECT_GT(s["summary"]["vs_first"]["msgs_per_sec"].get<double>(), 0);
    for (const json& run : s["runs"]) EXPECT_EQ(run["received"], 20000);
    if (s["impl"] == "boost-fiber") {
      EXPECT_NE(s["note"].get<std::string>().find("buffered_channel(4)"), std::string::npos);
    }
  }
  EXPECT_EQ(doc["scenarios"][0]["summary"]["vs_first"]["msgs_per_sec"], 1.0);
}

TEST(Faults, every_fault_is_accounted_for_on_every_impl) {
  // Quitting consumers, stopping producers, timed sends and receives, and a
  // producer-side close, on each impl that has timed operations.
  for (const char* impl : {"tmpmc", "mutex", "threads"}) {
    const std::string path = temp_file(
        std::string("faults-") + impl + ".json",
        std::string(R"({"name":"f","queue":{"impl":")") + impl +
            R"(","capacity":2},"messages":3000,)"
            R"("producers":{"count":3,"stop_after":200,"send_timeout_us":50},)"
            R"("consumers":{"count":3,"quit_after":100,"quitters":2,"receive_timeout_us":50},)"
            R"("close":{"when":"by_producer","messages":1500},"run":{"repeat":1,"warmup":0}})");
    const auto out = std::filesystem::temp_directory_path() / "tmpmc_result_faults.json";
    ASSERT_EQ(run_cli("run " + path + " --quiet --json " + out.string()), 0) << impl;
    std::ifstream in(out);
    const json run = json::parse(in)["scenarios"][0]["runs"][0];
    EXPECT_EQ(run["lost"], 0) << impl;
    EXPECT_EQ(run["duplicated"], 0) << impl;
    EXPECT_EQ(run["spurious_closed"], 0) << impl;
    EXPECT_EQ(run["received"].get<std::uint64_t>() + run["left_in_queue"].get<std::uint64_t>(),
              run["sent"].get<std::uint64_t>())
        << impl;
  }
}

// ---------------------------------------------------------------- checker

struct Logs {
  std::vector<sc::ProducerLog> producers;
  std::vector<std::unique_ptr<sc::ConsumerLog>> consumers;
  sc::ConsumerLog left;
  sc::CheckResult check(std::uint64_t hung = 0) {
    std::vector<const sc::ConsumerLog*> views;
    for (auto& c : consumers) views.push_back(c.get());
    return sc::check(producers, views, left, sc::RunFacts{.hung_fibers = hung});
  }
};

// Two producers of 100 messages each, spread over two consumers in order.
void fill_clean(Logs& logs) {
  logs.producers.resize(2);
  for (auto& p : logs.producers) p.attempted = 100;
  logs.consumers.push_back(std::make_unique<sc::ConsumerLog>());
  logs.consumers.push_back(std::make_unique<sc::ConsumerLog>());
  for (std::uint64_t seq = 0; seq < 100; ++seq) {
    for (std::uint32_t p = 0; p < 2; ++p) logs.consumers[seq % 2]->record(p, seq);
  }
}

TEST(Checker, clean_log_reports_nothing) {
  Logs logs;
  fill_clean(logs);
  const auto r = logs.check();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.sent, 200u);
  EXPECT_EQ(r.received, 200u);
  EXPECT_TRUE(r.failures().empty());
}

TEST(Checker, injected_loss) {
  Logs logs;
  fill_clean(logs);
  logs.producers[1].attempted = 101;  // seq 100 of producer 1 was sent ok, never received
  const auto r = logs.check();
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.duplicated + r.phantom + r.reordered, 0u);
}

TEST(Checker, left_in_queue_is_not_lost) {
  Logs logs;
  fill_clean(logs);
  logs.producers[1].attempted = 101;
  logs.left.record(1, 100);
  const auto r = logs.check();
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.left_in_queue, 1u);
}

TEST(Checker, injected_duplicate) {
  Logs logs;
  fill_clean(logs);
  logs.consumers[1]->record(0, 99);  // received again (by the consumer that had 99: no reorder)
  const auto r = logs.check();
  EXPECT_EQ(r.duplicated, 1u);
  EXPECT_EQ(r.lost + r.phantom + r.reordered, 0u);
}

TEST(Checker, injected_phantom) {
  Logs logs;
  fill_clean(logs);
  logs.consumers[0]->record(1, 500);  // never sent
  logs.producers[0].attempted = 101;
  logs.producers[0].refused_closed = {100};
  logs.consumers[1]->record(0, 100);  // refused after close, yet received
  const auto r = logs.check();
  EXPECT_EQ(r.phantom, 2u);
  EXPECT_EQ(r.send_closed, 1u);
  EXPECT_EQ(r.lost + r.duplicated + r.reordered, 0u);
}

TEST(Checker, injected_reorder) {
  Logs logs;
  logs.producers.resize(1);
  logs.producers[0].attempted = 3;
  logs.consumers.push_back(std::make_unique<sc::ConsumerLog>());
  logs.consumers[0]->record(0, 0);
  logs.consumers[0]->record(0, 2);
  logs.consumers[0]->record(0, 1);  // backwards
  const auto r = logs.check();
  EXPECT_EQ(r.reordered, 1u);
  EXPECT_EQ(r.lost + r.duplicated + r.phantom, 0u);
}

TEST(Checker, hung_fibers_fail) {
  Logs logs;
  fill_clean(logs);
  EXPECT_FALSE(logs.check(2).ok());
}

// ---------------------------------------------------------------- histogram

TEST(Histogram, percentiles_within_one_percent_of_exact) {
  runtime::Xoshiro256 rng(7);
  std::vector<std::uint64_t> values;
  sc::Histogram h;
  for (int i = 0; i < 200'000; ++i) {
    // Log-uniform from 1 ns to ~1 s, plus a tail.
    const double exponent = static_cast<double>(rng.below(30'000'000)) / 1e6;
    const auto v = static_cast<std::uint64_t>(std::pow(2.0, exponent));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size()));
    const double exact = static_cast<double>(values[std::max<std::size_t>(rank, 1) - 1]);
    const double got = static_cast<double>(h.percentile(p));
    EXPECT_LE(std::abs(got - exact), exact * 0.01 + 1)
        << "p" << p << " exact " << exact << " got " << got;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, merge_adds_counts) {
  sc::Histogram a, b;
  for (std::uint64_t v = 1; v <= 1000; ++v) (v % 2 ? a : b).record(v * 1000);
  a.merge(b);
  EXPECT_EQ(a.count(), 1000u);
  EXPECT_NEAR(static_cast<double>(a.percentile(50)), 500'000.0, 5'000.0);
  EXPECT_EQ(a.max(), 1'000'000u);
}

TEST(Histogram, hour_long_values_and_clamp) {
  sc::Histogram h;
  const std::uint64_t hour = 3'600'000'000'000ULL;
  h.record(hour);
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), static_cast<double>(hour), hour * 0.01);
  h.record(~std::uint64_t{0});
  EXPECT_EQ(h.clamped(), 1u);
}

}  // namespace
}  // namespace tmpmc::testing
