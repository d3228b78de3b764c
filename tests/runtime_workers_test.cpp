// runtime_workers_test.cpp: the runtime on real worker threads only:
// stealing, block_on refused inside a fiber, an idle runtime's CPU, and
// spawning before block_on.
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime_fixture.h"

namespace tmpmc::testing {
namespace {

using namespace std::chrono_literals;
using runtime::JoinHandle;
namespace this_fiber = runtime::this_fiber;

// ---------------------------------------------------------------- real workers

// All 64 fibers are spawned on the root's worker, and each spins without
// yielding until one of them has run on the other thread: the first to run
// holds its worker until the idle one steals. The test waits for the steal
// (an event) instead of hoping that one lands within a spin of fixed length;
// the give-up time, the fixture's watchdog, only ends a runtime that never steals.
TEST(RuntimeTwoWorkers, idle_worker_steals_from_busy_one) {
  const runtime::Options options = options_for(Mode::two_workers);
  runtime::Runtime rt(options);
  std::atomic<bool> ran_elsewhere{false};
  rt.block_on([&] {
    const std::thread::id spawner = std::this_thread::get_id();
    const auto give_up = std::chrono::steady_clock::now() + options.watchdog;
    std::vector<JoinHandle<void>> handles;
    for (int i = 0; i < 64; ++i) {
      handles.push_back(runtime::spawn([&, spawner] {
        if (std::this_thread::get_id() != spawner) ran_elsewhere.store(true);
        while (!ran_elsewhere.load() && std::chrono::steady_clock::now() < give_up) {
        }
      }));
    }
    for (auto& h : handles) h.join();
  });
  EXPECT_TRUE(ran_elsewhere.load()) << "no fiber left the busy worker";
  EXPECT_GT(rt.stats().steals, 0u);
}

TEST(RuntimeTwoWorkers, block_on_from_a_fiber_is_an_error) {
  runtime::Runtime rt(options_for(Mode::two_workers));
  rt.block_on([&] { EXPECT_THROW(rt.block_on([] { return 1; }), std::logic_error); });
}

TEST(RuntimeTwoWorkers, idle_runtime_uses_no_cpu) {
  runtime::Runtime rt(options_for(Mode::two_workers));
  auto cpu_seconds = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  };
  const double before = cpu_seconds();
  rt.block_on([] { this_fiber::sleep_for(300ms); });
  const double used = cpu_seconds() - before;
  // Sleeping 300 ms on 2 workers: a busy-waiting runtime would burn ~0.6 s.
  EXPECT_LT(used, 0.1) << "idle workers must sleep, not spin";
}

TEST(RuntimeOutside, spawn_before_block_on_runs_inside_it) {
  runtime::Runtime rt(options_for(Mode::one_worker));
  auto handle = rt.spawn("early", [] { return 5; });
  EXPECT_EQ(rt.block_on([&] { return handle.join(); }), 5);
}

}  // namespace
}  // namespace tmpmc::testing
