// confinement_test.cpp: a ring confined to its first thread (confinement.h)
// and its upgrade when a second thread comes: who owns it when, that values
// written confined reach the other thread in order, and that the upgrade is
// safe while the owner is in the middle of its operations (plain threads;
// the TSan build checks the hand-over's orderings). The upgrade racing a
// confined access step by step is explored by stress (the mutant
// upgrade_ignoring_owner).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <optional>
#include <thread>
#include <vector>

#include "runtime_fixture.h"
#include "tmpmc/queue/detail/ring.h"
#include "tmpmc/runtime/asymmetric_fence.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::testing {
namespace {

using detail::PopResult;
using detail::PushResult;
using detail::Ring;

// pop(): one value, or nothing.
std::optional<int> pop(Ring<int>& ring) {
  alignas(int) unsigned char storage[sizeof(int)];
  if (ring.try_pop(storage) != PopResult::ok) return std::nullopt;
  return *std::launder(reinterpret_cast<int*>(storage));
}

class Confinement : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!runtime::heavy_fence_available())
      GTEST_SKIP() << "no membarrier here: every ring starts shared";
  }
};

TEST_F(Confinement, the_first_thread_owns_the_ring_until_another_touches_it) {
  Ring<int> ring(4);
  EXPECT_FALSE(ring.confined());  // nobody has touched it
  int v = 1;
  ASSERT_EQ(ring.try_push(v), PushResult::ok);
  EXPECT_TRUE(ring.confined());
  EXPECT_TRUE(ring.has_item_or_closed());  // an access by the owner
  EXPECT_TRUE(ring.confined());
  std::thread([&] {
    // len and closed only read: another thread's leave the ring confined.
    EXPECT_EQ(ring.len(), 1u);
    EXPECT_FALSE(ring.closed());
  }).join();
  EXPECT_TRUE(ring.confined());
  v = 2;
  std::thread([&] { EXPECT_EQ(ring.try_push(v), PushResult::ok); }).join();
  EXPECT_FALSE(ring.confined());  // shared for good, whoever comes next
  EXPECT_EQ(pop(ring), 1);
  EXPECT_FALSE(ring.confined());
  EXPECT_EQ(pop(ring), 2);
}

TEST_F(Confinement, values_written_confined_reach_another_thread_in_order_across_laps) {
  Ring<int> ring(5);  // not a power of two; the owner wraps the ring five times
  int next_in = 0, next_out = 0;
  // 10 rounds that leave it empty, then 4 that leave one more each time.
  for (int round = 0; round < 14; ++round) {
    for (int k = 0; k < 2; ++k) {
      int v = next_in++;
      ASSERT_EQ(ring.try_push(v), PushResult::ok);
    }
    for (int k = round < 10 ? 2 : 1; k > 0; --k) ASSERT_EQ(pop(ring), next_out++);
  }
  int last = next_in;
  EXPECT_EQ(ring.try_push(last), PushResult::ok);  // the fifth: full now
  EXPECT_EQ(ring.try_push(last), PushResult::full);
  ASSERT_TRUE(ring.confined());
  std::vector<int> got;
  std::thread([&] {
    while (auto v = pop(ring)) got.push_back(*v);
  }).join();
  EXPECT_EQ(got, (std::vector<int>{24, 25, 26, 27, 28}));
  EXPECT_FALSE(ring.confined());
}

TEST_F(Confinement, confined_batches_take_what_fits_across_the_lap) {
  Ring<int> ring(5);
  std::array<int, 4> in{0, 1, 2, 3};
  std::size_t count = 0;
  ASSERT_EQ(ring.try_push_many(in.data(), 3, count), PushResult::ok);
  EXPECT_EQ(count, 3u);
  std::array<int, 8> out{};
  ASSERT_EQ(ring.try_pop_many(out.data(), 2, count), PopResult::ok);
  EXPECT_EQ(count, 2u);
  in = {3, 4, 5, 6};
  ASSERT_EQ(ring.try_push_many(in.data(), 4, count), PushResult::ok);  // 4 free: wraps
  EXPECT_EQ(count, 4u);
  ASSERT_EQ(ring.try_push_many(in.data(), 1, count), PushResult::full);
  EXPECT_EQ(count, 0u);
  ASSERT_EQ(ring.try_pop_many(out.data(), 8, count), PopResult::ok);
  ASSERT_EQ(count, 5u);
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(out[4], 6);
  EXPECT_TRUE(ring.confined());
  EXPECT_EQ(ring.try_pop_many(out.data(), 8, count), PopResult::empty);
}

TEST_F(Confinement, close_from_another_thread_upgrades_and_the_owner_sees_it) {
  Ring<int> ring(4);
  for (int i = 0; i < 3; ++i) {
    int v = i;
    ASSERT_EQ(ring.try_push(v), PushResult::ok);
  }
  std::thread([&] { EXPECT_TRUE(ring.close()); }).join();
  int v = 3;
  EXPECT_EQ(ring.try_push(v), PushResult::closed);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pop(ring), i);
  alignas(int) unsigned char storage[sizeof(int)];
  EXPECT_EQ(ring.try_pop(storage), PopResult::closed);
}

