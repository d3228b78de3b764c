// queue_batch_test.cpp: the batch operations of Queue<T> and channel<T>
// (send_many, receive_many and their try and timed variants), one test per
// clause of their contract, on every runtime mode. Their interleavings are
// explored by stress (configs/stress/batch.json).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <vector>

#include "runtime_fixture.h"
#include "tmpmc/queue/channel.h"
#include "tmpmc/queue/queue.h"

namespace tmpmc::testing {
namespace {

using namespace std::chrono_literals;
namespace this_fiber = runtime::this_fiber;

class QueueBatchTest : public RuntimeFixture {};
TMPMC_ALL_MODES(QueueBatchTest);

std::vector<int> iota(int from, int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), from);
  return v;
}

TEST_P(QueueBatchTest, send_many_then_receive_many_is_fifo) {
  rt().block_on([] {
    Queue<int> q(8);
    std::vector<int> in = iota(0, 5);
    EXPECT_EQ(q.send_many(in), 5u);
    EXPECT_EQ(q.len(), 5u);
    std::array<int, 3> out{};
    EXPECT_EQ(q.receive_many(out), 3u);
    EXPECT_EQ(out, (std::array<int, 3>{0, 1, 2}));
    EXPECT_EQ(q.receive_many(out), 2u);  // fewer than asked: what is there
    EXPECT_EQ(out[0], 3);
    EXPECT_EQ(out[1], 4);
  });
}

TEST_P(QueueBatchTest, batches_and_single_operations_interleave_in_order) {
  rt().block_on([] {
    Queue<int> q(5);  // not a power of two: batches wrap the ring's laps
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 50; ++round) {
      std::vector<int> in = iota(next_in, 1 + round % 4);
      const std::size_t sent = q.try_send_many(in).count;
      next_in += static_cast<int>(sent);
      if (round % 3 == 0 && q.try_send(next_in).status == QueueStatus::ok) ++next_in;
      std::array<int, 3> out{};
      const BatchOutcome got = q.try_receive_many(std::span(out).first(1 + round % 3));
      for (std::size_t k = 0; k < got.count; ++k) EXPECT_EQ(out[k], next_out++);
    }
    while (auto v = q.try_receive().value) EXPECT_EQ(*v, next_out++);
    EXPECT_EQ(next_out, next_in);
  });
}

TEST_P(QueueBatchTest, a_batch_of_the_whole_capacity_claims_across_the_lap) {
  rt().block_on([] {
    Queue<int> q(4);
    int next_in = 0, next_out = 0;
    for (int start = 0; start < 4; ++start) {  // the run starts at every index
      for (int k = 0; k < start; ++k) ASSERT_EQ(q.try_send(next_in++).status, QueueStatus::ok);
      for (int k = 0; k < start; ++k) EXPECT_EQ(*q.try_receive().value, next_out++);
      std::vector<int> in = iota(next_in, 6);
      const BatchOutcome sent = q.try_send_many(in);
      EXPECT_EQ(sent.status, QueueStatus::full);
      EXPECT_EQ(sent.count, 4u);  // exactly the capacity, never a slot more
      next_in += 4;
      std::array<int, 8> out{};
      const BatchOutcome got = q.try_receive_many(out);
      ASSERT_EQ(got.count, 4u);
      for (std::size_t k = 0; k < got.count; ++k) EXPECT_EQ(out[k], next_out++);
      EXPECT_EQ(q.try_receive_many(out).status, QueueStatus::empty);
    }
  });
}

TEST_P(QueueBatchTest, try_send_many_moves_in_what_fits) {
  rt().block_on([] {
    Queue<int> q(4);
    ASSERT_TRUE(q.send(-1).has_value());
    std::vector<int> in = iota(0, 6);
    const BatchOutcome r = q.try_send_many(in);
    EXPECT_EQ(r.status, QueueStatus::full);
    EXPECT_EQ(r.count, 3u);
    EXPECT_EQ(in[3], 3);  // the rest untouched
    EXPECT_EQ(q.try_send_many(std::span(in).subspan(3)).status, QueueStatus::full);
    EXPECT_EQ(q.len(), 4u);
  });
}

