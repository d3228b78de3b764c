// boost_pool.h: runs a benchmark body as a Boost.Fiber fiber, on 1 thread
// (round_robin) or on 2 threads (work_stealing with suspend = true, its
// fastest two-thread setting).
//
// Boost.Fiber's work_stealing registers its schedulers in static state that is
// initialised once per process, so the two-thread pool is created once and
// kept; jobs reach it through a channel.
#pragma once

#include <boost/fiber/all.hpp>
#include <functional>
#include <future>
#include <thread>

namespace tmpmc::bench {

// run_on_boost(workers, body): runs body() as a fiber and waits for it.
void run_on_boost(int workers, const std::function<void()>& body);

}  // namespace tmpmc::bench
