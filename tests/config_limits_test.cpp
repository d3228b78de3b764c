// config_limits_test.cpp: the reader's input limits (nesting, string and
// key lengths, sweep sizes, scenario counts, numbers, bytes, types, file
// size), each refused with one line that names its path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "config_error.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/runner.h"

namespace tmpmc::testing {
namespace {

using nlohmann::json;
namespace sc = tmpmc::scenarios;

// ---------------------------------------------------------------- input limits

// expect_error(text, message): `text` is refused with one line that contains
// `message`.
void expect_error(const std::string& text, const std::string& message) {
  const std::string error = config_error(text);
  EXPECT_NE(error.find(message), std::string::npos) << error.substr(0, 400);
  EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error.substr(0, 400);
  EXPECT_LT(error.size(), 1000u) << error.substr(0, 400);
}

// The limits as DESIGN.md documents them ("Input limits").
constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kMaxStringBytes = 4096;
constexpr std::size_t kMaxScenarios = 10'000;
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;

std::string repeated(const std::string& piece, std::size_t times) {
  std::string text;
  for (std::size_t i = 0; i < times; ++i) text += piece;
  return text;
}

TEST(Limits, deep_nesting_is_refused_at_the_limit_with_its_path) {
  // A million brackets: printing the value for the error used to recurse a
  // million frames deep and overflow the stack (SIGSEGV).
  expect_error(repeated("[", 1'000'000), "configs/x.json: [0][0][0]");
  expect_error(repeated("[", 1'000'000), "more than 64 objects and arrays nested in each other");
  expect_error(R"({"name":"x","scenarios":)" + repeated("[", 100'000), "scenarios[0][0]");
  expect_error(R"({"name":"x","producers":{"count":)" + repeated(R"({"a":)", 100'000),
               "configs/x.json: producers.count.a.a.a");
  // 64 levels, the outermost counted, are within the limit: the schema refuses
  // this file, not the parser.
  const std::string deepest = R"({"name":"x","description":)" + repeated("[", kMaxDepth - 1) +
                              repeated("]", kMaxDepth - 1) + "}";
  expect_error(deepest, "description: expected a string, got an array");
  expect_error(
      R"({"name":"x","description":)" + repeated("[", kMaxDepth) + repeated("]", kMaxDepth) + "}",
      "more than 64 objects and arrays");
}

TEST(Limits, a_long_string_or_key_is_refused_with_its_path) {
  const std::string longest(kMaxStringBytes, 'n');
  EXPECT_EQ(sc::parse_scenarios(R"({"name":")" + longest + R"("})", "x.json")[0].name, longest);
  expect_error(R"({"name":")" + longest + R"(n"})",
               "configs/x.json: name: a string longer than 4096 bytes");
  // The key is shown in part: its first 40 bytes.
  expect_error(
      R"({"name":"x","producers":{"count":1,")" + std::string(100'000, 'k') + R"(":1}})",
      "configs/x.json: producers." + std::string(40, 'k') + "...: a key longer than 4096 bytes");
  // The name a sweep point gets counts too: the resolved config must read back.
  expect_error(R"({"name":")" + longest + R"(","sweep":{"queue.capacity":[1]}})",
               "sweep: the name of sweep point queue.capacity=1 is longer than 4096 bytes");
  // A string the JSON parser itself refuses is quoted in part, not whole.
  expect_error(R"({"name":")" + std::string(1'000'000, 'n') + "\x01\"}", "invalid JSON");
  expect_error(R"({"name":"x","producers":{"count":")" + std::string(4000, '9') + R"("}})",
               "producers.count: expected an integer from 1 to 10000, got the string \"999");
}

TEST(Limits, a_key_given_twice_is_refused) {
  expect_error(R"({"name":"x","name":"y"})", "configs/x.json: name: the key is given twice");
  expect_error(R"({"name":"x","producers":{"count":1,"count":2}})",
               "configs/x.json: producers.count: the key is given twice");
  expect_error(R"({"scenarios":[{"name":"a"},{"name":"b","queue":{},"queue":{}}]})",
               "scenarios[1].queue: the key is given twice");
}

TEST(Limits, a_sweep_is_counted_before_it_is_expanded) {
  // 10 x 10 x 10 x 10 x 10 points, and a product that overflows 64 bits. The
  // axes are counted in key order; the error names the one that crosses.
  std::string axes;
  for (const char* key : {"producers.count", "consumers.count", "queue.capacity", "runtime.seed",
                          "latency.sample_every"}) {
    axes += std::string(axes.empty() ? "" : ",") + "\"" + key + "\":[1,2,3,4,5,6,7,8,9,10]";
  }
  expect_error(R"({"name":"x","sweep":{)" + axes + "}}",
               "configs/x.json: sweep.runtime.seed: the sweep expands to more than 10000 "
               "scenarios");
  std::string values = "[1";
  for (int i = 2; i <= 1000; ++i) values += "," + std::to_string(i);
  values += "]";
  std::string huge;
  for (const char* key : {"producers.count", "consumers.count", "queue.capacity", "runtime.seed",
                          "latency.sample_every", "producers.work_ns", "consumers.work_ns",
                          "producers.payload_bytes"}) {
    huge += std::string(huge.empty() ? "" : ",") + "\"" + key + "\":" + values;
  }
  expect_error(R"({"name":"x","sweep":{)" + huge + "}}",
               "sweep.consumers.work_ns: the sweep expands to more than");
  // Within the limit on its own, beyond it once per impl.
  std::string seeds = "[0";
  for (int i = 1; i < 3000; ++i) seeds += "," + std::to_string(i);
  seeds += "]";
  EXPECT_EQ(sc::parse_scenarios(R"({"name":"x","sweep":{"runtime.seed":)" + seeds + "}}", "x.json")
                .size(),
            3000u);
  expect_error(R"({"name":"x","queue":{"impl":["tmpmc","mutex","threads","seed"]},)"
               R"("sweep":{"runtime.seed":)" +
                   seeds + "}}",
               "configs/x.json: queue.impl: expands to 12000 scenarios with the sweep");
}

TEST(Limits, a_file_holds_at_most_10000_scenarios) {
  std::string list;
  for (std::size_t i = 0; i <= kMaxScenarios; ++i) {
    list += std::string(i ? "," : "") + R"({"name":"s)" + std::to_string(i) + R"("})";
  }
  expect_error(R"({"scenarios":[)" + list + "]}",
               "configs/x.json: scenarios[10000]: the file expands to more than 10000 scenarios");
  // Sweeps and impl lists are counted before any is expanded: 10 x 10 x 10
  // points on 5 impls, twice, is the limit.
  const std::string ten = "[1,2,3,4,5,6,7,8,9,10]";
  const std::string entry =
      R"({"name":"s","sweep":{"queue.capacity":)" + ten + R"(,"runtime.seed":)" + ten +
      R"(,"producers.count":)" + ten +
      R"(},"queue":{"impl":["tmpmc","mutex","threads","seed","boost-fiber"]}})";
  expect_error(R"({"scenarios":[)" + entry + "," + entry + "," + entry + "]}",
               "configs/x.json: scenarios[2]: the file expands to more than 10000 scenarios");
}

TEST(Limits, numbers_at_the_limits_of_json) {
  for (const char* number : {"1e308", "-1e308", "18446744073709551616", "1.5", "-0.0", "-1",
                             "-9223372036854775808", "18446744073709551615"}) {
    expect_error(std::string(R"({"name":"x","queue":{"capacity":)") + number + "}}",
                 "queue.capacity: expected an integer from 1 to 67108864, got");
  }
  expect_error(R"({"name":"x","queue":{"capacity":-0}})",
               "queue.capacity: expected an integer from 1 to 67108864, got 0");
  expect_error(R"({"name":"x","runtime":{"seed":-1}})", "runtime.seed: expected an integer >= 0");
  EXPECT_EQ(
      sc::parse_scenarios(R"({"name":"x","runtime":{"seed":18446744073709551615}})", "x.json")[0]
          .runtime.seed,
      18446744073709551615u);
  for (const char* text : {R"({"name":"x","messages":NaN})", R"({"name":"x","messages":Infinity})",
                           R"({"name":"x","messages":1e999})", R"({"name":"x","messages":0x10})"}) {
    expect_error(text, "invalid JSON");
  }
}

TEST(Limits, bytes_that_are_not_json_text) {
  using namespace std::string_literals;
  expect_error("{\"name\":\"x\0\"}"s, "configs/x.json:1:11: invalid JSON");
  // The JSON library would stop at a NUL and ignore what follows.
  expect_error("{\"name\":\"x\"}\0{"s, "configs/x.json:1:13: invalid JSON: a NUL byte");
  expect_error("\0"s, "configs/x.json:1:1: invalid JSON: a NUL byte");
  expect_error("{\"name\":\"\xff\xfe\"}", "invalid JSON");
  expect_error("{\"name\":\"\\ud800\"}", "invalid JSON");
  expect_error("\xff\xfe{}", "invalid JSON");
  // A UTF-8 byte-order mark is allowed; UTF-8 in strings is kept.
  EXPECT_EQ(sc::parse_scenarios("\xef\xbb\xbf{\"name\":\"caf\xc3\xa9\"}", "x.json")[0].name,
            "caf\xc3\xa9");
  // A key or value with a control character is escaped in the message, which
  // stays one line.
  expect_error(R"({"name":"x","a\nb":1})", "configs/x.json: a\\u000ab: unknown key");
  expect_error(R"({"name":"x","queue":{"impl":"a\nb"}})", "got the string \"a\\u000ab\"");
  expect_error(R"({"scenarios":[{"name":"a\n"},{"name":"a\n"}]})",
               "two scenarios are named \"a\\u000a\"");
}

TEST(Limits, a_large_payload_needs_a_large_enough_stack) {
  // Found through the CLI: a valid config whose producers overflowed their
  // 16 KiB stacks with 4096-byte messages (SIGSEGV, exit 139).
  expect_error(R"({"name":"x","runtime":{"stack_kib":16},"producers":{"payload_bytes":4096}})",
               "configs/x.json: runtime.stack_kib: expected at least 64 with "
               "producers.payload_bytes above 1024");
  expect_error(
      R"({"name":"x","runtime":{"stack_kib":63},"sweep":{"producers.payload_bytes":[0,1025]}})",
      "runtime.stack_kib: expected at least 64");
  EXPECT_EQ(
      sc::parse_scenarios(
          R"({"name":"x","runtime":{"stack_kib":16},"producers":{"payload_bytes":1024}})", "x.json")
          .size(),
      1u);
  EXPECT_EQ(
      sc::parse_scenarios(R"({"name":"x","producers":{"payload_bytes":4096}})", "x.json").size(),
      1u);
}

TEST(Limits, wrong_types_at_every_level) {
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"5", "the top level: expected a scenario object, got 5"},
           {R"("x")", "the top level: expected a scenario object, got the string \"x\""},
           {"null", "the top level: expected a scenario object, got null"},
           {R"({"scenarios":{}})",
            "scenarios: expected a non-empty array of scenarios, got an object"},
           {R"({"scenarios":[5]})", "scenarios[0]: expected a scenario object, got 5"},
           {R"({"scenarios":[{"name":"a"}],"x":1})", "x: unknown key next to \"scenarios\""},
           {R"({"name":5})", "name: expected a string, got 5"},
           {R"({"name":"x","runtime":[]})", "runtime: expected an object, got an array"},
           {R"({"name":"x","queue":"tmpmc"})", "queue: expected an object, got the string"},
           {R"({"name":"x","queue":{"impl":[5]}})", "queue.impl[0]: expected one of"},
           {R"({"name":"x","messages":"5"})", "messages: expected an integer"},
           {R"({"name":"x","producers":null})", "producers: expected an object, got null"},
           {R"({"name":"x","producers":{"rate_per_sec":"1"}})",
            "producers.rate_per_sec: expected a number"},
           {R"({"name":"x","runtime":{"deterministic":1}})",
            "runtime.deterministic: expected true or false"},
           {R"({"name":"x","close":{"when":5}})", "close.when: expected one of"},
           {R"({"name":"x","sweep":[]})", "sweep: expected an object"},
           {R"({"name":"x","sweep":{"queue.capacity":5}})",
            "sweep.queue.capacity: expected a non-empty array"},
           {R"({"name":"x","sweep":{"queue.capacity":[[1]]}})",
            "queue.capacity: expected an integer"},
           {R"({"name":"","sweep":{"queue.capacity":[1]}})", "name: expected a non-empty string"},
           {R"({"name":[],"sweep":{"queue.capacity":[1]}})",
            "name: expected a string, got an array"},
       }) {
    expect_error(text, message);
  }
}

TEST(Limits, files_are_read_no_further_than_the_limit) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto large = dir / "tmpmc_config_test_large.json";
  {
    std::ofstream out(large);
    out << R"({"name":"x"})";
  }
  std::filesystem::resize_file(large, kMaxFileBytes + 1);  // sparse: nothing is written
  try {
    sc::load_scenarios(large.string());
    ADD_FAILURE() << "accepted";
  } catch (const sc::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              large.string() + ": the file is larger than 16 MiB, the most a config file may hold");
  }
  std::filesystem::remove(large);
  try {
    sc::load_scenarios("/dev/zero");  // a device that never ends
    ADD_FAILURE() << "accepted";
  } catch (const sc::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero: the file is larger than 16 MiB"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(sc::load_scenarios("/dev/null"), sc::ConfigError);  // empty
}

}  // namespace
}  // namespace tmpmc::testing