TEST_P(QueueBatchTest, try_receive_many_empty_and_closed) {
  rt().block_on([] {
    Queue<int> q(4);
    std::array<int, 4> out{};
    EXPECT_EQ(q.try_receive_many(out).status, QueueStatus::empty);
    ASSERT_TRUE(q.send(1).has_value());
    q.close();
    const BatchOutcome first = q.try_receive_many(out);
    EXPECT_EQ(first.status, QueueStatus::ok);  // drained first
    EXPECT_EQ(first.count, 1u);
    const BatchOutcome second = q.try_receive_many(out);
    EXPECT_EQ(second.status, QueueStatus::closed);
    EXPECT_EQ(second.count, 0u);
  });
}

TEST_P(QueueBatchTest, send_many_parks_while_full_until_all_are_in) {
  rt().block_on([] {
    Queue<int> q(2);
    std::atomic<bool> done{false};
    auto producer = runtime::spawn([q, &done]() mutable {
      std::vector<int> in = iota(0, 7);
      EXPECT_EQ(q.send_many(in), 7u);
      done = true;
    });
    yield_until([&] { return q.len() == 2; });  // the producer's first two are in
    for (int i = 0; i < 20; ++i) this_fiber::yield();
    EXPECT_FALSE(done.load());  // and it cannot finish: full
    EXPECT_EQ(q.len(), 2u);
    for (int expected = 0; expected < 7; ++expected) EXPECT_EQ(q.receive(), expected);
    producer.join();
    EXPECT_TRUE(done.load());
  });
}

TEST_P(QueueBatchTest, receive_many_parks_while_empty) {
  rt().block_on([] {
    Queue<int> q(8);
    auto consumer = runtime::spawn([q]() mutable {
      std::array<int, 8> out{};
      const std::size_t got = q.receive_many(out);
      return std::vector<int>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(got));
    });
    for (int i = 0; i < 20; ++i) this_fiber::yield();
    EXPECT_FALSE(consumer.is_finished());
    ASSERT_TRUE(q.send(7).has_value());
    const std::vector<int> got = consumer.join();
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got[0], 7);
  });
}

// A batch receive that took one value per wake would strand the senders of
// the rest: a pop of n wakes up to n parked senders.
TEST_P(QueueBatchTest, a_batch_receive_wakes_one_parked_sender_per_value) {
  rt().block_on([] {
    Queue<int> q(3);
    std::vector<int> first = iota(0, 3);
    ASSERT_EQ(q.send_many(first), 3u);
    std::vector<runtime::JoinHandle<void>> senders;
    for (int i = 0; i < 3; ++i) {
      senders.push_back(
          runtime::spawn([q, i]() mutable { EXPECT_TRUE(q.send(10 + i).has_value()); }));
    }
    for (int i = 0; i < 20; ++i) this_fiber::yield();  // all three park: full
    std::array<int, 3> out{};
    EXPECT_EQ(q.receive_many(out), 3u);
    for (auto& s : senders) s.join();  // each woken, none stranded
    EXPECT_EQ(q.len(), 3u);
  });
}

TEST_P(QueueBatchTest, a_batch_send_wakes_one_parked_receiver_per_value) {
  rt().block_on([] {
    Queue<int> q(4);
    std::vector<runtime::JoinHandle<std::optional<int>>> receivers;
    for (int i = 0; i < 3; ++i) {
      receivers.push_back(runtime::spawn([q]() mutable { return q.receive(); }));
    }
    for (int i = 0; i < 20; ++i) this_fiber::yield();  // all three park: empty
    std::vector<int> in = iota(0, 3);
    EXPECT_EQ(q.send_many(in), 3u);
    std::vector<int> got;
    for (auto& r : receivers) got.push_back(r.join().value_or(-1));
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, iota(0, 3));
  });
}

