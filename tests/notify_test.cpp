// notify_test.cpp: Notify (tmpmc/runtime/notify.h), its permits, its
// registrations and its lost-wake hazards, on every mode (runtime_fixture.h).
#include "tmpmc/runtime/notify.h"

#include <atomic>
#include <optional>
#include <stdexcept>
#include <vector>

#include "runtime_fixture.h"

namespace tmpmc::testing {
namespace {

using runtime::JoinHandle;
using runtime::Notify;
namespace this_fiber = runtime::this_fiber;

class NotifyTest : public RuntimeFixture {};
TMPMC_ALL_MODES(NotifyTest);

TEST_P(NotifyTest, notify_one_stores_one_permit) {
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

TEST_P(NotifyTest, notify_waiters_wakes_all_and_stores_nothing) {
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
TEST_P(NotifyTest, notified_registered_before_check_sees_notify_waiters) {
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
TEST_P(NotifyTest, dropped_notified_forwards_notify_one) {
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
TEST_P(NotifyTest, notify_ping_pong_loses_no_wake) {
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

// A wait that must suspend, called from a plain thread, throws; the Notify is
// left unlocked and usable (the failed wait used to keep its lock and hang).
TEST(NotifyOutside, notify_wait_outside_a_fiber_throws_and_leaves_it_usable) {
  Notify notify;
  EXPECT_THROW(notify.wait(), std::logic_error);
  notify.notify_one();  // stores the permit: needs the lock
  runtime::Runtime rt(options_for(Mode::one_worker));
  rt.block_on([&] { notify.wait(); });  // consumes it at once
  auto handle = rt.spawn([] {});
  EXPECT_THROW(handle.join(), std::logic_error);  // join, too, must suspend
  rt.block_on([&] { handle.join(); });
}

}  // namespace
}  // namespace tmpmc::testing
