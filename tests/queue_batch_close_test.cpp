// queue_batch_close_test.cpp: the batch operations on close and their timed
// variants (send_many_for, receive_many_for), one test per clause of the
// contract, on every runtime mode.
#include <chrono>
#include <span>
#include <vector>

#include "runtime_fixture.h"
#include "tmpmc/queue/queue.h"

namespace tmpmc::testing {
namespace {

using namespace std::chrono_literals;
namespace this_fiber = runtime::this_fiber;

class QueueBatchCloseTest : public RuntimeFixture {};
TMPMC_ALL_MODES(QueueBatchCloseTest);

TEST_P(QueueBatchCloseTest, receive_many_returns_zero_once_closed_and_drained) {
  rt().block_on([] {
    Queue<int> q(4);
    auto consumer = runtime::spawn([q]() mutable {
      std::array<int, 4> out{};
      return q.receive_many(out);  // parks: empty
    });
    for (int i = 0; i < 20; ++i) this_fiber::yield();
    q.close();  // wakes it
    EXPECT_EQ(consumer.join(), 0u);
  });
}

TEST_P(QueueBatchCloseTest, send_many_on_close_hands_the_rest_back) {
  rt().block_on([] {
    Queue<std::unique_ptr<int>> q(2);
    auto producer = runtime::spawn([q]() mutable {
      std::vector<std::unique_ptr<int>> in;
      for (int i = 0; i < 5; ++i) in.push_back(std::make_unique<int>(i));
      const std::size_t sent = q.send_many(in);  // parks after 2: full
      EXPECT_EQ(sent, 2u);
      for (std::size_t k = sent; k < in.size(); ++k) {
        EXPECT_NE(in[k], nullptr);  // handed back, not moved from
        if (in[k] != nullptr) {
          EXPECT_EQ(*in[k], static_cast<int>(k));
        }
      }
      return sent;
    });
    // Close only once the first two are in: before that, the producer may not
    // have run at all (two workers under TSan) and would send 2 after close.
    yield_until([&] { return q.len() == 2; });
    q.close();
    EXPECT_EQ(producer.join(), 2u);
    // What went in before close is drained, in order.
    std::array<std::unique_ptr<int>, 4> out;
    ASSERT_EQ(q.receive_many(out), 2u);
    EXPECT_EQ(*out[0], 0);
    EXPECT_EQ(*out[1], 1);
    EXPECT_EQ(q.receive_many(out), 0u);
  });
}

TEST_P(QueueBatchCloseTest, send_many_after_close_sends_nothing) {
  rt().block_on([] {
    Queue<int> q(4);
    q.close();
    std::vector<int> in = {0, 1, 2};
    EXPECT_EQ(q.send_many(in), 0u);
    const BatchOutcome r = q.try_send_many(in);
    EXPECT_EQ(r.status, QueueStatus::closed);
    EXPECT_EQ(r.count, 0u);
  });
}

TEST_P(QueueBatchCloseTest, send_many_for_times_out_with_the_rest_handed_back) {
  rt().block_on([] {
    Queue<int> q(2);
    std::vector<int> in = {0, 1, 2, 3, 4};
    const BatchOutcome r = q.send_many_for(in, 5ms);
    EXPECT_EQ(r.status, QueueStatus::timeout);
    EXPECT_EQ(r.count, 2u);
    std::array<int, 4> out{};
    EXPECT_EQ(q.try_receive_many(out).count, 2u);  // and nothing more went in
    EXPECT_EQ(q.try_receive_many(out).status, QueueStatus::empty);
  });
}

TEST_P(QueueBatchCloseTest, receive_many_for_times_out_consuming_nothing) {
  rt().block_on([] {
    Queue<int> q(2);
    std::array<int, 2> out{};
    const BatchOutcome r = q.receive_many_for(out, 5ms);
    EXPECT_EQ(r.status, QueueStatus::timeout);
    EXPECT_EQ(r.count, 0u);
  });
}

TEST_P(QueueBatchCloseTest, receive_many_for_ok_when_a_value_arrives) {
  rt().block_on([] {
    Queue<int> q(2);
    auto producer = runtime::spawn([q]() mutable {
      runtime::this_fiber::sleep_for(1ms);
      EXPECT_TRUE(q.send(9).has_value());
    });
    std::array<int, 2> out{};
    const BatchOutcome r = q.receive_many_for(out, kUnreached);
    EXPECT_EQ(r.status, QueueStatus::ok);
    EXPECT_GE(r.count, 1u);
    EXPECT_EQ(out[0], 9);
    producer.join();
  });
}

}  // namespace
}  // namespace tmpmc::testing
