// boost_pool.h: runs a function as a Boost.Fiber fiber, on 1 thread
// (round_robin, the calling thread's default scheduler) or on N threads
// (work_stealing with suspend = true, its fastest multi-thread setting here).
//
// Boost.Fiber's work_stealing registers its schedulers in static state that is
// initialised once per process, for one thread count: the N-thread pool is
// created on first use and kept, and asking for another N later is an error.
#pragma once

#include <functional>

namespace tmpmc::scenarios::backends {

// run_on_boost(workers, body): runs body() as a fiber and waits for it;
// rethrows what body() threw. Throws std::runtime_error if a pool of another
// size already exists.
void run_on_boost(unsigned workers, const std::function<void()>& body);

}  // namespace tmpmc::scenarios::backends
