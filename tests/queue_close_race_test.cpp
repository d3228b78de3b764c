// queue_close_race_test.cpp: Queue<T> with a close landing at a random moment
// among producers and consumers, on every runtime mode and over 10,000
// deterministic schedules. The outcome is judged by scenarios::check(), the
// checker that run and stress modes use, not by a second copy of its rules.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime_fixture.h"
#include "tmpmc/queue/queue.h"
#include "tmpmc/runtime/rng.h"
#include "tmpmc/scenarios/checker.h"

namespace tmpmc::testing {
namespace {

using runtime::JoinHandle;
namespace sc = tmpmc::scenarios;
namespace this_fiber = runtime::this_fiber;

class QueueTest : public RuntimeFixture {};
TMPMC_ALL_MODES(QueueTest);

// close_race(): `producers` fibers send `per_producer` values each, numbered
// from 0, `consumers` fibers receive until the queue is closed and drained, a
// closer closes it after `close_after` yields. Returns the broken rules, one
// per line ("" when none): every value sent ok received exactly once, none
// handed back and also received, none invented, each producer's values in
// order at each consumer, nothing left in the closed, drained queue.
std::string close_race(std::uint32_t producers, std::uint32_t consumers, std::size_t capacity,
                       std::uint64_t per_producer, int close_after) {
  Queue<std::pair<std::uint32_t, std::uint64_t>> q(capacity, "race");
  std::vector<sc::ProducerLog> sent(producers);
  std::vector<std::unique_ptr<sc::ConsumerLog>> received;
  std::vector<JoinHandle<void>> fibers;
  for (std::uint32_t p = 0; p < producers; ++p) {
    fibers.push_back(runtime::spawn("producer-" + std::to_string(p), [&, q, p]() mutable {
      sc::ProducerLog& log = sent[p];
      for (std::uint64_t seq = 0; seq < per_producer; ++seq) {
        ++log.attempted;
        auto r = q.send({p, seq});
        // The value handed back, not `seq`: a queue that returned the wrong
        // one shows up as a loss and a phantom.
        if (!r) log.refused_closed.push_back(r.error().value.second);
      }
    }));
  }
  for (std::uint32_t c = 0; c < consumers; ++c) {
    sc::ConsumerLog& log = *received.emplace_back(std::make_unique<sc::ConsumerLog>());
    fibers.push_back(runtime::spawn("consumer-" + std::to_string(c), [&log, q]() mutable {
      while (auto v = q.receive()) log.record(v->first, v->second);
    }));
  }
  fibers.push_back(runtime::spawn("closer", [q, close_after]() mutable {
    for (int i = 0; i < close_after; ++i) this_fiber::yield();
    q.close();
  }));
  for (auto& f : fibers) f.join();

  // Every consumer saw the queue closed and drained: whatever it still holds was lost.
  sc::ConsumerLog left;
  while (auto v = q.try_receive().value) left.record(v->first, v->second);
  std::vector<const sc::ConsumerLog*> logs;
  for (const auto& log : received) logs.push_back(log.get());
  const sc::CheckResult result =
      sc::check(sent, logs, left, sc::RunFacts{.consumers_saw_drained = true});
  std::string broken;
  for (const std::string& line : result.failures()) broken += line + "\n";
  return broken;
}

TEST(QueueCloseRace, two_workers_random_close) {
  runtime::Runtime rt(options_for(Mode::two_workers));
  const int iterations = kSanitized ? 300 : 2'000;
  rt.block_on([iterations] {
    runtime::Xoshiro256 rng(2026);
    for (int i = 0; i < iterations; ++i) {
      const auto p = static_cast<std::uint32_t>(1 + rng.below(4));
      const auto c = static_cast<std::uint32_t>(1 + rng.below(4));
      const std::size_t cap = 1 + rng.below(4);
      const int close_after = static_cast<int>(rng.below(60));
      const std::string broken = close_race(p, c, cap, 30, close_after);
      ASSERT_EQ(broken, "") << "iteration " << i << ": P=" << p << " C=" << c << " cap=" << cap
                            << " close_after=" << close_after;
    }
  });
}

// A hang is a deadlock report here (virtual time, one worker); a livelock
// would end at the CTest timeout.
TEST(QueueExploration, deterministic_10000_seeds_2p2c_capacity_1) {
  const int seeds = kSanitized ? 1'000 : 10'000;
  std::set<std::uint64_t> hashes;
  for (int seed = 1; seed <= seeds; ++seed) {
    runtime::Runtime rt(options_for(Mode::deterministic, seed));
    std::string broken;
    try {
      broken = rt.block_on([seed] { return close_race(2, 2, 1, 8, 2 + seed % 25); });
    } catch (const runtime::StuckError& e) {
      broken = e.report();
    }
    ASSERT_EQ(broken, "") << "seed " << seed;
    hashes.insert(rt.trace_hash());
  }
  EXPECT_GT(hashes.size(), static_cast<std::size_t>(seeds / 2))
      << "seeds should explore different interleavings";
}

TEST_P(QueueTest, mpmc_close_mid_stream) {
  // 4x4 with 2,000 values per producer; the closer closes after 500 yields,
  // usually while producers are still sending.
  const std::string broken = rt().block_on([] { return close_race(4, 4, 16, 2'000, 500); });
  EXPECT_EQ(broken, "");
}

}  // namespace
}  // namespace tmpmc::testing
