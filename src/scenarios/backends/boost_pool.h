// boost_pool.h: runs a function as a Boost.Fiber fiber, on 1 thread
// (round_robin, the calling thread's default scheduler) or on N threads
// started for the run (shared_work with suspend = false: idle threads poll,
// because Boost 1.81's sleeping schedulers can miss a wake, boostorg/fiber#327;
// boost_pool.cpp says more), or pinned: N threads with a round_robin each.
#pragma once

#include <functional>

namespace boost::fibers {
class fiber;
}

namespace tmpmc::scenarios::backends {

// run_on_boost(workers, body, pinned): runs body() as a fiber and waits for
// it; rethrows what body() threw. pinned (runtime.placement spread, 2 or
// more workers): one thread per worker, each with its own round_robin
// scheduler, whose fibers stay on it; body runs on thread 0 and starts
// fibers on the others with start_on_boost_thread.
void run_on_boost(unsigned workers, const std::function<void()>& body, bool pinned = false);

// start_on_boost_thread(thread, f), from a fiber of a pinned run: starts f as
// a fiber on the run's thread `thread` (mod the threads). On the caller's
// own thread the fiber is returned to be joined; on another, that thread
// joins it as the run ends, and the fiber returned is empty. Anywhere else:
// a fiber on the caller's thread.
boost::fibers::fiber start_on_boost_thread(unsigned thread, std::function<void()> f);

}  // namespace tmpmc::scenarios::backends
