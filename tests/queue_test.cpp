// queue_test.cpp: Queue<T> and channel<T>, one test per clause of the
// contract (DESIGN.md), named operation x condition, on every runtime mode.
// The try and timed variants are in queue_timed_test.cpp, the close races in
// queue_close_race_test.cpp.
#include "tmpmc/queue/queue.h"

#include <atomic>
#include <memory>
#include <set>
#include <vector>

#include "runtime_fixture.h"
#include "tmpmc/queue/channel.h"

namespace tmpmc::testing {
namespace {

using namespace std::chrono_literals;
using runtime::JoinHandle;
namespace this_fiber = runtime::this_fiber;

class QueueTest : public RuntimeFixture {};
TMPMC_ALL_MODES(QueueTest);

// Counted: an element type that detects leaks and double destruction.
struct Counted {
  static inline std::atomic<int> live{0};
  static inline std::atomic<int> double_destroyed{0};
  static constexpr std::uint32_t kAlive = 0xA11CE, kDead = 0xDEAD;
  int value;
  std::uint32_t magic = kAlive;
  explicit Counted(int v) : value(v) { live.fetch_add(1); }
  Counted(Counted&& other) noexcept : value(other.value) { live.fetch_add(1); }
  Counted& operator=(Counted&&) = delete;
  ~Counted() {
    if (magic != kAlive) double_destroyed.fetch_add(1);
    magic = kDead;
    live.fetch_sub(1);
  }
};

TEST_P(QueueTest, capacity_zero_rejected) {
  EXPECT_THROW(Queue<int>(0), std::invalid_argument);
  EXPECT_THROW((channel<int>(0)), std::invalid_argument);
}

TEST_P(QueueTest, send_receive_fifo) {
  rt().block_on([] {
    Queue<int> q(8);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(q.send(i).has_value());
    for (int i = 0; i < 8; ++i) EXPECT_EQ(q.receive(), i);
  });
}

TEST_P(QueueTest, capacity_is_exact) {
  rt().block_on([] {
    for (std::size_t cap : {1u, 3u, 5u, 100u}) {
      Queue<int> q(cap);
      EXPECT_EQ(q.capacity(), cap);
      for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(q.try_send(1).status, QueueStatus::ok);
      EXPECT_EQ(q.try_send(1).status, QueueStatus::full);
      EXPECT_TRUE(q.is_full());
      EXPECT_EQ(q.len(), cap);
    }
  });
}

TEST_P(QueueTest, capacity_one_alternates) {
  rt().block_on([] {
    Queue<int> q(1);
    auto consumer = runtime::spawn([q]() mutable {
      int sum = 0;
      while (auto v = q.receive()) sum += *v;
      return sum;
    });
    for (int i = 1; i <= 1000; ++i) ASSERT_TRUE(q.send(i).has_value());
    q.close();
    EXPECT_EQ(consumer.join(), 1000 * 1001 / 2);
  });
}

TEST_P(QueueTest, len_is_empty_is_full) {
  rt().block_on([] {
    Queue<int> q(2);
    EXPECT_TRUE(q.is_empty());
    EXPECT_FALSE(q.is_full());
    (void)q.try_send(1);
    EXPECT_EQ(q.len(), 1u);
    (void)q.try_send(2);
    EXPECT_TRUE(q.is_full());
    (void)q.try_receive();
    (void)q.try_receive();
    EXPECT_TRUE(q.is_empty());
    // Wrapping around many laps keeps len right.
    for (int i = 0; i < 1000; ++i) {
      (void)q.try_send(i);
      EXPECT_EQ(q.len(), 1u);
      EXPECT_EQ(q.try_receive().value, i);
    }
  });
}

TEST_P(QueueTest, send_full_parks_until_receive) {
  rt().block_on([] {
    Queue<int> q(1);
    ASSERT_TRUE(q.send(1).has_value());
    std::atomic<bool> sent{false};
    auto producer = runtime::spawn([q, &sent]() mutable {
      EXPECT_TRUE(q.send(2).has_value());  // parks: full
      sent = true;
    });
    for (int i = 0; i < 20; ++i) this_fiber::yield();
    EXPECT_FALSE(sent.load());
    EXPECT_EQ(q.receive(), 1);  // makes room: wakes the producer
    producer.join();
    EXPECT_EQ(q.receive(), 2);
  });
}

TEST_P(QueueTest, receive_empty_parks_until_send) {
  rt().block_on([] {
    Queue<int> q(4);
    auto consumer = runtime::spawn([q]() mutable { return q.receive(); });
    for (int i = 0; i < 20; ++i) this_fiber::yield();
    EXPECT_FALSE(consumer.is_finished());
    ASSERT_TRUE(q.send(7).has_value());
    EXPECT_EQ(consumer.join(), 7);
  });
}

TEST_P(QueueTest, send_closed) {
  rt().block_on([] {
    Queue<std::unique_ptr<int>> q(4);
    q.close();
    auto result = q.send(std::make_unique<int>(5));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().error, QueueError::Closed);
    ASSERT_NE(result.error().value, nullptr);  // handed back, not dropped
    EXPECT_EQ(*result.error().value, 5);
  });
}

TEST_P(QueueTest, receive_closed_drains) {
  rt().block_on([] {
    Queue<int> q(4);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.send(i).has_value());
    q.close();
    EXPECT_TRUE(q.is_closed());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(q.receive(), i);  // never an error while values remain
    EXPECT_EQ(q.receive(), std::nullopt);
    EXPECT_EQ(q.receive(), std::nullopt);
  });
}

