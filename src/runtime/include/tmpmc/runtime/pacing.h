// pacing.h: waking on time. A thread that sleeps until a deadline is woken by
// the kernel late: by its timer slack (50 us unless the thread asks for less)
// plus the time to schedule it again (tens of microseconds on a virtual
// machine). Work paced by the clock (an open-loop producer) would measure
// that, not what it paces. Two remedies, the same for every backend:
//   - TimerSlack: the threads that pace ask for the smallest slack;
//   - the spin horizon: they sleep until a little before the deadline, and
//     spend the rest awake, giving way to other work (pace_until()).
// The runtime applies both in its workers (Options::timer_spin: a worker whose
// next timer is due within the horizon waits for it in its idle loop); the
// peers' backends call pace_until() with their own sleep and yield.
#pragma once

#include <chrono>

#include "tmpmc/runtime/clock.h"

namespace tmpmc::runtime {

// kDefaultTimerSpin: the default spin horizon. Longer than the kernel's wake
// lateness at 1 ns of slack on a quiet 2-core virtual machine (47 us p50,
// 78 us p99, clock_nanosleep to absolute deadlines), so that a thread woken
// that late still wakes before its deadline; short enough that a thread
// whose next deadline is further away costs nothing while it sleeps.
inline constexpr std::chrono::microseconds kDefaultTimerSpin{100};

// TimerSlack: for its lifetime, the calling thread's timer slack is 1 ns
// (PR_SET_TIMERSLACK); the thread's own setting comes back at the end.
// Linux only; elsewhere it does nothing.
class TimerSlack {
 public:
  TimerSlack() noexcept;
  ~TimerSlack();
  TimerSlack(const TimerSlack&) = delete;
  TimerSlack& operator=(const TimerSlack&) = delete;

 private:
  long previous_ns_;  // < 0: not changed
};

// pace_until(deadline, horizon, sleep_until, relax): sleep_until(deadline -
// horizon), then relax() until the deadline has passed: for threads or
// fibers that are not the runtime's. relax() should give way to other work
// (std::this_thread::yield, boost::this_fiber::yield): a pacer that spun
// without it would take the CPU from what it paces. horizon 0: only the sleep.
template <class SleepUntil, class Relax>
void pace_until(TimePoint deadline, std::chrono::nanoseconds horizon, SleepUntil&& sleep_until,
                Relax&& relax) {
  if (horizon <= std::chrono::nanoseconds::zero()) {
    if (Clock::now() < deadline) sleep_until(deadline);
    return;
  }
  const TimePoint wake = deadline - horizon;
  if (Clock::now() < wake) sleep_until(wake);
  while (Clock::now() < deadline) relax();
}

}  // namespace tmpmc::runtime
