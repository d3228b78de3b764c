// planted_cli_test.cpp: the tool stays in charge of queues that attack it
// (planted_queues.h), through tmpmc-bench-planted as a user runs it: a spin
// that never yields is a reported livelock under the search and, on a real
// runtime, no obstacle to a stop signal; a task no close releases is a named
// hang with a result file and exit code 1, never an abort.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"

extern char** environ;

namespace tmpmc::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

CliRun run_planted(const std::string& args) { return run_cli(args, planted_bench_bin()); }

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scenario for the planted impls: one producer and one consumer, no payload.
std::string planted_config(const std::string& name, const std::string& impl, int capacity,
                           int messages, const std::string& extra = "") {
  return temp_file(name + ".json", R"({"name":")" + name + R"(","messages":)" +
                                       std::to_string(messages) + R"(,"queue":{"impl":")" + impl +
                                       R"(","capacity":)" + std::to_string(capacity) +
                                       R"(},"producers":{"count":1},"consumers":{"count":1})" +
                                       extra + "}");
}

// Spawned: tmpmc-bench-planted running in the background, its stdout and
// stderr in one file.
class Spawned {
 public:
  // Spawned(args, output, binary): `binary` (tmpmc-bench-planted) with args.
  Spawned(const std::vector<std::string>& args, const fs::path& output,
          std::string binary = planted_bench_bin()) {
    std::vector<char*> argv;
    argv.push_back(binary.data());
    args_ = args;
    for (auto& arg : args_) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Spawned() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // cpu_seconds(): user + system time so far (from /proc), -1 once it exited.
  double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close_paren = text.rfind(')');
    if (close_paren == std::string::npos) return -1;
    std::istringstream fields(text.substr(close_paren + 2));
    std::string field;
    char state = 0;
    fields >> state;
    if (state == 'Z') return -1;
    long utime = 0, stime = 0;
    for (int i = 4; i <= 13; ++i) fields >> field;  // fields 4-13
    fields >> utime >> stime;                       // fields 14 and 15
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  // spinning(): true once it has used half a second of CPU (a run that
  // spins for ever gets there; one that ends does not), within 30 s.
  bool spinning() const {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    double cpu = 0;
    while ((cpu = cpu_seconds()) >= 0 && cpu < 0.5 && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return cpu >= 0.5;
  }
  // wait_for_exit(limit): the wait status, or nothing if it is still
  // running after `limit` (a hang: the caller fails the test).
  std::optional<int> wait_for_exit(std::chrono::seconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return status_ = status;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

 private:
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// --------------------------------------------------------------- a spin

TEST(PlantedSpin, stress_reports_a_livelock_at_the_step_cap) {
  const std::string config = planted_config("spin", "planted-spin", 1, 3);
  for (const std::string explore : {"--seeds 3", "--explore bounded --bound 0"}) {
    const CliRun run =
        run_planted("stress " + config + " --impl planted-spin --max-steps 20000 " + explore);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("livelock"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("--schedule"), std::string::npos) << run.output;
  }
}

// A push stalls after its claim and the pop that reaches its slot waits for
// it: the search stops the run at the step cap, teardown cannot finish
// either operation, and counting what is left in the queue must not wait on
// the half-done push (it used to spin there for ever, with no step to cap).
TEST(PlantedSpin, a_push_stalled_mid_operation_is_a_livelock_not_a_hang) {
  const std::string config = planted_config("stall", "planted-stall", 2, 3);
  const CliRun run = run_planted("stress " + config + " --impl planted-stall --max-steps 20000 " +
                                 "--seeds 3 --time-budget 60s");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("livelock"), std::string::npos) << run.output;
}

// On a real runtime the spinning consumer holds its worker for ever: the
// producer parks on the full queue, the consumer takes its one value and
// then spins on the empty queue. SIGTERM cannot stop that run; the grace
// period ends the process with the result file written.
TEST(PlantedSpin, run_ends_within_the_grace_period_after_sigterm) {
  const std::string config = planted_config("spin-real", "planted-spin", 1, 4);
  const fs::path out = fs::temp_directory_path() / "tmpmc_test_spin_real_out.json";
  const fs::path log = fs::temp_directory_path() / "tmpmc_test_spin_real.log";
  fs::remove(out);
  Spawned bench({"run", config, "--workers", "1", "--grace", "1s", "--json", out.string()}, log);
  ASSERT_GT(bench.pid(), 0);
  ASSERT_TRUE(bench.spinning()) << "it should be spinning; its output:\n" << read_text(log);
  ::kill(bench.pid(), SIGTERM);
  const std::optional<int> status = bench.wait_for_exit(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value()) << "still running 30 s after SIGTERM with --grace 1s";
  ASSERT_TRUE(WIFEXITED(*status)) << "ended by signal " << WTERMSIG(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 143);
  const std::string output = read_text(log);
  EXPECT_NE(output.find("grace period"), std::string::npos) << output;
  const json doc = json::parse(read_text(out));
  ASSERT_EQ(doc["scenarios"].size(), 1u) << doc.dump(2);
  EXPECT_EQ(doc["scenarios"][0]["name"], "spin-real");
  EXPECT_EQ(doc["scenarios"][0]["verdict"], "interrupted");
}

// A second signal does not wait for the grace period.
TEST(PlantedSpin, a_second_signal_ends_the_run_at_once) {
  const std::string config = planted_config("spin-twice", "planted-spin", 1, 4);
  const fs::path out = fs::temp_directory_path() / "tmpmc_test_spin_twice_out.json";
  const fs::path log = fs::temp_directory_path() / "tmpmc_test_spin_twice.log";
  fs::remove(out);
  Spawned bench({"run", config, "--workers", "1", "--grace", "1h", "--json", out.string()}, log);
  ASSERT_GT(bench.pid(), 0);
  ASSERT_TRUE(bench.spinning()) << "it should be spinning; its output:\n" << read_text(log);
  // Two signals sent at once may arrive as one: send one a second until it
  // ends (with --grace 1h, only a second signal can end it).
  std::optional<int> status;
  for (int sent = 0; sent < 30 && !status; ++sent) {
    ::kill(bench.pid(), SIGINT);
    status = bench.wait_for_exit(std::chrono::seconds(1));
  }
  ASSERT_TRUE(status.has_value()) << "a second SIGINT should end it (--grace 1h)";
  ASSERT_TRUE(WIFEXITED(*status)) << "ended by signal " << WTERMSIG(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 130);
  EXPECT_NE(read_text(log).find("second signal"), std::string::npos) << read_text(log);
  EXPECT_EQ(json::parse(read_text(out))["scenarios"][0]["verdict"], "interrupted");
}

// --------------------------------------------------------------- a crash

// line_after(text, label): the rest of the line that follows `label`.
std::string line_after(const std::string& text, const std::string& label) {
  const auto at = text.find(label);
  if (at == std::string::npos) return "";
  const auto start = at + label.size();
  return text.substr(start, text.find('\n', start) - start);
}

// The consumer crashes when it finds both slots full: only schedules where
// the producer runs two sends ahead get there. The dying process prints the
// schedule so far and the command that replays it; that command crashes the
// same way, at the same step, and prints the same schedule.
TEST(PlantedCrash, the_printed_schedule_replays_to_the_same_crash) {
  const std::string config = planted_config("crash", "planted-crash", 2, 6);
  const fs::path log = fs::temp_directory_path() / "tmpmc_test_crash.log";
  Spawned stress({"stress", config, "--impl", "planted-crash", "--seeds", "200"}, log);
  ASSERT_GT(stress.pid(), 0);
  const std::optional<int> status = stress.wait_for_exit(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value()) << "stress did not end";
  const std::string output = read_text(log);
  ASSERT_TRUE(WIFSIGNALED(*status)) << "it should die of the crash, not exit; output:\n" << output;
  EXPECT_EQ(WTERMSIG(*status), SIGSEGV) << output;
  EXPECT_NE(output.find("crashed with SIGSEGV"), std::string::npos) << output;
  EXPECT_NE(output.find("scenario \"crash\" on impl planted-crash"), std::string::npos) << output;
  const std::string schedule = line_after(output, "schedule so far: ");
  const std::string replay = line_after(output, "replay: ");
  ASSERT_EQ(schedule.rfind("v1.", 0), 0u) << output;
  ASSERT_EQ(replay.rfind("tmpmc-bench run ", 0), 0u) << output;
  EXPECT_NE(replay.find("--schedule " + schedule), std::string::npos) << replay;

  // The replay, through a shell as a user pastes it (it quotes the filter).
  const fs::path replay_log = fs::temp_directory_path() / "tmpmc_test_crash_replay.log";
  Spawned again({"-c", "exec " + std::string(planted_bench_bin()) +
                           replay.substr(std::string("tmpmc-bench").size())},
                replay_log, "/bin/sh");
  const std::optional<int> replayed = again.wait_for_exit(std::chrono::seconds(30));
  ASSERT_TRUE(replayed.has_value()) << "the replay did not end";
  const std::string replay_output = read_text(replay_log);
  ASSERT_TRUE(WIFSIGNALED(*replayed)) << replay_output;
  EXPECT_EQ(WTERMSIG(*replayed), SIGSEGV) << replay_output;
  EXPECT_EQ(line_after(replay_output, "schedule so far: "), schedule) << replay_output;
  EXPECT_EQ(line_after(replay_output, ", at step "), line_after(output, ", at step "));
}

// --------------------------------------------------------------- a stuck peer

TEST(PlantedStuck, run_reports_a_named_hang_writes_its_file_and_exits_1) {
  const std::string config =
      planted_config("stuck", "planted-stuck", 4, 20, R"(,"run":{"timeout_ms":100})");
  const fs::path out = fs::temp_directory_path() / "tmpmc_test_stuck_out.json";
  fs::remove(out);
  const CliRun run = run_planted("run " + config + " --json " + out.string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.output.find("terminate"), std::string::npos) << run.output;
  const json doc = json::parse(read_text(out));
  const json& scenario = doc["scenarios"].at(0);
  EXPECT_EQ(scenario["verdict"], "fail");
  const std::string text = scenario.dump();
  EXPECT_NE(text.find("hang"), std::string::npos) << text;
  EXPECT_NE(text.find("consumer-"), std::string::npos) << "names the stuck task: " << text;
}

}  // namespace
}  // namespace tmpmc::testing