TEST_P(QueueTest, close_idempotent) {
  rt().block_on([] {
    Queue<int> q(1);
    EXPECT_TRUE(q.close());
    EXPECT_FALSE(q.close());
    EXPECT_TRUE(q.is_closed());
  });
}

TEST_P(QueueTest, close_wakes_all_receivers) {
  rt().block_on([] {
    Queue<int> q(4);
    std::vector<JoinHandle<std::optional<int>>> receivers;
    for (int i = 0; i < 5; ++i)
      receivers.push_back(runtime::spawn([q]() mutable { return q.receive(); }));
    for (int i = 0; i < 50; ++i) this_fiber::yield();
    q.close();
    for (auto& r : receivers) EXPECT_EQ(r.join(), std::nullopt);
  });
}

TEST_P(QueueTest, close_wakes_all_senders) {
  rt().block_on([] {
    Queue<int> q(1);
    ASSERT_TRUE(q.send(0).has_value());
    std::vector<JoinHandle<int>> senders;
    for (int i = 1; i <= 5; ++i) {
      senders.push_back(runtime::spawn([q, i]() mutable {
        auto r = q.send(i);
        return r.has_value() ? -1 : r.error().value;
      }));
    }
    for (int i = 0; i < 50; ++i) this_fiber::yield();
    q.close();
    std::set<int> returned;
    for (auto& s : senders) returned.insert(s.join());
    EXPECT_EQ(returned, (std::set<int>{1, 2, 3, 4, 5}));  // every value came back
    EXPECT_EQ(q.receive(), 0);
    EXPECT_EQ(q.receive(), std::nullopt);
  });
}

TEST_P(QueueTest, move_only_values) {
  rt().block_on([] {
    Queue<std::unique_ptr<int>> q(2);
    ASSERT_TRUE(q.send(std::make_unique<int>(1)).has_value());
    EXPECT_EQ(q.try_send(std::make_unique<int>(2)).status, QueueStatus::ok);
    EXPECT_EQ(*q.receive().value(), 1);
    EXPECT_EQ(**q.try_receive().value, 2);
  });
}

TEST_P(QueueTest, elements_destroyed_exactly_once) {
  Counted::live = 0;
  Counted::double_destroyed = 0;
  rt().block_on([] {
    {
      Queue<Counted> q(4);
      for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.send(Counted(i)).has_value());
      EXPECT_EQ(q.receive()->value, 0);
      (void)q.try_send(Counted(9));
      q.close();
      (void)q.send(Counted(10));  // handed back, then destroyed by the caller
      // Two values stay in the queue: destroyed with it.
    }
    EXPECT_EQ(Counted::live.load(), 0);
  });
  EXPECT_EQ(Counted::live.load(), 0);
  EXPECT_EQ(Counted::double_destroyed.load(), 0);
}

TEST_P(QueueTest, handles_share_one_queue) {
  rt().block_on([] {
    Queue<int> a(2);
    Queue<int> b = a;
    (void)a.send(1);
    EXPECT_EQ(b.receive(), 1);
    b.close();
    EXPECT_TRUE(a.is_closed());
  });
}

// ---------------------------------------------------------------- channel

TEST_P(QueueTest, last_sender_drop_closes) {
  rt().block_on([] {
    auto [tx, rx] = channel<int>(4);
    {
      Sender<int> tx2 = tx;
      EXPECT_EQ(rx.sender_count(), 2u);
      (void)tx2.send(1);
    }
    EXPECT_FALSE(rx.is_closed());
    (void)tx.send(2);
    { Sender<int> gone = std::move(tx); }  // the last sender
    EXPECT_TRUE(rx.is_closed());
    EXPECT_EQ(rx.receive(), 1);  // receivers drain, then see closed
    EXPECT_EQ(rx.receive(), 2);
    EXPECT_EQ(rx.receive(), std::nullopt);
  });
}

TEST_P(QueueTest, last_sender_drop_wakes_parked_receiver) {
  rt().block_on([] {
    auto [tx, rx] = channel<int>(1);
    auto receiver = runtime::spawn([rx = rx]() mutable { return rx.receive(); });
    for (int i = 0; i < 20; ++i) this_fiber::yield();
    { Sender<int> gone = std::move(tx); }
    EXPECT_EQ(receiver.join(), std::nullopt);
  });
}

TEST_P(QueueTest, last_receiver_drop_fails_sends) {
  rt().block_on([] {
    auto [tx, rx] = channel<int>(1);
    EXPECT_EQ(tx.receiver_count(), 1u);
    (void)tx.send(1);
    auto blocked = runtime::spawn([tx = tx]() mutable { return tx.send(2).has_value(); });
    for (int i = 0; i < 20; ++i) this_fiber::yield();
    { Receiver<int> gone = std::move(rx); }
    EXPECT_FALSE(blocked.join()) << "a sender must not park forever with no receiver left";
    EXPECT_EQ(tx.send(3).error().error, QueueError::Closed);
  });
}

TEST_P(QueueTest, channel_try_and_timed_variants) {
  rt().block_on([] {
    auto [tx, rx] = channel<int>(1);
    EXPECT_EQ(tx.try_send(1).status, QueueStatus::ok);
    EXPECT_EQ(tx.try_send(2).status, QueueStatus::full);
    EXPECT_EQ(tx.send_for(3, 1ms).status, QueueStatus::timeout);
    EXPECT_EQ(rx.try_receive().value, 1);
    EXPECT_EQ(rx.receive_for(1ms).status, QueueStatus::timeout);
    EXPECT_EQ(rx.capacity(), 1u);
  });
}

}  // namespace
}  // namespace tmpmc::testing
