// queue_timed_test.cpp: Queue<T>'s try and timed variants (try_send,
// try_receive, send_for, receive_for, receive_until), one test per clause of
// the contract, on every runtime mode.
#include <chrono>
#include <vector>

#include "runtime_fixture.h"
#include "tmpmc/queue/queue.h"

namespace tmpmc::testing {
namespace {

using namespace std::chrono_literals;
using runtime::JoinHandle;
namespace this_fiber = runtime::this_fiber;

class QueueTimedTest : public RuntimeFixture {};
TMPMC_ALL_MODES(QueueTimedTest);

TEST_P(QueueTimedTest, try_send_full) {
  rt().block_on([] {
    Queue<int> q(1);
    EXPECT_EQ(q.try_send(1).status, QueueStatus::ok);
    auto full = q.try_send(2);
    EXPECT_EQ(full.status, QueueStatus::full);
    EXPECT_EQ(full.value, 2);
  });
}

TEST_P(QueueTimedTest, try_send_closed) {
  rt().block_on([] {
    Queue<int> q(1);
    q.close();
    auto closed = q.try_send(3);
    EXPECT_EQ(closed.status, QueueStatus::closed);
    EXPECT_EQ(closed.value, 3);
  });
}

TEST_P(QueueTimedTest, try_receive_empty) {
  rt().block_on([] {
    Queue<int> q(1);
    auto empty = q.try_receive();
    EXPECT_EQ(empty.status, QueueStatus::empty);
    EXPECT_FALSE(empty.value.has_value());
  });
}

TEST_P(QueueTimedTest, try_receive_closed) {
  rt().block_on([] {
    Queue<int> q(2);
    (void)q.try_send(9);
    q.close();
    EXPECT_EQ(q.try_receive().value, 9);  // drains first
    EXPECT_EQ(q.try_receive().status, QueueStatus::closed);
  });
}

TEST_P(QueueTimedTest, send_for_timeout) {
  rt().block_on([] {
    Queue<int> q(1);
    (void)q.try_send(1);
    auto timed_out = q.send_for(2, 5ms);
    EXPECT_EQ(timed_out.status, QueueStatus::timeout);
    EXPECT_EQ(timed_out.value, 2);  // handed back
    EXPECT_EQ(q.receive(), 1);
    EXPECT_EQ(q.try_receive().status, QueueStatus::empty);  // and never also delivered
  });
}

// In the timed tests below the other fiber sleeps 1 ms first, so that the
// timed operation usually parks before the event; the verdict is the same if
// the event comes first.
TEST_P(QueueTimedTest, send_for_ok_when_room_appears) {
  rt().block_on([] {
    Queue<int> q(1);
    (void)q.try_send(1);
    auto consumer = runtime::spawn([q]() mutable {
      this_fiber::sleep_for(1ms);
      return q.receive();
    });
    EXPECT_EQ(q.send_for(2, kUnreached).status, QueueStatus::ok);
    EXPECT_EQ(consumer.join(), 1);
    EXPECT_EQ(q.receive(), 2);
  });
}

TEST_P(QueueTimedTest, send_for_closed) {
  rt().block_on([] {
    Queue<int> q(1);
    (void)q.try_send(1);
    auto closer = runtime::spawn([q]() mutable {
      this_fiber::sleep_for(1ms);
      q.close();
    });
    auto r = q.send_for(2, kUnreached);
    EXPECT_EQ(r.status, QueueStatus::closed);
    EXPECT_EQ(r.value, 2);
    closer.join();
  });
}

TEST_P(QueueTimedTest, receive_for_timeout) {
  rt().block_on([] {
    Queue<int> q(1);
    auto r = q.receive_for(5ms);
    EXPECT_EQ(r.status, QueueStatus::timeout);
    EXPECT_FALSE(r.value.has_value());
    (void)q.try_send(4);
    EXPECT_EQ(q.receive(), 4);  // a timed-out receive consumed nothing
  });
}

TEST_P(QueueTimedTest, receive_for_ok_and_closed) {
  rt().block_on([] {
    Queue<int> q(1);
    auto producer = runtime::spawn([q]() mutable {
      this_fiber::sleep_for(1ms);
      (void)q.send(8);
      this_fiber::sleep_for(1ms);
      q.close();
    });
    EXPECT_EQ(q.receive_for(kUnreached).value, 8);
    EXPECT_EQ(q.receive_for(kUnreached).status, QueueStatus::closed);
    producer.join();
  });
}

TEST_P(QueueTimedTest, receive_until_past_deadline_does_not_park) {
  rt().block_on([] {
    Queue<int> q(1);
    EXPECT_EQ(q.receive_until(runtime::now() - 1s).status, QueueStatus::timeout);
    (void)q.try_send(1);
    EXPECT_EQ(q.receive_until(runtime::now() - 1s).value, 1);  // ready values still come out
  });
}

}  // namespace
}  // namespace tmpmc::testing