// close and a park's re-check are atomic loads and a fetch_or: the owner's
// leave the ring confined (its confined push and pop then see the mark); a
// re-check from another thread (a waiter there) upgrades it.
TEST_F(Confinement, the_owners_close_keeps_it_confined_another_threads_recheck_upgrades) {
  Ring<int> ring(2);
  int v = 1;
  ASSERT_EQ(ring.try_push(v), PushResult::ok);
  EXPECT_TRUE(ring.has_room_or_closed());
  EXPECT_TRUE(ring.close());
  EXPECT_TRUE(ring.confined());
  EXPECT_EQ(ring.try_push(v), PushResult::closed);
  EXPECT_EQ(pop(ring), 1);
  alignas(int) unsigned char storage[sizeof(int)];
  EXPECT_EQ(ring.try_pop(storage), PopResult::closed);
  EXPECT_TRUE(ring.confined());

  Ring<int> other(2);
  ASSERT_EQ(other.try_push(v), PushResult::ok);
  std::thread([&] { EXPECT_TRUE(other.has_item_or_closed()); }).join();
  EXPECT_FALSE(other.confined());
  EXPECT_EQ(pop(other), 1);
}

// The upgrade lands wherever the owner is in its stream of operations: the
// other threads start once the owner has claimed the ring, and every value
// arrives once, in each producer's order.
constexpr int kValues = kSanitized ? 20'000 : 200'000;

void push_all(Ring<int>& ring, int producer, std::atomic<bool>* started) {
  for (int i = 0; i < kValues; ++i) {
    int v = producer * kValues + i;
    while (ring.try_push(v) != PushResult::ok) std::this_thread::yield();
    if (started != nullptr && i == 0) started->store(true, std::memory_order_release);
  }
}

void wait_for(const std::atomic<bool>& started) {
  while (!started.load(std::memory_order_acquire)) std::this_thread::yield();
}

// Pops the kValues of each of `producers` push_all()s, checking that each
// producer's values arrive once and in its order. It drains all of them
// even after a failure, so that the producers finish and can be joined.
void expect_each_producers_values_in_order(Ring<int>& ring, int producers, int round) {
  std::vector<int> next(static_cast<std::size_t>(producers));
  for (int p = 0; p < producers; ++p) next[static_cast<std::size_t>(p)] = p * kValues;
  bool in_order = true;
  for (int received = 0; received < producers * kValues;) {
    if (auto v = pop(ring)) {
      const auto producer = static_cast<std::size_t>(*v / kValues);
      if (in_order && (producer >= next.size() || *v != next[producer])) {
        ADD_FAILURE() << "round " << round << ": got " << *v << ", expected "
                      << (producer < next.size() ? next[producer] : -1);
        in_order = false;
      }
      if (producer < next.size()) next[producer] = *v + 1;
      ++received;
    } else {
      std::this_thread::yield();
    }
  }
}

TEST_F(Confinement, a_consumer_upgrading_mid_stream_gets_every_value_in_order) {
  for (int round = 0; round < 3; ++round) {
    Ring<int> ring(64);
    std::atomic<bool> started{false};
    std::thread owner(push_all, std::ref(ring), 0, &started);
    wait_for(started);
    expect_each_producers_values_in_order(ring, 1, round);
    owner.join();
    EXPECT_FALSE(ring.confined());
    EXPECT_EQ(pop(ring), std::nullopt);
  }
}

TEST_F(Confinement, a_second_producer_upgrading_mid_stream_loses_nothing) {
  for (int round = 0; round < 3; ++round) {
    Ring<int> ring(64);
    std::atomic<bool> started{false};
    std::thread owner(push_all, std::ref(ring), 0, &started);
    wait_for(started);
    std::thread second(push_all, std::ref(ring), 1, nullptr);
    expect_each_producers_values_in_order(ring, 2, round);
    owner.join();
    second.join();
    EXPECT_EQ(pop(ring), std::nullopt);
  }
}

// On a deterministic runtime each fiber is an actor: the first fiber's
// operations run confined (the confined push and pop are explored), the
// second fiber's first operation upgrades the ring, and the values cross
// over in order, whatever the seed interleaves.
TEST(ConfinementExplored, the_first_fiber_owns_the_ring_and_the_second_upgrades_it) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    runtime::Runtime rt(options_for(Mode::deterministic, seed));
    bool confined_before_the_second = false;
    bool confined_after = true;
    std::vector<int> got;
    rt.block_on([&] {
      Ring<int> ring(3);
      for (int i = 0; i < 3; ++i) {
        int v = i;
        ASSERT_EQ(ring.try_push(v), PushResult::ok);
      }
      ASSERT_EQ(pop(ring), 0);  // a confined pop
      confined_before_the_second = ring.confined();
      auto other = runtime::spawn([&] {
        while (auto v = pop(ring)) got.push_back(*v);
      });
      int v = 3;
      while (ring.try_push(v) != PushResult::ok) runtime::this_fiber::yield();
      other.join();
      while (auto rest = pop(ring)) got.push_back(*rest);
      confined_after = ring.confined();
    });
    EXPECT_TRUE(confined_before_the_second) << "seed " << seed;
    EXPECT_FALSE(confined_after) << "seed " << seed;
    EXPECT_EQ(got, (std::vector<int>{1, 2, 3})) << "seed " << seed;
    const runtime::ChoicePointSet reached = rt.reached_choice_points();
    for (const auto* site : {&detail::sites::kConfineClaim, &detail::sites::kConfinedPushWrite,
                             &detail::sites::kConfinedPopRead, &detail::sites::kConfineUpgrade,
                             &detail::sites::kConfineShared}) {
      EXPECT_TRUE(reached.test(site->id)) << site->label << ", seed " << seed;
    }
  }
}

}  // namespace
}  // namespace tmpmc::testing
