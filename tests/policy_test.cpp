// policy_test.cpp: the deterministic runtime's scheduling policies
// (src/runtime/policies/) on small programs whose schedules show what each
// policy does: PCT's change points counted in choices, POS's re-drawn
// priorities, the bounded policy's defaults and lenient prefixes.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "runtime_fixture.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc {
namespace {

using testing::Mode;
using testing::options_for;
namespace this_fiber = runtime::this_fiber;

// Two fibers "a" and "b" that yield `yields` times each, spawned after the
// root has yielded `forced` times alone (forced steps: nothing else can run).
void two_after_forced(int forced, int yields) {
  for (int i = 0; i < forced; ++i) this_fiber::yield();
  auto body = [yields] {
    for (int i = 0; i < yields; ++i) this_fiber::yield();
  };
  auto a = runtime::spawn("a", body);
  auto b = runtime::spawn("b", body);
  a.join();
  b.join();
}

// blocks(): how many maximal runs of one fiber the trace's steps of "a" and
// "b" make: 2 when one ran to its end before the other began.
int blocks(const std::vector<runtime::TraceEvent>& trace) {
  int count = 0;
  std::string last;
  for (const auto& event : trace) {
    if (event.fiber != "a" && event.fiber != "b") continue;
    if (event.fiber != last) ++count;
    last = event.fiber;
  }
  return count;
}

std::vector<runtime::TraceEvent> traced(runtime::Options options, void (*program)()) {
  options.record_trace = true;
  runtime::Runtime rt(options);
  rt.block_on(program);
  return rt.trace();
}

// PCT's d-1 change points are drawn among the run's choices: 500 forced
// steps before the two fibers meet do not push them past the run. With k =
// 10 choices and depth 2, the one change point lands while "a" and "b" are
// both runnable on most seeds, and the fiber ahead drops behind the other
// before it finishes: three blocks or more. Counted in steps (as before the
// policy skipped forced ones) it fell among the forced steps on every seed,
// and every run was two blocks.
TEST(Pct, change_points_fall_among_choices_not_forced_steps) {
  int interrupted = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    runtime::Options options = options_for(Mode::deterministic, seed);
    options.policy.kind = runtime::PolicyKind::pct;
    options.policy.pct_depth = 2;
    options.policy.pct_expected_choices = 10;
    const auto trace = traced(options, [] { two_after_forced(500, 20); });
    if (blocks(trace) >= 3) ++interrupted;
  }
  EXPECT_GE(interrupted, 15);
}

// At depth 1 there is no change point: PCT is strict priorities, and the
// fiber ahead always finishes first.
TEST(Pct, depth_one_runs_by_priority_alone) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    runtime::Options options = options_for(Mode::deterministic, seed);
    options.policy.kind = runtime::PolicyKind::pct;
    options.policy.pct_depth = 1;
    options.policy.pct_expected_choices = 10;
    EXPECT_EQ(blocks(traced(options, [] { two_after_forced(5, 20); })), 2) << "seed " << seed;
  }
}

// poll_for_flag(): a fiber that polls (yields until another sets a flag)
// and the fiber that sets it. A policy that keeps running the poller while
// it can never runs the setter: the run livelocks.
void poll_for_flag() {
  std::atomic<bool> flag{false};
  auto poller = runtime::spawn([&flag] {
    while (!flag.load(std::memory_order_relaxed)) this_fiber::yield();
  });
  auto setter = runtime::spawn([&flag] { flag.store(true, std::memory_order_relaxed); });
  setter.join();
  poller.join();
}

// Whether poll_for_flag() ends under `options` (a livelock is a StoppedError
// at the step cap, not a hang).
bool polling_ends(runtime::Options options) {
  options.max_steps = 100'000;
  runtime::Runtime rt(options);
  try {
    rt.block_on(poll_for_flag);
  } catch (const runtime::StoppedError& e) {
    EXPECT_EQ(e.kind(), runtime::StopKind::livelock) << e.what();
    return false;
  }
  return true;
}

// The poller keeps PCT's highest priority if it has it, and plain PCT never
// runs the setter (at depth 1 no change point lowers the poller): with the
// fair prefix unbounded, the seeds that rank the poller first livelock.
// After the prefix PCT picks at random, and the run ends on every seed.
TEST(Pct, does_not_starve_a_polled_fiber) {
  auto pct = [](std::uint64_t seed, std::uint64_t fair_after) {
    runtime::Options options = options_for(Mode::deterministic, seed);
    options.policy.kind = runtime::PolicyKind::pct;
    options.policy.pct_depth = 1;  // no change point lowers the poller: pure priorities
    options.policy.pct_fair_after = fair_after;
    return options;
  };
  int starved_without_fairness = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    EXPECT_TRUE(polling_ends(pct(seed, runtime::SchedulePolicy{}.pct_fair_after)))
        << "seed " << seed;
    starved_without_fairness += !polling_ends(pct(seed, UINT64_MAX));
  }
  EXPECT_GT(starved_without_fairness, 0) << "the test no longer shows a starving schedule";
}

runtime::Options pos_options(std::uint64_t seed) {
  runtime::Options options = options_for(Mode::deterministic, seed);
  options.policy.kind = runtime::PolicyKind::pos;
  return options;
}

