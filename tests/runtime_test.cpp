// runtime_test.cpp: the fiber runtime on every mode (see runtime_fixture.h).
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
using runtime::Duration;
using runtime::JoinHandle;
using runtime::Notify;
using runtime::TimePoint;
namespace this_fiber = runtime::this_fiber;

class RuntimeTest : public RuntimeFixture {};
TMPMC_ALL_MODES(RuntimeTest);

TEST_P(RuntimeTest, block_on_returns_value) {
  EXPECT_EQ(rt().block_on([] { return 42; }), 42);
  EXPECT_EQ(rt().block_on([] { return std::string("again"); }), "again");
}

TEST_P(RuntimeTest, block_on_rethrows) {
  EXPECT_THROW(rt().block_on([]() -> int { throw std::runtime_error("boom"); }),
               std::runtime_error);
}

// spawn_join(rt, n): n fibers live at once, each joined for its value.
void spawn_join(runtime::Runtime& rt, long n) {
  const long total = rt.block_on([n] {
    std::vector<JoinHandle<long>> handles;
    handles.reserve(n);
    for (long i = 0; i < n; ++i) handles.push_back(runtime::spawn([i] { return i; }));
    long sum = 0;
    for (auto& handle : handles) sum += handle.join();
    return sum;
  });
  EXPECT_EQ(total, n * (n - 1) / 2);
  EXPECT_GE(rt.stats().spawns, static_cast<std::uint64_t>(n));
}

TEST_P(RuntimeTest, spawn_join_many_fibers) {
  // TSan creates a context of its own per fiber (~1 ms each): fewer there.
  // The deterministic picker's cost grows with the runnable fibers: 100,000
  // there take 20 s, the deep tier's (below).
  const long n = kSanitized ? 5'000 : GetParam() == Mode::deterministic ? 10'000 : 100'000;
  spawn_join(rt(), n);
}

