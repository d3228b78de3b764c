// deterministic_runtime_test.cpp: what only the deterministic mode does:
// the same seed, the same run; schedules that replay; virtual time; and the
// step cap's livelock, runaway and stop reports.
#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
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
  for (auto kind : {runtime::PolicyKind::random, runtime::PolicyKind::pct, runtime::PolicyKind::pos,
                    runtime::PolicyKind::round_robin}) {
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

}  // namespace
}  // namespace tmpmc::testing
