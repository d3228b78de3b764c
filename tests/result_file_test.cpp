// result_file_test.cpp: the one writer of result files, for every kind of
// target (issue 18's list), and the CLI's exit codes around it: a result is
// written whole or not at all, and nothing that is not a regular file is
// ever replaced.
#include "tmpmc/results/result_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "cli_runner.h"

namespace tmpmc::testing {
namespace {

namespace fs = std::filesystem;
namespace rs = tmpmc::results;
using nlohmann::json;

// scratch(): an empty directory of this test's own.
fs::path scratch() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir =
      fs::temp_directory_path() /
      (std::string("tmpmc_result_file_") + info->name() + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ResultFile, regular_file_replaced_whole_and_no_temporary_left) {
  const fs::path dir = scratch();
  const fs::path path = dir / "out.json";
  std::ofstream(path) << "old";
  rs::write_text_file(path.string(), "new text\n");
  EXPECT_EQ(read_all(path), "new text\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(ResultFile, symlink_followed_and_kept) {
  const fs::path dir = scratch();
  std::ofstream(dir / "target.json") << "old";
  fs::create_symlink("target.json", dir / "link.json");
  rs::write_text_file((dir / "link.json").string(), "through the link");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir / "link.json")));
  EXPECT_EQ(read_all(dir / "target.json"), "through the link");
  // A dangling link: the file it names is created, the link stays.
  fs::create_symlink("later.json", dir / "dangling.json");
  rs::write_text_file((dir / "dangling.json").string(), "created");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir / "dangling.json")));
  EXPECT_EQ(read_all(dir / "later.json"), "created");
}

TEST(ResultFile, fifo_written_in_place_not_replaced) {
  const fs::path dir = scratch();
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = read_all(fifo); });  // open blocks until the writer opens
  rs::write_text_file(fifo.string(), "through the pipe\n");
  reader.join();
  EXPECT_EQ(received, "through the pipe\n");
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
}

TEST(ResultFile, dev_null_written_and_kept) {
  rs::write_text_file("/dev/null", "discarded");
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status("/dev/null")));
}

TEST(ResultFile, dev_full_fails_and_stays_a_device) {
  if (!fs::is_character_file(fs::symlink_status("/dev/full"))) GTEST_SKIP() << "no /dev/full";
  try {
    rs::write_text_file("/dev/full", std::string(1 << 16, 'x'));
    ADD_FAILURE() << "a write to /dev/full succeeded";
  } catch (const rs::ResultFileError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/full"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No space left"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status("/dev/full")));
}

TEST(ResultFile, directory_missing_or_target_a_directory_fails) {
  const fs::path dir = scratch();
  EXPECT_THROW(rs::write_text_file((dir / "no" / "such" / "out.json").string(), "x"),
               rs::ResultFileError);
  EXPECT_THROW(rs::write_text_file(dir.string(), "x"), rs::ResultFileError);
  EXPECT_TRUE(fs::is_directory(dir));
}

TEST(ResultFile, read_only_directory_fails) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  const fs::path dir = scratch();
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(rs::write_text_file((dir / "out.json").string(), "x"), rs::ResultFileError);
  fs::permissions(dir, fs::perms::owner_all);
}

TEST(ResultFileCli, json_to_stdout) {
  const CliRun run = run_cli("run " + std::string(config_dir()) +
                             "/quickstart.json --filter '^spsc$' --scale 0.001 --repeat 1 "
                             "--quiet --json -");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json doc = json::parse(run.output.substr(run.output.find('{')));
  EXPECT_EQ(doc["scenarios"].size(), 1u);
}

TEST(ResultFileCli, dev_full_exits_2_naming_the_path) {
  if (!fs::is_character_file(fs::symlink_status("/dev/full"))) GTEST_SKIP() << "no /dev/full";
  const CliRun run = run_cli("run " + std::string(config_dir()) +
                             "/quickstart.json --filter '^spsc$' --scale 0.001 --repeat 1 "
                             "--quiet --json /dev/full");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("/dev/full"), std::string::npos) << run.output;
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status("/dev/full")));
}

// read_until(fd, text, seen): reads `fd` (the master side of the child's
// terminal) into `seen` until `text` has appeared in it; false if the
// terminal closes first (the child ended).
bool read_until(int fd, const std::string& text, std::string& seen) {
  char buffer[512];
  while (seen.find(text) == std::string::npos) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    seen.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

// SIGTERM stops the run in progress, keeps what finished and writes the
// result file, with exit code 143. The child's stderr is a terminal, so it
// draws its live progress line there; the signal is sent once that line says
// the second scenario's run has started: the first has finished (and passed)
// by then, and the second runs until stopped (a 10-minute duration).
TEST(ResultFileCli, sigterm_writes_what_finished_and_exits_143) {
  const fs::path dir = scratch();
  const fs::path config = dir / "two.json";
  std::ofstream(config) << R"({"scenarios": [
    {"name": "short", "messages": 2000, "run": {"repeat": 1, "warmup": 0}},
    {"name": "endless", "duration_ms": 600000, "run": {"repeat": 1, "warmup": 0}}]})";
  const fs::path out = dir / "out.json";
  int terminal = -1;
  const pid_t child = ::forkpty(&terminal, nullptr, nullptr, nullptr);
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::execl(bench_bin(), bench_bin(), "run", config.c_str(), "--quiet", "--json", out.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string seen;
  // Its signal handlers are installed before the first run starts.
  const bool second_started = read_until(terminal, "[2/2] endless: run 1/1", seen);
  if (second_started) ::kill(child, SIGTERM);
  // Drain the terminal until the child has closed it, so no write of its
  // blocks on a full terminal; then reap it.
  read_until(terminal, "\x01never printed\x01", seen);
  ::close(terminal);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(second_started) << "the second run never started; the terminal showed:\n" << seen;
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 143);
  std::ifstream in(out);
  ASSERT_TRUE(in) << "no result file";
  const json doc = json::parse(in);
  ASSERT_EQ(doc["scenarios"].size(), 2u);
  EXPECT_EQ(doc["scenarios"][0]["name"], "short");
  EXPECT_EQ(doc["scenarios"][0]["verdict"], "pass");
  EXPECT_EQ(doc["scenarios"][1]["name"], "endless");
  EXPECT_EQ(doc["scenarios"][1]["verdict"], "interrupted");
}

}  // namespace
}  // namespace tmpmc::testing
