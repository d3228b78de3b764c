// config_test.cpp: scenario configs: defaults, sweeps, impl lists, and one-line
// errors that name the JSON path (the input limits: config_limits_test.cpp).
#include "tmpmc/scenarios/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "config_error.h"
#include "tmpmc/scenarios/runner.h"

namespace tmpmc::testing {
namespace {

using nlohmann::json;
namespace sc = tmpmc::scenarios;

// ---------------------------------------------------------------- config errors

struct BadConfig {
  const char* text;
  const char* message;  // the whole line must contain this
};

// PrintTo(): a failing case shows its config text, not its bytes.
void PrintTo(const BadConfig& bad, std::ostream* out) { *out << bad.text; }

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
        BadConfig{R"({"name":"x","check":"fast"})",
                  "configs/x.json: check: expected one of \"exact\", \"streaming\", \"auto\", "
                  "got the string \"fast\""},
        BadConfig{R"({"name":"x","check":true})", "check: expected one of"},
        BadConfig{R"({"name":"x","runtime":{"deterministic":true,"workers":2}})",
                  "runtime.workers: expected 1 with deterministic"},
        BadConfig{R"({"name":"x","runtime":{"workers":0}})",
                  "runtime.workers: expected an integer from 1"},
        BadConfig{R"({"name":"x","runtime":{"timer_spin_us":1000001}})",
                  "runtime.timer_spin_us: expected an integer from 0 to 1000000"},
        BadConfig{R"({"name":"x","runtime":{"timer_spin_us":-5}})",
                  "runtime.timer_spin_us: expected an integer from 0"},
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
  EXPECT_EQ(resolved["runtime"]["timer_spin_us"], 100);
  EXPECT_EQ(resolved["close"]["when"], "after_producers");
  EXPECT_EQ(c.check, sc::CheckSetting::automatic);
  EXPECT_EQ(resolved["check"], "auto");
}

TEST(Config, check_takes_each_mode_and_sweeps) {
  const auto configs = sc::parse_scenarios(
      R"({"name":"x","sweep":{"check":["exact","streaming","auto"]}})", "x.json");
  ASSERT_EQ(configs.size(), 3u);
  EXPECT_EQ(configs[0].check, sc::CheckSetting::exact);
  EXPECT_EQ(configs[1].check, sc::CheckSetting::streaming);
  EXPECT_EQ(configs[2].check, sc::CheckSetting::automatic);
  EXPECT_EQ(configs[1].to_json()["check"], "streaming");
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

// ---------------------------------------------------------------- impl lists

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

}  // namespace
}  // namespace tmpmc::testing