TEST(RuntimeDeep, spawn_join_100000_fibers_deterministic) {
  runtime::Runtime rt(options_for(Mode::deterministic));
  spawn_join(rt, 100'000);
}

TEST_P(RuntimeTest, join_returns_values_and_rethrows) {
  rt().block_on([] {
    auto value = runtime::spawn("value", [] { return std::make_unique<int>(7); });
    auto failing = runtime::spawn("failing", []() -> int { throw std::logic_error("inside"); });
    auto nothing = runtime::spawn([] {});
    EXPECT_EQ(*value.join(), 7);
    EXPECT_THROW(failing.join(), std::logic_error);
    nothing.join();
  });
}

// A fiber whose task returns leaves its stack to the next new fiber (an idle
// carrier): each fiber on a reused stack must still be itself, with its own
// name, value, exception and stack variables.
TEST_P(RuntimeTest, reused_stacks_carry_each_fiber_as_itself) {
  rt().block_on([] {
    for (int round = 0; round < 200; ++round) {
      const std::string name = "f-" + std::to_string(round);
      auto named = runtime::spawn(name, [round] {
        std::array<int, 64> on_stack;
        on_stack.fill(round);
        this_fiber::yield();
        return std::make_pair(this_fiber::name(),
                              std::accumulate(on_stack.begin(), on_stack.end(), 0));
      });
      auto [seen_name, sum] = named.join();
      EXPECT_EQ(seen_name, name);
      EXPECT_EQ(sum, round * 64);
      if (round % 7 == 0) {
        auto failing =
            runtime::spawn([round]() -> int { throw std::out_of_range(std::to_string(round)); });
        try {
          failing.join();
          ADD_FAILURE() << "expected the fiber's exception";
        } catch (const std::out_of_range& e) {
          EXPECT_EQ(e.what(), std::to_string(round));
        }
      }
    }
  });
}

// Stacks left idle by one block_on run the fibers of the next, whose worker
// threads are new; the runtime then ends with idle stacks and with fibers
// parked on reused stacks, and must unwind both without hanging or leaking.
TEST_P(RuntimeTest, reused_stacks_across_block_on_and_teardown) {
  auto owned = std::make_shared<int>(1);
  std::weak_ptr<int> watch = owned;
  {
    runtime::Runtime rt(options_for(GetParam()));
    for (int run = 0; run < 3; ++run) {
      const long total = rt.block_on([run] {
        std::vector<JoinHandle<long>> handles;
        for (long i = 0; i < 100; ++i) {
          handles.push_back(runtime::spawn([i, run] {
            this_fiber::yield();
            return i * run;
          }));
        }
        long sum = 0;
        for (auto& handle : handles) sum += handle.join();
        return sum;
      });
      EXPECT_EQ(total, 4950L * run);
    }
    auto notify = std::make_shared<Notify>();
    rt.block_on([&, notify] {
      for (int i = 0; i < 5; ++i) runtime::spawn([] {}).join();  // leaves idle stacks
      for (int i = 0; i < 10; ++i) runtime::spawn([notify, owned] { notify->wait(); });
      this_fiber::yield();  // let them park, on reused stacks
    });
    owned.reset();
    EXPECT_FALSE(watch.expired()) << "the parked fibers still own it";
    EXPECT_EQ(rt.live_fibers(), 10u);
  }
  EXPECT_TRUE(watch.expired()) << "unwinding ran the parked fibers' destructors";
}

TEST_P(RuntimeTest, detached_fiber_still_runs) {
  std::atomic<int> ran{0};
  rt().block_on([&] {
    {
      runtime::spawn([&] { ran.fetch_add(1); });
    }  // handle dropped at once
    while (ran.load() == 0) this_fiber::yield();
  });
  EXPECT_EQ(ran.load(), 1);
}

TEST_P(RuntimeTest, fiber_names) {
  rt().block_on([] {
    EXPECT_EQ(this_fiber::name(), "root");
    auto named = runtime::spawn("consumer-3", [] { return this_fiber::name(); });
    EXPECT_EQ(named.join(), "consumer-3");
  });
}

TEST_P(RuntimeTest, yield_interleaves) {
  std::vector<int> order;
  std::mutex mu;
  rt().block_on([&] {
    auto worker = [&](int id) {
      for (int i = 0; i < 100; ++i) {
        {
          std::lock_guard lock(mu);
          order.push_back(id);
        }
        this_fiber::yield();
      }
    };
    auto a = runtime::spawn([&] { worker(1); });
    auto b = runtime::spawn([&] { worker(2); });
    a.join();
    b.join();
  });
  ASSERT_EQ(order.size(), 200u);
  // On two workers the fibers may simply run in parallel, each yielding to nobody.
  if (GetParam() == Mode::two_workers) return;
  int switches = 0;
  for (std::size_t i = 1; i < order.size(); ++i) switches += order[i] != order[i - 1];
  EXPECT_GT(switches, 10) << "yield should let the other fiber run";
}

// Sleepers spawned in the order 30, 10, 20, 0 ms wake in deadline order, and
// none before its deadline. The deadlines are one base plus an offset, the
// base taken before the spawns, so the expected order does not depend on when
// each sleeper starts. One worker promises deadline order to timers that are
// armed when the earliest of them falls due (a sleeper whose deadline has
// passed when it starts only yields, and may overtake a due timer the worker
// has not fired yet): so the root checks, once every sleeper has armed, that
// the earliest deadline is still ahead. A load that delays the arming past
// it makes the round start again with a longer lead, never a wrong verdict.
TEST_P(RuntimeTest, sleep_ordering) {
  const std::array<int, 4> offsets_ms = {30, 10, 20, 0};
  std::vector<int> woke;
  bool all_on_time = true;
  bool armed_in_time = false;
  for (Duration lead = 20ms; !armed_in_time && lead <= 5s; lead *= 4) {
    woke.clear();
    rt().block_on([&] {
      std::mutex mu;
      std::atomic<int> arming{0};
      const TimePoint base = runtime::now() + lead;
      std::vector<JoinHandle<void>> sleepers;
      for (int ms : offsets_ms) {
        sleepers.push_back(runtime::spawn([&, ms] {
          const TimePoint deadline = base + std::chrono::milliseconds(ms);
          arming.fetch_add(1);
          this_fiber::sleep_until(deadline);  // checks the deadline before it arms
          std::lock_guard lock(mu);
          all_on_time &= runtime::now() >= deadline;
          woke.push_back(ms);
        }));
      }
      // On one worker a sleeper runs from its arming.fetch_add() to its park
      // without the root in between: all four have checked their deadline
      // before this now().
      while (arming.load() < 4) this_fiber::yield();
      armed_in_time = runtime::now() < base;
      for (auto& sleeper : sleepers) sleeper.join();
    });
  }
  EXPECT_TRUE(all_on_time) << "a sleeper woke before its deadline";
  ASSERT_TRUE(armed_in_time) << "four timers were never armed within 5 s";
  // Two workers may run the woken sleepers in parallel.
  if (GetParam() != Mode::two_workers) {
    EXPECT_EQ(woke, (std::vector<int>{0, 10, 20, 30}));
  }
}

TEST_P(RuntimeTest, sleep_takes_at_least_its_duration) {
  rt().block_on([] {
    const auto start = runtime::now();
    this_fiber::sleep_for(5ms);
    EXPECT_GE(runtime::now() - start, 5ms);
  });
}

TEST_P(RuntimeTest, deadlock_or_hang_report_names_parked_fibers) {
  if (!deterministic()) {
    runtime::Options options = options_for(GetParam());
    // 2 s: the first run, too, must end within the watchdog (200 ms was too
    // short for it under TSan on a loaded machine).
    options.watchdog = 2s;
    runtime::Runtime watched(options);
    Notify never;
    std::optional<JoinHandle<void>> stuck;
    // The first run ends only once consumer-3 has parked for good; the second
    // joins it and hangs. The watchdog counts from the start of a run, so it
    // cannot fire in the second run before consumer-3 is parked.
    watched.block_on([&] {
      Notify about_to_park;
      stuck = runtime::spawn("consumer-3", [&] {
        about_to_park.notify_one();
        never.wait();
      });
      about_to_park.wait();
    });
    try {
      watched.block_on([&] { stuck->join(); });
      FAIL() << "expected a hang report";
    } catch (const runtime::HangError& e) {
      EXPECT_NE(e.report().find("consumer-3: notify"), std::string::npos) << e.report();
      EXPECT_NE(e.report().find("root: join"), std::string::npos) << e.report();
    }
    EXPECT_EQ(watched.live_fibers(), 0u);
    return;
  }
  try {
    rt().block_on([] {
      Notify never("receive on queue \"q0\" (empty)");
      auto stuck = runtime::spawn("consumer-3", [&] { never.wait(); });
      stuck.join();
    });
    FAIL() << "expected a deadlock report";
  } catch (const runtime::DeadlockError& e) {
    EXPECT_NE(e.report().find("consumer-3: receive on queue \"q0\" (empty)"), std::string::npos)
        << e.report();
    EXPECT_NE(e.report().find("root: join"), std::string::npos) << e.report();
  }
}

TEST_P(RuntimeTest, runtime_destroyed_with_parked_fibers) {
  auto owned = std::make_shared<int>(5);
  std::weak_ptr<int> watch = owned;
  {
    runtime::Runtime doomed(options_for(GetParam()));
    auto notify = std::make_shared<Notify>();
    doomed.block_on([&, notify] {
      for (int i = 0; i < 10; ++i) {
        runtime::spawn([notify, owned] { notify->wait(); });  // parked forever
      }
      runtime::spawn([] {});  // runnable, maybe never started
    });
    owned.reset();
    EXPECT_FALSE(watch.expired()) << "the parked fibers still own it";
  }  // must neither hang nor leak: the parked fibers are unwound
  EXPECT_TRUE(watch.expired()) << "unwinding ran the parked fibers' destructors";
}

// The waiter's park is counted before the notify_one is sent (an event order,
// not a number of yields): else, on two workers under load, the notify_one
// could leave a permit that the waiter takes without parking.
TEST_P(RuntimeTest, counters_count) {
  rt().block_on([this] {
    Notify notify;
    auto waiter = runtime::spawn([&] { notify.wait(); });
    while (rt().stats().parks == 0) this_fiber::yield();
    notify.notify_one();
    waiter.join();
  });
  const auto stats = rt().stats();
  EXPECT_GT(stats.switches, 0u);
  EXPECT_GE(stats.parks, 1u);
  EXPECT_GE(stats.wakes, 1u);
  EXPECT_GE(stats.spawns, 2u);
}

}  // namespace
}  // namespace tmpmc::testing
