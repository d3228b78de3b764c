// boost_fiber_executor.h: scenarios on Boost.Fiber: round_robin on the
// calling thread for 1 worker, a shared_work pool for more, or a round_robin
// per thread with each fiber pinned (runtime.placement spread; boost_pool.h).
#pragma once

#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/mutex.hpp>
#include <boost/fiber/operations.hpp>

#include "backends/boost_pool.h"
#include "backends/deadline_executor.h"

namespace tmpmc::scenarios::backends {

struct BoostFibers {
  using Mutex = boost::fibers::mutex;  // a fiber must not block its thread
  using CondVar = boost::fibers::condition_variable;
  using Runner = boost::fibers::fiber;
  template <class F>
  static void run_root(unsigned workers, bool pinned, F&& root) {
    run_on_boost(workers, root, pinned);
  }
  // One thread per worker, each fiber kept on its own (boost_pool.h).
  template <class F>
  static boost::fibers::fiber start_on(unsigned worker, F&& f) {
    return start_on_boost_thread(worker, std::forward<F>(f));
  }
  static void sleep_until(runtime::TimePoint t) { boost::this_fiber::sleep_until(t); }
  // Waiting awake, a pacing fiber lets the other fibers of its thread run.
  static void relax() { boost::this_fiber::yield(); }
  // The pool's threads have their timer slack set for good (boost_pool.cpp).
  struct TaskScope {};
};

using BoostFiberExecutor = DeadlineExecutor<BoostFibers>;

}  // namespace tmpmc::scenarios::backends
