// boost_pool.h: runs a function as a Boost.Fiber fiber, on 1 thread
// (round_robin, the calling thread's default scheduler) or on N threads
// started for the run (shared_work with suspend = false: idle threads poll,
// because Boost 1.81's sleeping schedulers can miss a wake, boostorg/fiber#327;
// boost_pool.cpp says more).
#pragma once

#include <functional>

namespace tmpmc::scenarios::backends {

// run_on_boost(workers, body): runs body() as a fiber and waits for it;
// rethrows what body() threw.
void run_on_boost(unsigned workers, const std::function<void()>& body);

}  // namespace tmpmc::scenarios::backends