// POS keeps a priority through a choice with probability 1/2: runs of one
// fiber are longer than under uniform picks (fewer blocks on average), yet
// the seeds give many different interleavings.
TEST(Pos, reorders_by_redrawn_priorities) {
  std::set<std::string> interleavings;
  int pos_blocks = 0, random_blocks = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const auto trace = traced(pos_options(seed), [] { two_after_forced(0, 30); });
    std::string order;
    for (const auto& event : trace) {
      if (event.fiber == "a" || event.fiber == "b") order += event.fiber;
    }
    interleavings.insert(order);
    pos_blocks += blocks(trace);
    random_blocks +=
        blocks(traced(options_for(Mode::deterministic, seed), [] { two_after_forced(0, 30); }));
  }
  EXPECT_GE(interleavings.size(), 30u);
  EXPECT_LT(pos_blocks, random_blocks);
}

// The same seed gives the same run; the schedule replays it.
TEST(Pos, is_deterministic_and_replays) {
  for (std::uint64_t seed : {1, 7, 1234}) {
    runtime::Options options = pos_options(seed);
    options.record_schedule = true;
    runtime::Runtime first(options), second(options);
    first.block_on([] { two_after_forced(3, 25); });
    second.block_on([] { two_after_forced(3, 25); });
    EXPECT_EQ(first.trace_hash(), second.trace_hash());
    runtime::Options replay = options_for(Mode::deterministic, 999);
    replay.policy.kind = runtime::PolicyKind::replay;
    replay.policy.replay = first.schedule();
    runtime::Runtime again(replay);
    again.block_on([] { two_after_forced(3, 25); });
    EXPECT_EQ(again.trace_hash(), first.trace_hash()) << "seed " << seed;
  }
}

// A fiber that polls for a flag cannot starve the fiber that sets it: no
// priority outlives a choice with probability above 1/2 (no fair tail needed).
TEST(Pos, does_not_starve_a_polled_fiber) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    EXPECT_TRUE(polling_ends(pos_options(seed))) << "seed " << seed;
  }
}

// The bounded policy: a prefix entry 0 takes the default (the fiber that
// yielded goes on: no preemption), and a lenient prefix's entry naming a
// fiber that cannot run takes it too, where a strict prefix diverges.
std::vector<runtime::ChoicePoint> bounded_run(std::vector<std::uint32_t> prefix, bool lenient,
                                              bool* diverged,
                                              std::vector<runtime::Switch> switches = {}) {
  std::vector<runtime::ChoicePoint> log;
  runtime::Options options = options_for(Mode::deterministic);
  options.policy.kind = runtime::PolicyKind::bounded;
  options.policy.prefix = std::move(prefix);
  options.policy.switches = std::move(switches);
  options.policy.lenient_prefix = lenient;
  options.policy.choice_log = &log;
  runtime::Runtime rt(options);
  *diverged = false;
  try {
    rt.block_on([] { two_after_forced(0, 4); });
  } catch (const runtime::StoppedError& e) {
    *diverged = e.kind() == runtime::StopKind::diverged;
  }
  return log;
}

TEST(Bounded, zero_and_lenient_prefix_entries_choose_the_default) {
  bool diverged = false;
  const auto plain = bounded_run({}, false, &diverged);
  ASSERT_FALSE(diverged);
  ASSERT_GE(plain.size(), 4u);
  for (const auto& point : plain) EXPECT_EQ(point.chosen, point.fallback);
  // Zeros everywhere: the same run as no prefix.
  const auto zeros = bounded_run(std::vector<std::uint32_t>(plain.size(), 0), false, &diverged);
  ASSERT_FALSE(diverged);
  ASSERT_EQ(zeros.size(), plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(zeros[i].chosen, plain[i].chosen);
  // Fiber 77 never exists: strict diverges, lenient takes the default.
  bounded_run({77}, false, &diverged);
  EXPECT_TRUE(diverged);
  const auto lenient = bounded_run({77}, true, &diverged);
  EXPECT_FALSE(diverged);
  ASSERT_FALSE(lenient.empty());
  EXPECT_EQ(lenient.front().chosen, plain.front().chosen);
  // A preemption at the first point where one fiber could go on.
  std::size_t at = 0;
  while (at < plain.size() && plain[at].continuing == 0) ++at;
  ASSERT_LT(at, plain.size());
  std::vector<std::uint32_t> prefix(at + 1, 0);
  for (const std::uint32_t other : plain[at].runnable) {
    if (other != plain[at].continuing) prefix[at] = other;
  }
  const auto preempted = bounded_run(prefix, false, &diverged);
  ASSERT_FALSE(diverged);
  EXPECT_EQ(preempted[at].chosen, prefix[at]);
  EXPECT_NE(preempted[at].chosen, preempted[at].fallback);
  // The same preemption as a Switch, keyed by where the yielding fiber is in
  // its own run: the same run.
  EXPECT_EQ(plain[at].previous, plain[at].continuing);
  const runtime::Switch preempt{plain[at].previous, plain[at].previous_steps, prefix[at]};
  const auto switched = bounded_run({}, false, &diverged, {preempt});
  ASSERT_EQ(switched.size(), preempted.size());
  for (std::size_t i = 0; i < switched.size(); ++i) {
    EXPECT_EQ(switched[i].chosen, preempted[i].chosen) << "choice " << i;
  }
  // A switch to a fiber that cannot run there takes the default.
  const auto ignored =
      bounded_run({}, false, &diverged, {{plain[at].previous, plain[at].previous_steps, 77}});
  ASSERT_FALSE(diverged);
  ASSERT_EQ(ignored.size(), plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(ignored[i].chosen, plain[i].chosen);
}

}  // namespace
}  // namespace tmpmc
