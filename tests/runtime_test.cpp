// runtime_test.cpp: the fiber runtime on every mode (see runtime_fixture.h).
#include <sys/prctl.h>
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
#include "tmpmc/runtime/pacing.h"

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

TEST_P(RuntimeTest, spawn_join_100000_fibers) {
  // TSan creates a context of its own per fiber (~1 ms each): fewer there.
  const long n = kSanitized ? 5'000 : 100'000;
  const long total = rt().block_on([n] {
    std::vector<JoinHandle<long>> handles;
    handles.reserve(n);
    for (long i = 0; i < n; ++i) handles.push_back(runtime::spawn([i] { return i; }));
    long sum = 0;
    for (auto& handle : handles) sum += handle.join();
    return sum;
  });
  EXPECT_EQ(total, n * (n - 1) / 2);
  EXPECT_GE(rt().stats().spawns, static_cast<std::uint64_t>(n));
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

TEST_P(RuntimeTest, notify_one_stores_one_permit) {
  rt().block_on([] {
    Notify notify;
    notify.notify_one();
    notify.notify_one();  // permits do not accumulate
    notify.wait();        // consumes the permit without parking
    auto waiter = runtime::spawn([&] { notify.wait(); });
    for (int i = 0; i < 10; ++i) this_fiber::yield();
    EXPECT_FALSE(waiter.is_finished()) << "a second wait must not find a permit";
    notify.notify_one();
    waiter.join();
  });
}

TEST_P(RuntimeTest, notify_waiters_wakes_all_and_stores_nothing) {
  rt().block_on([] {
    Notify notify;
    std::atomic<int> woken{0};
    std::atomic<int> registered{0};
    std::vector<JoinHandle<void>> waiters;
    for (int i = 0; i < 5; ++i) {
      waiters.push_back(runtime::spawn([&] {
        auto notified = notify.notified();  // reached by notify_waiters from here on
        registered.fetch_add(1);
        notified.wait();
        woken.fetch_add(1);
      }));
    }
    while (registered.load() < 5) this_fiber::yield();
    notify.notify_waiters();
    for (auto& w : waiters) w.join();
    EXPECT_EQ(woken.load(), 5);
    // No permit was stored: a new waiter parks until the next notify_one.
    auto late = runtime::spawn([&] { notify.wait(); });
    for (int i = 0; i < 10; ++i) this_fiber::yield();
    EXPECT_FALSE(late.is_finished());
    notify.notify_one();
    late.join();
  });
}

// The hazard notify.h describes, closed: a Notified created before the
// condition check sees a notify_waiters() that lands between the check and
// the wait, so its wait returns without parking. A wait() that parked anyway
// is woken by the fiber below (it keeps calling notify_waiters() until the
// wait has returned), so a broken Notify fails the park count, not by a
// deadlock.
TEST_P(RuntimeTest, notified_registered_before_check_sees_notify_waiters) {
  rt().block_on([this] {
    Notify notify;
    auto notified = notify.notified();  // registered before the "condition check"
    notify.notify_waiters();            // lands between the check and the wait
    std::atomic<bool> returned{false};
    auto unsticker = runtime::spawn([&] {
      while (!returned.load()) {
        notify.notify_waiters();
        this_fiber::yield();
      }
    });
    const std::uint64_t parks_before = rt().stats().parks;
    notified.wait();
    const std::uint64_t parks = rt().stats().parks - parks_before;  // the unsticker never parks
    returned.store(true);
    unsticker.join();
    EXPECT_EQ(parks, 0u) << "wait() parked although notify_waiters() came after notified()";
    EXPECT_TRUE(notified.notified());
  });
}

// A Notified reached by notify_one() and dropped without waiting passes the
// wake on to the next waiter (tokio's rule), and does not also keep it as a
// permit. The second waiter is parked behind the first before the
// notify_one() (the park count says so: events, not time), so forwarding is
// the only right outcome, seen as exactly one wake.
TEST_P(RuntimeTest, dropped_notified_forwards_notify_one) {
  rt().block_on([this] {
    Notify notify;
    std::optional<JoinHandle<void>> second;
    std::uint64_t wakes_before = 0;
    {
      auto first = notify.notified();
      first.enable();  // first in line
      const std::uint64_t parks_before = rt().stats().parks;
      second = runtime::spawn([&] { notify.wait(); });
      while (rt().stats().parks == parks_before) this_fiber::yield();  // second is parked
      wakes_before = rt().stats().wakes;
      notify.notify_one();  // reaches `first`, which is dropped unconsumed
    }
    const std::uint64_t forwarded = rt().stats().wakes - wakes_before;
    EXPECT_EQ(forwarded, 1u) << "dropping a notified registration did not wake the next waiter";
    // A lost wake would leave `second` parked for good: wake it here, so that
    // the failure is the expectation above and not a deadlock.
    if (forwarded == 0) notify.notify_one();
    second->join();
    auto probe = notify.notified();
    probe.enable();  // consumes a stored permit, if any
    EXPECT_FALSE(probe.notified()) << "the forwarded wake was also stored as a permit";
  });
}

// A token bounced between two fibers through two Notify; a lost wake would
// park both forever, which the watchdog (real) or deadlock detection
// (deterministic) turns into an exception instead of a hang.
TEST_P(RuntimeTest, notify_ping_pong_loses_no_wake) {
  const int rounds = deterministic() ? 20'000 : 200'000;
  rt().block_on([rounds] {
    Notify ping, pong;
    auto ponger = runtime::spawn("ponger", [&] {
      for (int i = 0; i < rounds; ++i) {
        ping.wait();
        pong.notify_one();
      }
    });
    for (int i = 0; i < rounds; ++i) {
      ping.notify_one();
      pong.wait();
    }
    ponger.join();
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

// ---------------------------------------------------------------- mode-specific

TEST(RuntimeDeterministic, same_seed_same_trace_hash) {
  auto run = [](std::uint64_t seed) {
    runtime::Runtime rt(options_for(Mode::deterministic, seed));
    rt.block_on([] {
      std::vector<JoinHandle<void>> handles;
      for (int f = 0; f < 4; ++f) {
        handles.push_back(runtime::spawn([] {
          for (int i = 0; i < 20; ++i) runtime::yield_point("test");
        }));
      }
      for (auto& h : handles) h.join();
    });
    return rt.trace_hash();
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_EQ(run(12345), run(12345));
  std::set<std::uint64_t> distinct;
  for (std::uint64_t seed = 0; seed < 100; ++seed) distinct.insert(run(seed));
  EXPECT_GT(distinct.size(), 1u);
  EXPECT_GT(distinct.size(), 90u) << "seeds should give different interleavings";
}

// replay_program(): three fibers that each pass ten choice points, and a
// fourth spawned by the first midway (so the runnable set changes order).
void replay_program() {
  std::vector<JoinHandle<void>> handles;
  for (int f = 0; f < 3; ++f) {
    handles.push_back(runtime::spawn([f] {
      for (int i = 0; i < 10; ++i) {
        runtime::yield_point("test");
        if (f == 0 && i == 4) runtime::spawn([] { runtime::yield_point("late"); }).join();
      }
    }));
  }
  for (auto& h : handles) h.join();
}

// recorded(): a run of replay_program under `kind` and `seed`, its schedule kept.
runtime::Schedule recorded(runtime::PolicyKind kind, std::uint64_t seed, std::uint64_t* hash) {
  runtime::Options options = options_for(Mode::deterministic, seed);
  options.policy.kind = kind;
  options.record_schedule = true;
  runtime::Runtime rt(options);
  rt.block_on(replay_program);
  *hash = rt.trace_hash();
  return rt.schedule();
}

// replayed(): replay_program run on `schedule`; the StoppedError if it diverged.
std::optional<runtime::StoppedError> replayed(const runtime::Schedule& schedule,
                                              std::uint64_t* hash) {
  runtime::Options options = options_for(Mode::deterministic, 12345);
  options.policy.kind = runtime::PolicyKind::replay;
  options.policy.replay = schedule;
  runtime::Runtime rt(options);
  try {
    rt.block_on(replay_program);
  } catch (const runtime::StoppedError& e) {
    return e;
  }
  *hash = rt.trace_hash();
  return std::nullopt;
}

TEST(RuntimeDeterministic, replay_reproduces_a_run_of_every_policy) {
  for (auto kind : {runtime::PolicyKind::random, runtime::PolicyKind::pct,
                    runtime::PolicyKind::pos, runtime::PolicyKind::round_robin}) {
    for (std::uint64_t seed : {1, 99, 4242}) {
      std::uint64_t original = 0, again = 0;
      const runtime::Schedule schedule = recorded(kind, seed, &original);
      EXPECT_GT(schedule.choices(), 10u);
      // Through its text, as a user would pass it back.
      const runtime::Schedule parsed = runtime::Schedule::parse(schedule.text());
      EXPECT_EQ(parsed, schedule);
      const auto diverged = replayed(parsed, &again);
      ASSERT_FALSE(diverged.has_value()) << diverged->what();
      EXPECT_EQ(again, original) << schedule.text();
    }
  }
}

TEST(RuntimeDeterministic, schedule_names_fibers_by_spawn_order) {
  std::uint64_t hash = 0;
  const runtime::Schedule schedule = recorded(runtime::PolicyKind::round_robin, 1, &hash);
  // The root is fiber 1, its three children 2-4, the late one 5: no other id appears.
  for (const auto& item : schedule.items()) {
    if (item.fiber != 0) {
      EXPECT_GE(item.fiber, 1u);
      EXPECT_LE(item.fiber, 5u);
    }
  }
  std::uint64_t steps = 0;
  for (const auto& item : schedule.items()) steps += item.count;
  EXPECT_EQ(steps, schedule.steps());
}

// Every way a schedule can fail to fit the program stops the run as
// diverged, at the step where it stopped fitting; none falls back.
TEST(RuntimeDeterministic, replay_never_falls_back) {
  std::uint64_t hash = 0;
  const runtime::Schedule schedule = recorded(runtime::PolicyKind::random, 7, &hash);
  const std::string text = schedule.text();
  auto diverges = [&](const runtime::Schedule& other, const std::string& why) {
    std::uint64_t ignored = 0;
    const auto stop = replayed(other, &ignored);
    ASSERT_TRUE(stop.has_value()) << why << ": " << other.text();
    EXPECT_EQ(stop->kind(), runtime::StopKind::diverged);
    EXPECT_NE(std::string(stop->what()).find("diverged at step "), std::string::npos)
        << stop->what();
  };
  // Cut short: the run goes on past its end.
  {
    runtime::Schedule shorter;
    const auto& items = schedule.items();
    for (std::size_t i = 0; i + 3 < items.size(); ++i) {
      for (std::uint32_t k = 0; k < items[i].count; ++k)
        shorter.record(items[i].fiber, items[i].fiber == 0 ? 1 : 2);
    }
    diverges(shorter, "truncated");
  }
  // Longer than the run: steps left when it ends.
  {
    runtime::Schedule longer = schedule;
    longer.record(1, 2);
    diverges(longer, "extended");
  }
  // A fiber that does not exist, at the first choice.
  {
    runtime::Schedule wrong;
    bool replaced = false;
    for (const auto& item : schedule.items()) {
      for (std::uint32_t k = 0; k < item.count; ++k) {
        const bool choice = item.fiber != 0;
        wrong.record(choice && !replaced ? 77 : item.fiber, choice ? 2 : 1);
        replaced |= choice;
      }
    }
    diverges(wrong, "no such fiber");
  }
  // A forced step where the program has a choice (and the reverse).
  {
    runtime::Schedule forced;
    for (std::uint64_t i = 0; i < schedule.steps(); ++i) forced.record(1, 1);
    diverges(forced, "all forced");
    runtime::Schedule chosen;
    for (std::uint64_t i = 0; i < schedule.steps(); ++i) chosen.record(1, 2);
    diverges(chosen, "all chosen");
  }
  // Another program's schedule.
  {
    runtime::Options options = options_for(Mode::deterministic, 3);
    options.record_schedule = true;
    runtime::Runtime rt(options);
    rt.block_on([] {
      auto a = runtime::spawn([] { runtime::yield_point("x"); });
      a.join();
    });
    diverges(rt.schedule(), "foreign");
  }
}

TEST(Schedule, text_round_trips_and_refuses_what_it_cannot_have_written) {
  runtime::Schedule schedule;
  schedule.record(1, 1);
  schedule.record(1, 1);
  schedule.record(3, 2);
  schedule.record(12, 4);
  schedule.record(2, 1);
  const std::string text = schedule.text();
  EXPECT_EQ(text.substr(0, 15), "v1.f2.3.12.f1.h") << text;
  EXPECT_EQ(runtime::Schedule::parse(text), schedule);
  EXPECT_EQ(runtime::Schedule::parse(runtime::Schedule{}.text()), runtime::Schedule{});
  // Only letters, digits and dots: no shell quoting.
  EXPECT_EQ(text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789."), std::string::npos);
  std::vector<std::string> bad = {"",
                                  "v1",
                                  "v2.f2.h00000000",
                                  text.substr(0, text.size() - 1),  // cut short
                                  text.substr(0, 6) + text.substr(8),
                                  "x" + text};
  // Every single-character corruption of the body is caught by the checksum.
  for (std::size_t i = 3; i < text.size() - 11; ++i) {
    std::string corrupt = text;
    corrupt[i] = corrupt[i] == '3' ? '4' : '3';
    bad.push_back(corrupt);
  }
  for (const std::string& b : bad) {
    try {
      runtime::Schedule::parse(b);
      ADD_FAILURE() << "accepted " << b;
    } catch (const runtime::ScheduleSyntaxError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.rfind("not a schedule string: ", 0), 0u) << what;
    }
  }
}

TEST(RuntimeDeterministic, pct_and_round_robin_run) {
  for (auto kind : {runtime::PolicyKind::pct, runtime::PolicyKind::round_robin}) {
    runtime::Options options = options_for(Mode::deterministic, 3);
    options.policy.kind = kind;
    options.record_trace = true;
    runtime::Runtime rt(options);
    const int sum = rt.block_on([] {
      auto a = runtime::spawn([] {
        runtime::yield_point("a");
        return 1;
      });
      auto b = runtime::spawn([] {
        runtime::yield_point("b");
        return 2;
      });
      return a.join() + b.join();
    });
    EXPECT_EQ(sum, 3);
    EXPECT_FALSE(rt.trace().empty());
  }
}

// With nothing else to run, virtual time jumps to the timer: the sleep ends
// at its deadline (give or take the few steps the scheduler ticks), and a
// runtime that slept for real would fail at the CTest timeout.
TEST(RuntimeDeterministic, virtual_time_jumps) {
  runtime::Runtime rt(options_for(Mode::deterministic));
  rt.block_on([] {
    const auto start = runtime::now();
    this_fiber::sleep_for(10h);
    EXPECT_GE(runtime::now() - start, 10h);
    EXPECT_LT(runtime::now() - start, 10h + 1s) << "virtual time went past the deadline";
  });
}

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

// A wait that must suspend, called from a plain thread, throws; the Notify is
// left unlocked and usable (the failed wait used to keep its lock and hang).
TEST(RuntimeOutside, notify_wait_outside_a_fiber_throws_and_leaves_it_usable) {
  Notify notify;
  EXPECT_THROW(notify.wait(), std::logic_error);
  notify.notify_one();  // stores the permit: needs the lock
  runtime::Runtime rt(options_for(Mode::one_worker));
  rt.block_on([&] { notify.wait(); });  // consumes it at once
  auto handle = rt.spawn([] {});
  EXPECT_THROW(handle.join(), std::logic_error);  // join, too, must suspend
  rt.block_on([&] { handle.join(); });
}

// ---------------------------------------------------------------- pacing (pacing.h)

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
TEST(Pacing, sleepers_waited_for_awake_never_wake_early) {
  for (const Mode mode : {Mode::one_worker, Mode::two_workers}) {
    runtime::Options options = options_for(mode);
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
    EXPECT_EQ(early.load(), 0) << to_string(mode);
  }
}

}  // namespace
}  // namespace tmpmc::testing
