// deterministic_bounded_test.cpp: a deterministic run's bounds: the step
// cap's livelock and runaway reports, a stop request, the recorded trace, and
// the one-worker rule.
// the same seed, the same run; schedules that replay; virtual time; and the
// step cap's livelock, runaway and stop reports.
#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime_fixture.h"

namespace tmpmc::testing {
namespace {

using namespace std::chrono_literals;
using runtime::JoinHandle;
namespace this_fiber = runtime::this_fiber;

// ---------------------------------------------------------------- bounded runs

// A deterministic run of `fibers` fibers that yield until `done` is set (by
// nobody, unless the program sets it): a livelock, ended by the step cap.
void spin_until(const std::atomic<bool>& done, int fibers) {
  std::vector<JoinHandle<void>> handles;
  for (int f = 0; f < fibers; ++f) {
    handles.push_back(runtime::spawn("spinner-" + std::to_string(f), [&done] {
      while (!done.load(std::memory_order_relaxed)) this_fiber::yield();
    }));
  }
  for (auto& h : handles) h.join();
}

// stop_of(): the StoppedError that ends `program` on `rt` (none: the run ended).
template <class F>
std::optional<runtime::StoppedError> stop_of(runtime::Runtime& rt, F&& program) {
  try {
    rt.block_on(std::forward<F>(program));
  } catch (const runtime::StoppedError& e) {
    return e;
  }
  return std::nullopt;
}

TEST(RuntimeDeterministic, step_cap_reports_a_livelock_naming_where_each_fiber_spins) {
  runtime::Options options = options_for(Mode::deterministic);
  options.max_steps = 10'000;
  runtime::Runtime rt(options);
  std::atomic<bool> done{false};
  const auto stop = stop_of(rt, [&] { spin_until(done, 3); });
  ASSERT_TRUE(stop.has_value()) << "the livelock was not stopped";
  EXPECT_EQ(stop->kind(), runtime::StopKind::livelock);
  EXPECT_NE(std::string(stop->what()).find("livelock: no fiber made progress"), std::string::npos)
      << stop->what();
  ASSERT_EQ(stop->parked().size(), 4u) << stop->report();  // root and three spinners
  int joining = 0, spinning = 0;
  for (const std::string& line : stop->parked()) {
    joining += line == "root: join";
    spinning += line.find("spinner-") == 0 && line.find(": runnable, last at yield") != line.npos;
  }
  EXPECT_EQ(joining, 1) << stop->report();
  EXPECT_EQ(spinning, 3) << stop->report();
  EXPECT_EQ(rt.live_fibers(), 0u);
  // The cap is per run: the next block_on on the same runtime starts from 0.
  EXPECT_EQ(rt.block_on([] { return 5; }), 5);
}

TEST(RuntimeDeterministic, step_cap_reports_a_runaway_that_keeps_making_progress) {
  runtime::Options options = options_for(Mode::deterministic);
  options.max_steps = 10'000;
  runtime::Runtime rt(options);
  // Every finished fiber is progress; the run just never ends.
  const auto stop = stop_of(rt, [] {
    for (;;) runtime::spawn([] { this_fiber::yield(); }).join();
  });
  ASSERT_TRUE(stop.has_value()) << "the runaway was not stopped";
  EXPECT_EQ(stop->kind(), runtime::StopKind::runaway) << stop->what();
  EXPECT_NE(std::string(stop->what()).find("max_steps (10000)"), std::string::npos) << stop->what();
  EXPECT_EQ(rt.live_fibers(), 0u);
}

TEST(RuntimeDeterministic, stop_request_ends_a_run_that_would_not_end) {
  runtime::Options options = options_for(Mode::deterministic);
  int asked = 0;
  options.stop_requested = [&asked] { return ++asked == 3; };  // the third time it is asked
  runtime::Runtime rt(options);
  std::atomic<bool> done{false};
  const auto stop = stop_of(rt, [&] { spin_until(done, 2); });
  ASSERT_TRUE(stop.has_value()) << "the run was not stopped";
  EXPECT_EQ(stop->kind(), runtime::StopKind::interrupted) << stop->what();
  EXPECT_EQ(asked, 3);
}

TEST(RuntimeDeterministic, trace_is_a_hash_unless_recorded) {
  auto run = [](bool record) {
    runtime::Options options = options_for(Mode::deterministic, 7);
    options.record_trace = record;
    runtime::Runtime rt(options);
    rt.block_on([] {
      std::atomic<bool> done{false};
      auto stopper = runtime::spawn([&done] {
        for (int i = 0; i < 5'000; ++i) this_fiber::yield();
        done.store(true, std::memory_order_relaxed);
      });
      spin_until(done, 2);
      stopper.join();
    });
    EXPECT_EQ(rt.trace().empty(), !record);
    EXPECT_EQ(rt.schedule().steps() == 0, !record);
    return rt.trace_hash();
  };
  EXPECT_EQ(run(false), run(true)) << "recording must not change the schedule";
}

TEST(RuntimeDeterministic, rejects_more_than_one_worker) {
  runtime::Options options;
  options.deterministic = true;
  options.workers = 2;
  EXPECT_THROW(runtime::Runtime{options}, std::invalid_argument);
}

}  // namespace
}  // namespace tmpmc::testing
