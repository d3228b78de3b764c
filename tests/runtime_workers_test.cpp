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
#include "tmpmc/runtime/notify.h"

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

// Pinned fibers (spawn_pinned) run on their own worker at every resume,
// whoever woke them: here pairs on different workers hand a token back and
// forth through a Notify each way, so every wake crosses workers, and a
// CPU-bound fiber keeps worker 0 busy at times, so that worker 1 goes looking
// for work to steal. The wakes that crossed are counted.
TEST(RuntimeTwoWorkers, pinned_fibers_run_only_on_their_worker) {
  runtime::Runtime rt(options_for(Mode::two_workers));
  constexpr int kPairs = 3;
  constexpr int kRounds = 2000;
  std::atomic<int> wrong_worker{0};
  rt.block_on([&] {
    struct Pair {
      runtime::Notify to_right{"to-right"}, to_left{"to-left"};
    };
    std::vector<std::unique_ptr<Pair>> pairs;
    std::vector<JoinHandle<void>> handles;
    const auto check = [&](unsigned home) {
      if (runtime::current_worker() != home) wrong_worker.fetch_add(1);
    };
    for (int p = 0; p < kPairs; ++p) {
      Pair& pair = *pairs.emplace_back(std::make_unique<Pair>());
      handles.push_back(rt.spawn_pinned(0, "left", [&] {
        for (int i = 0; i < kRounds; ++i) {
          check(0);
          pair.to_right.notify_one();
          pair.to_left.wait();
        }
        check(0);
      }));
      handles.push_back(rt.spawn_pinned(1, "right", [&] {
        for (int i = 0; i < kRounds; ++i) {
          pair.to_right.wait();
          check(1);
          pair.to_left.notify_one();
        }
        check(1);
      }));
    }
    handles.push_back(rt.spawn_pinned(0, "busy", [&] {
      for (int i = 0; i < 50; ++i) {
        check(0);
        const auto until = std::chrono::steady_clock::now() + 200us;
        while (std::chrono::steady_clock::now() < until) {
        }
        this_fiber::yield();
      }
    }));
    for (auto& h : handles) h.join();
  });
  EXPECT_EQ(wrong_worker.load(), 0) << "a pinned fiber ran on another worker";
  // Each round wakes each side once from the other worker (a wake may find
  // its fiber still switching out and re-queue it there instead).
  EXPECT_GT(rt.stats().cross_worker_wakes, 0u);
}

TEST(RuntimeTwoWorkers, spawn_pinned_refuses_a_worker_the_runtime_lacks) {
  runtime::Runtime rt(options_for(Mode::two_workers));
  rt.block_on([&] {
    EXPECT_THROW(rt.spawn_pinned(2, "nowhere", [] {}), std::invalid_argument);
    // Nothing was registered for it: the runtime has no fiber to unwind.
    rt.spawn_pinned(1, "there", [] { EXPECT_EQ(runtime::current_worker(), 1u); }).join();
  });
  EXPECT_EQ(rt.live_fibers(), 0u);
}

// spawn_pinned from outside the runtime (before block_on) starts the fiber
// on its worker through the inbox, not the injection queue.
TEST(RuntimeOutside, spawn_pinned_before_block_on_starts_on_its_worker) {
  runtime::Runtime rt(options_for(Mode::two_workers));
  std::atomic<unsigned> ran_on{runtime::detail::kAnyWorker};
  JoinHandle<void> pinned =
      rt.spawn_pinned(1, "early", [&] { ran_on.store(runtime::current_worker()); });
  rt.block_on([&] { pinned.join(); });
  EXPECT_EQ(ran_on.load(), 1u);
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
