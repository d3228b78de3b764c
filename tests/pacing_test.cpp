// pacing_test.cpp: waking on time (tmpmc/runtime/pacing.h): timer slack,
// pace_until, and workers that wait awake for their timers.
#include "tmpmc/runtime/pacing.h"

#include <sys/prctl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "runtime_fixture.h"

namespace tmpmc::testing {
namespace {

using namespace std::chrono_literals;
using runtime::Duration;
using runtime::JoinHandle;
using runtime::TimePoint;
namespace this_fiber = runtime::this_fiber;

long timer_slack_ns() { return ::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0); }

TEST(Pacing, timer_slack_is_1ns_for_its_scope_then_restored) {
  const long before = timer_slack_ns();
  {
    const runtime::TimerSlack slack;
    EXPECT_EQ(timer_slack_ns(), 1);
  }
  EXPECT_EQ(timer_slack_ns(), before);
}

// Every worker, the caller's thread among them, runs with 1 ns of slack, and
// the caller's own slack is back once block_on returns.
TEST(Pacing, workers_run_with_the_smallest_timer_slack) {
  const long before = timer_slack_ns();
  runtime::Runtime rt(options_for(Mode::two_workers));
  std::set<long> seen;
  rt.block_on([&] {
    std::mutex mu;
    std::vector<JoinHandle<void>> fibers;
    for (int i = 0; i < 8; ++i) {
      fibers.push_back(runtime::spawn([&] {
        std::lock_guard lock(mu);
        seen.insert(timer_slack_ns());
      }));
    }
    for (auto& fiber : fibers) fiber.join();
    std::lock_guard lock(mu);
    seen.insert(timer_slack_ns());
  });
  EXPECT_EQ(seen, std::set<long>{1});
  EXPECT_EQ(timer_slack_ns(), before);
}

// pace_until() sleeps at most once, to the horizon before the deadline, and
// returns only once the deadline has passed; with no horizon it only sleeps.
TEST(Pacing, pace_until_sleeps_to_the_horizon_and_returns_after_the_deadline) {
  for (const Duration horizon : {Duration(20ms), Duration::zero()}) {
    const TimePoint deadline = runtime::Clock::now() + 40ms;
    std::vector<TimePoint> asked;
    int relaxed = 0;
    runtime::pace_until(
        deadline, horizon,
        [&](TimePoint t) {
          asked.push_back(t);
          std::this_thread::sleep_until(t);
        },
        [&] {
          ++relaxed;
          std::this_thread::yield();
        });
    EXPECT_GE(runtime::Clock::now(), deadline);
    ASSERT_LE(asked.size(), 1u);
    if (!asked.empty()) {
      EXPECT_EQ(asked[0], deadline - horizon);
    }
    if (horizon == Duration::zero()) {
      EXPECT_EQ(relaxed, 0);
    }
  }
}

// A worker that waits awake for a timer (every timer is within this horizon)
// still runs what is runnable first, and resumes the sleeper no earlier than
// its deadline; with no horizon, the same.
TEST(Pacing, a_worker_waiting_for_a_timer_runs_runnable_fibers_first) {
  for (const auto horizon :
       {std::chrono::microseconds(std::chrono::seconds(1)), std::chrono::microseconds::zero()}) {
    runtime::Options options = options_for(Mode::one_worker);
    options.timer_spin = horizon;
    runtime::Runtime rt(options);
    rt.block_on([] {
      std::atomic<bool> woke{false};
      std::uint64_t turns = 0;
      auto busy = runtime::spawn([&] {
        while (!woke.load()) {
          ++turns;
          this_fiber::yield();
        }
      });
      const TimePoint deadline = runtime::now() + 20ms;
      this_fiber::sleep_until(deadline);
      EXPECT_GE(runtime::now(), deadline);
      const std::uint64_t turns_while_asleep = turns;
      woke = true;
      busy.join();
      EXPECT_GT(turns_while_asleep, 0u) << "the runnable fiber did not run while the timer was due";
    });
  }
}

// Sleepers on workers that wait for every timer awake (the horizon covers
// them all): none resumes before its deadline, on one worker or two.
class PacingSleepers : public ::testing::TestWithParam<Mode> {};
INSTANTIATE_TEST_SUITE_P(RealModes, PacingSleepers,
                         ::testing::Values(Mode::one_worker, Mode::two_workers), mode_name);

TEST_P(PacingSleepers, waited_for_awake_never_wake_early) {
  runtime::Options options = options_for(GetParam());
  options.timer_spin = std::chrono::seconds(1);
  runtime::Runtime rt(options);
  std::atomic<int> early{0};
  rt.block_on([&] {
    std::vector<JoinHandle<void>> sleepers;
    for (int i = 0; i < 6; ++i) {
      sleepers.push_back(runtime::spawn([&, i] {
        for (int round = 0; round < 5; ++round) {
          const TimePoint deadline = runtime::now() + std::chrono::microseconds(50 + 300 * i);
          this_fiber::sleep_until(deadline);
          if (runtime::now() < deadline) early.fetch_add(1);
        }
      }));
    }
    for (auto& sleeper : sleepers) sleeper.join();
  });
  EXPECT_EQ(early.load(), 0);
}

}  // namespace
}  // namespace tmpmc::testing
