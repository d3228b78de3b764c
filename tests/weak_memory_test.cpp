// weak_memory_test.cpp: what the TSan tier sees that the model cannot. A
// queue whose pop loads the slot's stamp relaxed instead of acquire
// (mutants.h, PopStampWithoutAcquire; impl planted-relaxed-stamp of
// tmpmc-bench-planted) is a weak-memory bug: every deterministic mode
// passes it, because the deterministic runtime is sequentially consistent
// by construction; real threads with the queue's two sides on two cores
// (stress --workers 2, placement spread) under ThreadSanitizer catch it.
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.h"

namespace tmpmc::testing {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

CliRun run_planted(const std::string& args) { return run_cli(args, planted_bench_bin()); }

// A stream of one producer and one consumer: most pops find a value pushed
// while the consumer was running, not one it was woken for (a wake would
// order the two sides by itself).
std::string stream_config(int messages) {
  return temp_file(
      "weak_memory_stream_" + std::to_string(messages) + ".json",
      R"({"name":"stream","messages":)" + std::to_string(messages) +
          R"(,"queue":{"capacity":8},"producers":{"count":1},"consumers":{"count":1}})");
}

TEST(WeakMemory, tsan_tier_catches_a_pop_stamp_without_acquire) {
  if (!kThreadSanitizer) GTEST_SKIP() << "ThreadSanitizer's happens-before is the check";
  const CliRun run = run_planted("stress " + stream_config(4000) +
                                 " --impl planted-relaxed-stamp --workers 2 --placement spread "
                                 "--seeds 5 --time-budget 30s");
  EXPECT_NE(run.output.find("ThreadSanitizer: data race"), std::string::npos) << run.output;
  EXPECT_NE(run.exit_code, 0) << run.output;
}

// Every deterministic mode passes the same mutant: the sampling policies
// and the bounded search, on a short stream (a deterministic run of the
// long one costs 0.1 s) and on a shipped close race.
TEST(WeakMemory, every_deterministic_mode_passes_a_pop_stamp_without_acquire) {
  // One thread, one schedule at a time: no sanitizer sees more of it, and
  // each run of the command costs seconds under one.
  if (kAddressSanitizer || kThreadSanitizer) GTEST_SKIP() << "deterministic: the Release run";
  const std::string close_race = std::string(config_dir()) + "/stress/close-race.json";
  const std::string seeds = "200";
  for (const std::string policy : {"random", "pct:3", "pos"}) {
    for (const std::string& file : {stream_config(40), close_race}) {
      const CliRun run = run_planted("stress " + file + " --impl planted-relaxed-stamp --policy " +
                                     policy + " --seeds " + seeds);
      EXPECT_EQ(run.exit_code, 0) << policy << " on " << file << ":\n" << run.output;
    }
  }
  const CliRun bounded = run_planted("stress " + close_race +
                                     " --filter idle-consumers --impl planted-relaxed-stamp "
                                     "--explore bounded --bound 1");
  EXPECT_EQ(bounded.exit_code, 0) << bounded.output;
}

}  // namespace
}  // namespace tmpmc::testing