TEST_P(QueueBatchTest, values_left_are_destroyed_exactly_once) {
  rt().block_on([] {
    auto tracker = std::make_shared<int>(0);
    {
      Queue<std::shared_ptr<int>> q(4);
      std::vector<std::shared_ptr<int>> in(3, tracker);
      EXPECT_EQ(q.send_many(in), 3u);
      EXPECT_EQ(tracker.use_count(), 4);  // three in the queue; `in` moved from
      std::array<std::shared_ptr<int>, 1> out;
      EXPECT_EQ(q.receive_many(out), 1u);
      EXPECT_EQ(tracker.use_count(), 4);  // one in `out` now
    }
    EXPECT_EQ(tracker.use_count(), 1);  // the two left in the queue went with it
  });
}

TEST_P(QueueBatchTest, empty_spans_return_at_once) {
  rt().block_on([] {
    Queue<int> q(1);
    EXPECT_EQ(q.send_many(std::span<int>{}), 0u);
    EXPECT_EQ(q.receive_many(std::span<int>{}), 0u);  // does not park on the empty queue
    EXPECT_EQ(q.try_receive_many(std::span<int>{}).count, 0u);
  });
}

// A batch of one takes the single-value path (value_api.h): the same
// contract, clause by clause: parks while full (empty), FIFO with the rest,
// a parked receiver woken, the value handed back on close, 0 once drained.
TEST_P(QueueBatchTest, a_batch_of_one_keeps_the_batch_contract) {
  rt().block_on([] {
    Queue<std::unique_ptr<int>> q(1);
    std::array<std::unique_ptr<int>, 1> one{std::make_unique<int>(0)};
    EXPECT_EQ(q.send_many(one), 1u);
    auto producer = runtime::spawn([q]() mutable {
      std::array<std::unique_ptr<int>, 1> next{std::make_unique<int>(1)};
      return q.send_many(next);  // parks: full
    });
    std::array<std::unique_ptr<int>, 1> out;
    ASSERT_EQ(q.receive_many(out), 1u);  // makes room: wakes the producer
    EXPECT_EQ(*out[0], 0);
    EXPECT_EQ(producer.join(), 1u);
    ASSERT_EQ(q.receive_many(out), 1u);
    EXPECT_EQ(*out[0], 1);
    auto consumer = runtime::spawn([q]() mutable {
      std::array<std::unique_ptr<int>, 1> got;
      return q.receive_many(got) == 1 ? *got[0] : -1;  // parks: empty
    });
    for (int i = 0; i < 20; ++i) this_fiber::yield();  // parked by now, or it finds the value
    std::array<std::unique_ptr<int>, 1> two{std::make_unique<int>(2)};
    EXPECT_EQ(q.send_many(two), 1u);
    EXPECT_EQ(consumer.join(), 2);
    q.close();
    std::array<std::unique_ptr<int>, 1> late{std::make_unique<int>(3)};
    EXPECT_EQ(q.send_many(late), 0u);
    ASSERT_NE(late[0], nullptr);  // handed back, not moved from
    EXPECT_EQ(*late[0], 3);
    EXPECT_EQ(q.receive_many(out), 0u);  // closed and drained
  });
}

TEST_P(QueueBatchTest, channel_batches) {
  rt().block_on([] {
    auto [tx, rx] = channel<int>(4);
    std::vector<int> in = iota(0, 4);
    EXPECT_EQ(tx.send_many(in), 4u);
    EXPECT_EQ(tx.try_send_many(in).status, QueueStatus::full);
    EXPECT_EQ(tx.send_many_for(in, 1ms).status, QueueStatus::timeout);
    std::array<int, 8> out{};
    EXPECT_EQ(rx.receive_many(out), 4u);
    EXPECT_EQ(rx.try_receive_many(out).status, QueueStatus::empty);
    EXPECT_EQ(rx.receive_many_for(out, 1ms).status, QueueStatus::timeout);
    { auto dropped = std::move(tx); }  // the last Sender closes
    EXPECT_EQ(rx.receive_many(out), 0u);
  });
}

}  // namespace
}  // namespace tmpmc::testing
