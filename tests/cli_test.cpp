// cli_test.cpp: the command line end to end: bad input, exit codes, every
// shipped config run at a small scale, peers and faults through result files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cli_runner.h"
#include "tmpmc/results/schema.h"

namespace tmpmc::testing {
namespace {

using nlohmann::json;

// exit_code(args): how tmpmc-bench ends with `args`.
int exit_code(const std::string& args) { return run_cli(args).exit_code; }

TEST(Cli, bad_input_exits_2_and_runs_nothing) {
  EXPECT_EQ(exit_code("run /nonexistent/config.json"), 2);
  EXPECT_EQ(exit_code("run " + std::filesystem::temp_directory_path().string()), 2);
  EXPECT_EQ(exit_code("run " + temp_file("empty.json", "")), 2);
  EXPECT_EQ(exit_code("run " + temp_file("invalid.json", "{\"name\": ")), 2);
  EXPECT_EQ(exit_code("run " + temp_file("neg.json", R"({"name":"x","producers":{"count":-3}})")),
            2);
  EXPECT_EQ(
      exit_code("validate " + temp_file("zero.json", R"({"name":"x","queue":{"capacity":0}})")), 2);
  EXPECT_EQ(exit_code("run --bogus-flag"), 2);
  EXPECT_EQ(exit_code("run " + std::string(config_dir()) + "/spsc.json --scale 0"), 2);
  EXPECT_EQ(
      exit_code("run " + std::string(config_dir()) + "/spsc.json --json /nonexistent/dir/out.json"),
      2);
}

// Results, --filter and compare tell scenarios apart by name: one name
// twice in one invocation's files, after sweeps expand, is refused before
// anything runs, naming both files (within one file the reader refuses it).
TEST(Cli, a_scenario_name_twice_in_one_invocation_exits_2) {
  const std::string quickstart = std::string(config_dir()) + "/quickstart.json";
  const std::string spsc = std::string(config_dir()) + "/spsc.json";
  for (const char* command : {"validate", "run", "stress"}) {
    const CliRun run = run_cli(std::string(command) + " " + quickstart + " " + spsc);
    EXPECT_EQ(run.exit_code, 2) << command << ": " << run.output;
    EXPECT_NE(run.output.find(spsc + ": scenario \"spsc\" is also in " + quickstart),
              std::string::npos)
        << command << ": " << run.output;
  }
  const std::string swept = temp_file(
      "swept_twice.json", R"({"scenarios":[{"name":"s[queue.capacity=2]","messages":10},)"
                          R"({"name":"s","messages":10,"sweep":{"queue.capacity":[1,2]}}]})");
  const CliRun run = run_cli("validate " + swept);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("two scenarios are named \"s[queue.capacity=2]\""), std::string::npos)
      << run.output;
  EXPECT_EQ(exit_code("validate " + spsc + " " + spsc), 2);
}

// ---------------------------------------------------------------- config input

// expect_refused(file, message): every command that reads configs refuses
// `file` with exit code 2 and one line, "tmpmc-bench: FILE:...", that holds
// `message`.
void expect_refused(const std::string& file, const std::string& message) {
  for (const char* command : {"validate", "run", "stress"}) {
    const auto [code, output] = run_cli(std::string(command) + " " + file);
    const std::string shown = std::string(command) + ": " + output.substr(0, 300);
    EXPECT_EQ(code, 2) << shown;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << shown;
    EXPECT_EQ(output.rfind("tmpmc-bench: " + file + ":", 0), 0u) << shown;
    EXPECT_NE(output.find(message), std::string::npos) << shown;
  }
}

std::string repeated(const std::string& piece, std::size_t times) {
  std::string text;
  for (std::size_t i = 0; i < times; ++i) text += piece;
  return text;
}

TEST(ConfigInput, deep_nesting_is_a_config_error_not_a_crash) {
  // Printing the value for the error used to recurse once per level: a
  // million brackets overflowed the stack (SIGSEGV, exit 139).
  expect_refused(temp_file("deep.json", repeated("[", 1'000'000)),
                 "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]");
  expect_refused(temp_file("deep-object.json",
                           R"({"name":"x","producers":{"count":)" + repeated(R"({"a":)", 500'000)),
                 "producers.count.a.a.a");
  expect_refused(temp_file("deep-sweep.json",
                           R"({"name":"x","sweep":{"queue.capacity":[)" + repeated("[", 100'000)),
                 "sweep.queue.capacity[0][0]");
}

TEST(ConfigInput, a_stack_too_small_for_the_payload_is_a_config_error_not_a_crash) {
  // Valid until now: the producers' fibers overflowed their stacks (SIGSEGV).
  expect_refused(temp_file("small-stack.json",
                           R"({"name":"x","messages":1000,"runtime":{"stack_kib":16},)"
                           R"("producers":{"payload_bytes":4096},"run":{"repeat":1,"warmup":0}})"),
                 "runtime.stack_kib: expected at least 64 with producers.payload_bytes above 1024");
}

TEST(ConfigInput, files_are_read_no_further_than_16_mib) {
  const std::string large = temp_file("large.json", R"({"name":"x"})");
  std::filesystem::resize_file(large, (std::size_t{16} << 20) + 1);  // sparse
  expect_refused(large, "the file is larger than 16 MiB");
  std::filesystem::remove(large);
  expect_refused("/dev/zero", "the file is larger than 16 MiB");
  expect_refused(std::filesystem::temp_directory_path().string(), "is a directory");
  expect_refused("/dev/null", "the file is empty");
  expect_refused("/nonexistent/config.json", "no such file");
}

// fifo_writer(path, text, endless): a FIFO at `path`, written by a thread once
// a reader opens it: `text`, then (endless) zeros until the reader goes away.
std::thread fifo_writer(const std::string& path, std::string text, bool endless) {
  std::filesystem::remove(path);
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::signal(SIGPIPE, SIG_IGN);  // a reader that stops reading: EPIPE, not death
  return std::thread([path, text = std::move(text), endless] {
    const int fd = ::open(path.c_str(), O_WRONLY);  // blocks until tmpmc-bench opens it
    if (fd < 0) return;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const std::string zeros(1 << 16, '0');
    while (ok && endless) ok = ::write(fd, zeros.data(), zeros.size()) > 0;
    ::close(fd);
  });
}

TEST(ConfigInput, a_pipe_is_read_like_a_file_and_cut_off_at_16_mib) {
  const std::string path = (std::filesystem::temp_directory_path() / "tmpmc_test_fifo").string();
  std::thread good = fifo_writer(path, R"({"name":"x"})", false);
  const auto [code, output] = run_cli("validate " + path);
  good.join();
  EXPECT_EQ(code, 0) << output;
  std::thread endless = fifo_writer(path, R"({"name":")", true);
  const auto [endless_code, endless_output] = run_cli("validate " + path);
  endless.join();
  EXPECT_EQ(endless_code, 2) << endless_output;
  EXPECT_EQ(endless_output,
            "tmpmc-bench: " + path +
                ": the file is larger than 16 MiB, the most a config file may hold\n");
  std::filesystem::remove(path);
}

TEST(ConfigInput, every_limit_is_one_line_naming_its_path) {
  std::string list;
  for (int i = 0; i <= 10'000; ++i)
    list += std::string(i ? "," : "") + R"({"name":"s)" + std::to_string(i) + R"("})";
  std::string axis = "[1";
  for (int i = 2; i <= 200; ++i) axis += "," + std::to_string(i);
  axis += "]";
  for (const auto& [name, text, message] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"long-string.json", R"({"name":")" + std::string(5000, 'n') + R"("})",
            "name: a string longer than 4096 bytes"},
           {"long-key.json", R"({"name":"x",")" + std::string(100'000, 'k') + R"(":1})",
            std::string(40, 'k') + "...: a key longer than 4096 bytes"},
           {"twice.json", R"({"name":"x","queue":{"capacity":1,"capacity":2}})",
            "queue.capacity: the key is given twice in one object"},
           {"big-sweep.json",
            R"({"name":"x","sweep":{"producers.count":)" + axis + R"(,"consumers.count":)" + axis +
                "}}",
            "sweep.producers.count: the sweep expands to more than 10000 scenarios"},
           {"many.json", R"({"scenarios":[)" + list + "]}",
            "scenarios[10000]: the file expands to more than 10000 scenarios"},
       }) {
    expect_refused(temp_file(name, text), message);
  }
}

TEST(ConfigInput, odd_bytes_and_numbers_are_config_errors) {
  using namespace std::string_literals;
  for (const auto& [name, text, message] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"nul.json", "{\"name\":\"x\0\"}"s, "1:11: invalid JSON"},
           {"latin1.json", "{\"name\":\"caf\xe9\"}", "1:14: invalid JSON"},
           {"utf16.json", "\xff\xfe{\0}\0"s, "1:4: invalid JSON: a NUL byte"},
           {"latin1-bom.json", "\xff\xfe{}", "1:1: invalid JSON"},
           {"after-nul.json", "{\"name\":\"x\"}\0garbage"s, "1:13: invalid JSON: a NUL byte"},
           {"newline-key.json", R"({"name":"x","a\nb":1})", "a\\u000ab: unknown key"},
           {"huge.json", R"({"name":"x","queue":{"capacity":1e308}})",
            "queue.capacity: expected an integer from 1 to 67108864, got 1e+308"},
           {"overflow.json", R"({"name":"x","messages":1e400})", "invalid JSON: number overflow"},
           {"two64.json", R"({"name":"x","runtime":{"seed":18446744073709551616}})",
            "runtime.seed: expected an integer >= 0, got 1.8446744073709552e+19"},
           {"minus.json", R"({"name":"x","producers":{"count":-1}})",
            "producers.count: expected an integer from 1 to 10000, got -1"},
           {"minus-zero.json", R"({"name":"x","producers":{"count":-0}})",
            "producers.count: expected an integer from 1 to 10000, got 0"},
           {"nan.json", R"({"name":"x","producers":{"rate_per_sec":NaN}})", "invalid JSON"},
           {"wrong-section.json", R"({"name":"x","producers":[1]})",
            "producers: expected an object, got an array"},
           {"wrong-top.json", R"("x")", "the top level: expected a scenario object"},
           {"wrong-list.json", R"({"scenarios":[[]]})", "scenarios[0]: expected a scenario object"},
           {"wrong-impl.json", R"({"name":"x","queue":{"impl":["tmpmc",{}]}})",
            "queue.impl[1]: expected one of"},
       }) {
    expect_refused(temp_file(name, text), message);
  }
  // A UTF-8 byte-order mark is allowed.
  EXPECT_EQ(exit_code("validate " + temp_file("bom.json", "\xef\xbb\xbf{\"name\":\"x\"}")), 0);
}

TEST(Cli, validate_accepts_every_shipped_config) {
  for (const auto& entry : std::filesystem::directory_iterator(config_dir())) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_EQ(exit_code("validate " + entry.path().string()), 0) << entry.path();
  }
}

TEST(Cli, expect_not_met_exits_1) {
  const std::string path = temp_file(
      "expect.json",
      R"({"name":"x","messages":1000,"run":{"repeat":1,"warmup":0},"expect":{"min_msgs_per_sec":1e15}})");
  EXPECT_EQ(exit_code("run " + path), 1);
}

// Every file in configs/ runs end to end at --scale 0.01 and passes; the JSON
// it writes parses and has every field of result schema v1. --timeout 2m: a
// run here is planned to take milliseconds, so only a hang lasts two minutes
// longer, however loaded the machine; the tool then reports it as one,
// naming the impl and its parked fibers (a known failure for asio, a failed
// test for any other), instead of CTest's silent timeout.
class ShippedConfig : public ::testing::TestWithParam<std::string> {};

// known_to_fail(): the impls whose verdict may be fail on a shipped config,
// in the open: the seed design (its bugs kept) and asio (Asio's close()
// drops what is still buffered; configs/asio-close.json shows it).
bool known_to_fail(const json& scenario) {
  return scenario["impl"] == "seed" || scenario["impl"] == "asio";
}

TEST_P(ShippedConfig, runs_and_writes_schema_v1) {
  const std::string config = std::string(config_dir()) + "/" + GetParam();
  const auto out = std::filesystem::temp_directory_path() / ("tmpmc_result_" + GetParam());
  std::filesystem::remove(out);
  std::string impls;
  if (GetParam() == "asio-close.json") {
    // Its point is asio failing (covered by Peers.asio_close_fails_in_the_open);
    // its second scenario would hang asio-drained until --timeout.
    impls = " --impl tmpmc";
  }
  if (GetParam() == "peers.json") {
    // Not the seed design: its lost-wake bug can park a consumer for good in
    // real mode (stress_test catches each of its bugs deterministically).
    // Not boost-fiber: its sweep runs Boost 1.81's work_stealing (two
    // workers), which now and then leaves a thread asleep with a fiber ready
    // in its queue (boostorg/fiber#327); the run then never ends, and the
    // stuck fiber's handle ends the process (std::terminate on a joinable
    // fiber). Seen once in a fresh-clone CI run under ASan and twice in ~150
    // runs of this command under load; Peers.* run boost-fiber on its own.
    impls = " --impl tmpmc,mutex,threads,asio,asio-drained,tbb";
  }
#if defined(__SANITIZE_THREAD__)
  // Boost.Fiber, Asio and oneTBB are left out of TSan builds (backends/).
  std::ifstream text(config);
  const std::string body(std::istreambuf_iterator<char>(text), {});
  if (GetParam() == "peers.json" ||
      (impls.empty() &&
       (body.find("boost-fiber") != std::string::npos || body.find("\"asio") != std::string::npos ||
        body.find("\"tbb\"") != std::string::npos))) {
    impls = " --impl tmpmc,mutex,threads";
  }
#endif
  const auto [code, output] =
      run_cli("run " + config + impls + " --scale 0.01 --repeat 2 --timeout 2m --quiet --json " +
              out.string());
  ASSERT_TRUE(std::filesystem::exists(out)) << "exit " << code << ", no result file:\n" << output;
  std::ifstream in(out);
  const json doc = json::parse(in);
  // Exit 1 only for the known failures (configs/peers.json runs seed and asio).
  bool known_failed = false;
  for (const json& s : doc["scenarios"]) {
    known_failed |= known_to_fail(s) && s["verdict"] != "pass";
  }
  ASSERT_EQ(code, known_failed ? 1 : 0) << output;
  EXPECT_EQ(doc["schema"], results::kResultSchema);
  for (const char* key : {"version", "git", "build"}) EXPECT_TRUE(doc["tool"].contains(key)) << key;
  for (const char* key : {"cpus", "cpu_model", "compiler", "os"})
    EXPECT_TRUE(doc["host"].contains(key)) << key;
  EXPECT_TRUE(doc.contains("started_at"));
  ASSERT_FALSE(doc["scenarios"].empty());
  for (const json& s : doc["scenarios"]) {
    if (known_to_fail(s)) continue;
    EXPECT_EQ(s["verdict"], "pass") << s["name"] << " " << s["failures"].dump();
    EXPECT_TRUE(s["config"].contains("queue"));
    ASSERT_EQ(s["runs"].size(), 2u);
    for (const json& run : s["runs"]) {
      for (const char* key :
           {"elapsed_s", "msgs_per_sec", "sent", "send_closed", "received", "lost", "duplicated",
            "phantom", "reordered", "hung", "left_in_queue", "check_mode"}) {
        EXPECT_TRUE(run.contains(key)) << key;
      }
      // A run of a duration has no length known in advance: auto checks it streaming.
      const bool by_duration = s["config"].contains("duration_ms");
      EXPECT_EQ(run["check_mode"], by_duration ? "streaming" : "exact") << s["name"];
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
  for (const auto& entry : std::filesystem::directory_iterator(config_dir())) {
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

TEST(Peers, every_impl_passes_the_checks_and_reports_its_ratio) {
  std::string impls = R"("tmpmc","mutex","threads")";
#if !defined(__SANITIZE_THREAD__)
  // Not asio: its close() may drop what is still buffered (the next test).
  impls += R"(,"boost-fiber","asio-drained","tbb")";
#endif
  // --timeout 1h: a loaded machine must not turn a slow run into a hang
  // verdict; a real hang still ends at CTest's timeout.
  const std::string path =
      temp_file("peers.json", R"({"name":"p","queue":{"impl":[)" + impls +
                                  R"(],"capacity":3},"messages":20000,)"
                                  R"("producers":{"count":3},"consumers":{"count":2},)"
                                  R"("run":{"repeat":2,"warmup":0}})");
  const auto out = std::filesystem::temp_directory_path() / "tmpmc_result_peers.json";
  ASSERT_EQ(exit_code("run " + path + " --timeout 1h --quiet --json " + out.string()), 0);
  std::ifstream in(out);
  const json doc = json::parse(in);
  ASSERT_GE(doc["scenarios"].size(), 3u);
  for (const json& s : doc["scenarios"]) {
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

// Open loop on every impl: each send's lateness is recorded (one sample per
// message sent), beside the latency of every message received, and the
// table has the lateness columns. The rate is high enough for the run to
// be short; nothing here depends on how late the sends were.
TEST(OpenLoop, every_impl_records_each_sends_lateness) {
  std::string impls = R"("tmpmc","mutex","threads")";
#if !defined(__SANITIZE_THREAD__)
  impls += R"(,"boost-fiber","asio-drained","tbb")";
#endif
  const std::string path =
      temp_file("open-loop.json", R"({"name":"o","queue":{"impl":[)" + impls +
                                      R"(],"capacity":64},"messages":600,)"
                                      R"("producers":{"count":2,"rate_per_sec":20000},)"
                                      R"("consumers":{"count":2},"run":{"repeat":1,"warmup":0}})");
  const auto out = std::filesystem::temp_directory_path() / "tmpmc_result_open_loop.json";
  const auto [code, output] = run_cli("run " + path + " --timeout 1h --json " + out.string());
  ASSERT_EQ(code, 0) << output;
  EXPECT_NE(output.find("late p50"), std::string::npos) << output;
  std::ifstream in(out);
  const json doc = json::parse(in);
  ASSERT_GE(doc["scenarios"].size(), 3u);
  for (const json& s : doc["scenarios"]) {
    EXPECT_EQ(s["verdict"], "pass") << s["name"];
    const json& run = s["runs"][0];
    EXPECT_EQ(run["received"], 600) << s["name"];
    EXPECT_EQ(run["send_lateness_ns"]["samples"], 600) << s["name"];
    EXPECT_EQ(run["latency_ns"]["samples"], 600) << s["name"];
    EXPECT_TRUE(s["summary"].contains("send_lateness_ns")) << s["name"];
  }
}

#if !defined(__SANITIZE_THREAD__)
// Asio's close() makes what is still buffered unreceivable; the checker says
// so. Deterministic: the one consumer quits after 10 of 42 messages, and the
// producer (capacity 32) finishes, and closes, only once those 10 are taken:
// 32 are buffered at the close. (With a capacity above 42 the producer could
// close before the consumer's first receive, on a loaded machine.)
TEST(Peers, asio_close_fails_in_the_open) {
  const std::string config = std::string(config_dir()) + "/asio-close.json";
  const auto out = std::filesystem::temp_directory_path() / "tmpmc_result_asio_close.json";
  const auto [code, output] =
      run_cli("run " + config + " --filter buffered --timeout 1h --quiet --json " + out.string());
  EXPECT_EQ(code, 1) << output;
  std::ifstream in(out);
  const json doc = json::parse(in);
  ASSERT_EQ(doc["scenarios"].size(), 3u);
  for (const json& s : doc["scenarios"]) {
    const json& run = s["runs"][0];
    EXPECT_EQ(run["sent"], 42) << s["impl"];
    EXPECT_EQ(run["received"], 10) << s["impl"];
    EXPECT_EQ(run["hung"], 0) << s["impl"];
    if (s["impl"] == "asio") {
      EXPECT_EQ(s["verdict"], "fail");
      EXPECT_EQ(run["lost"], 32);
      EXPECT_EQ(run["left_in_queue"], 0);
      EXPECT_NE(s["note"].get<std::string>().find("close()"), std::string::npos);
    } else {  // tmpmc, and asio-drained's close by hand, keep them
      EXPECT_EQ(s["verdict"], "pass") << s["impl"];
      EXPECT_EQ(run["lost"], 0) << s["impl"];
      EXPECT_EQ(run["left_in_queue"], 32) << s["impl"];
    }
  }
}
#endif

// The seed design may fail on real threads: its known bugs (spurious
// closed, stranded receivers) are reported, not hidden, and the exit code
// says so. A stranded receiver ends its run at timeout_ms (10 s here).
TEST(Peers, the_seed_design_reports_what_it_does) {
  const std::string path = temp_file(
      "peers-seed.json", R"({"name":"p","queue":{"impl":"seed","capacity":3},)"
                         R"("messages":20000,"producers":{"count":3},"consumers":{"count":2},)"
                         R"("run":{"repeat":2,"warmup":0,"timeout_ms":10000}})");
  const auto out = std::filesystem::temp_directory_path() / "tmpmc_result_peers_seed.json";
  const int code = exit_code("run " + path + " --quiet --json " + out.string());
  std::ifstream in(out);
  const json doc = json::parse(in);
  ASSERT_EQ(doc["scenarios"].size(), 1u);
  const json& seed = doc["scenarios"][0];
  EXPECT_EQ(seed["impl"], "seed");
  EXPECT_EQ(code, seed["verdict"] == "pass" ? 0 : 1);
  if (seed["verdict"] != "pass") {
    EXPECT_FALSE(seed["failures"].empty());
  }
}

// ---------------------------------------------------------------- soaks

// --duration replaces each scenario's length; the result records intervals
// whose received counts add up to the run's (however many there were: that
// depends on the machine, the sum does not).
TEST(Soak, duration_and_intervals_in_the_result) {
  const std::string path =
      temp_file("soak.json", R"({"scenarios":[)"
                             R"({"name":"a","messages":1000,"run":{"repeat":1,"warmup":0}},)"
                             R"({"name":"b","duration_ms":5,"producers":{"count":2},)"
                             R"("consumers":{"count":2},"run":{"repeat":2,"warmup":0}}]})");
  const auto out = std::filesystem::temp_directory_path() / "tmpmc_result_soak.json";
  ASSERT_EQ(exit_code("run " + path + " --duration 300ms --interval 50ms --timeout 1h --quiet " +
                      "--json " + out.string()),
            0);
  std::ifstream in(out);
  const json doc = json::parse(in);
  ASSERT_EQ(doc["scenarios"].size(), 2u);
  for (const json& s : doc["scenarios"]) {
    EXPECT_EQ(s["config"]["duration_ms"], 300) << s["name"];
    EXPECT_FALSE(s["config"].contains("messages")) << s["name"];
    EXPECT_EQ(s["config"]["run"]["timeout_ms"], 3'600'000) << s["name"];
    for (const json& run : s["runs"]) {
      ASSERT_TRUE(run.contains("intervals")) << s["name"];
      std::uint64_t received = 0;
      for (const json& i : run["intervals"]) {
        received += i["received"].get<std::uint64_t>();
        for (const char* key : {"end_s", "length_s", "msgs_per_sec", "rss_bytes"}) {
          EXPECT_TRUE(i.contains(key)) << key;
        }
        for (const char* key : {"p50", "p99", "p999", "max", "samples"}) {
          EXPECT_TRUE(i["latency_ns"].contains(key)) << key;
        }
      }
      EXPECT_EQ(received, run["received"].get<std::uint64_t>()) << s["name"];
    }
  }
  // compare reads the summaries and the checks; intervals do not get in its way.
  EXPECT_EQ(exit_code("compare " + out.string() + " " + out.string()), 0);
}

TEST(Soak, interval_0_records_none) {
  const std::string path = temp_file(
      "nointervals.json", R"({"name":"a","messages":1000,"run":{"repeat":1,"warmup":0}})");
  const auto out = std::filesystem::temp_directory_path() / "tmpmc_result_nointervals.json";
  ASSERT_EQ(exit_code("run " + path + " --interval 0 --quiet --json " + out.string()), 0);
  std::ifstream in(out);
  EXPECT_FALSE(json::parse(in)["scenarios"][0]["runs"][0].contains("intervals"));
}

TEST(Soak, bad_durations_exit_2_and_name_the_flag) {
  const std::string config = std::string(config_dir()) + "/spsc.json";
  for (const char* args : {"--duration 0", "--duration 10x", "--duration -5s", "--duration 8d",
                           "--timeout abc", "--interval 1y"}) {
    const auto [code, output] = run_cli("run " + config + " " + args);
    EXPECT_EQ(code, 2) << args;
    const std::string flag = std::string(args).substr(0, std::string(args).find(' '));
    EXPECT_NE(output.find(flag + ": expected a duration"), std::string::npos) << output;
  }
}

// run_faults(): runs `impl` on a fault scenario (three producers and three
// consumers on capacity 2, 3000 messages, a close from a producer after 1500)
// with `producers` and `consumers` as those objects' other keys, and checks
// that every message is accounted for. Returns the run's result object.
json run_faults(const std::string& impl, const std::string& extra, const std::string& producers,
                const std::string& consumers) {
  const std::string path = temp_file(
      "faults-" + impl + ".json",
      R"({"name":"f","queue":{"impl":")" + impl + R"(","capacity":2},"messages":3000,)" + extra +
          R"("producers":{"count":3,)" + producers + R"(},"consumers":{"count":3,)" + consumers +
          R"(},"close":{"when":"by_producer","messages":1500},)"
          R"("run":{"repeat":1,"warmup":0}})");
  const auto out =
      std::filesystem::temp_directory_path() / ("tmpmc_result_faults_" + impl + ".json");
  const int code = exit_code("run " + path + " --timeout 1h --quiet --json " + out.string());
  EXPECT_EQ(code, 0) << impl;
  if (code != 0) return json::object();
  std::ifstream in(out);
  const json run = json::parse(in)["scenarios"][0]["runs"][0];
  EXPECT_EQ(run["lost"], 0) << impl;
  EXPECT_EQ(run["duplicated"], 0) << impl;
  EXPECT_EQ(run["spurious_closed"], 0) << impl;
  EXPECT_EQ(run["received"].get<std::uint64_t>() + run["left_in_queue"].get<std::uint64_t>(),
            run["sent"].get<std::uint64_t>())
      << impl;
  return run;
}

// Quitting consumers, stopping producers, timed sends and receives, and a
// producer-side close, on each impl that has timed operations: one test per
// impl, so that a failure names it.
class FaultsOnTimedImpl : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Faults, FaultsOnTimedImpl, ::testing::Values("tmpmc", "mutex", "threads"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

TEST_P(FaultsOnTimedImpl, every_fault_is_accounted_for) {
  run_faults(GetParam(), "", R"("stop_after":200,"send_timeout_us":50)",
             R"("quit_after":100,"quitters":2,"receive_timeout_us":50)");
}

#if !defined(__SANITIZE_THREAD__)
// The peers without timed operations, on every other fault: consumers that
// quit, producers that stop early, and a close from a producer while the
// others still send (asio-drained's close by hand, tbb's on abort()).
TEST(Faults, untimed_peers_account_for_every_other_fault) {
  for (const char* impl : {"asio-drained", "tbb"}) {
    const json run =
        run_faults(impl, R"("runtime":{"workers":2},)", R"("stop_after":200,"stoppers":1)",
                   R"("quit_after":100,"quitters":2)");
    if (run.empty()) continue;
    EXPECT_GE(run["received"].get<std::uint64_t>(), 1500u) << impl;
  }
}
#endif

TEST(Faults, peers_without_timed_operations_refuse_timeouts) {
  for (const char* impl : {"asio", "asio-drained", "tbb"}) {
    const std::string path =
        temp_file(std::string("timed-") + impl + ".json",
                  std::string(R"({"name":"t","queue":{"impl":")") + impl +
                      R"("},"messages":10,"producers":{"send_timeout_us":50}})");
    const auto [code, output] = run_cli("validate " + path);
    EXPECT_EQ(code, 2) << impl;
    EXPECT_NE(output.find(std::string("queue.impl \"") + impl + "\" has no timed send"),
              std::string::npos)
        << output;
  }
}

TEST(Faults, impls_without_try_send_refuse_try_first) {
  for (const char* impl : {"boost-fiber", "mutex", "threads", "asio", "tbb", "seed"}) {
    for (const char* side : {"producers", "consumers"}) {
      const std::string path =
          temp_file(std::string("try-") + impl + "-" + side + ".json",
                    std::string(R"({"name":"t","queue":{"impl":")") + impl +
                        R"("},"messages":10,")" + side + R"(":{"try_first":true}})");
      const auto [code, output] = run_cli("validate " + path);
      EXPECT_EQ(code, 2) << impl << " " << side;
      EXPECT_NE(output.find(std::string("queue.impl \"") + impl +
                            "\" has no try_send or try_receive (only tmpmc has them)"),
                std::string::npos)
          << output;
    }
  }
  const std::string ours = temp_file(
      "try-tmpmc.json",
      R"({"name":"t","messages":10,"producers":{"try_first":true},"consumers":{"try_first":true}})");
  EXPECT_EQ(run_cli("validate " + ours).exit_code, 0);
}

}  // namespace
}  // namespace tmpmc::testing
