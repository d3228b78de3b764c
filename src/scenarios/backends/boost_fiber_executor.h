// boost_fiber_executor.h: scenarios on Boost.Fiber: round_robin on the
// calling thread for 1 worker, a work_stealing pool for more (boost_pool.h).
// No watchdog: join() gives up at the run's timeout, and the loops then close
// the queue and report a hang.
#pragma once

#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/mutex.hpp>
#include <boost/fiber/operations.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "backends/boost_pool.h"
#include "backends/completion.h"
#include "backends/runtime_executor.h"

namespace tmpmc::scenarios::backends {

class BoostFiberExecutor {
  using Task = Completion<boost::fibers::mutex, boost::fibers::condition_variable>;

 public:
  struct Handle {
    std::shared_ptr<Task> task;
    boost::fibers::fiber fiber;
  };
  BoostFiberExecutor(const ScenarioConfig& c, const DriverOptions&, const TraceState&)
      : workers_(c.runtime.workers), timeout_(std::chrono::milliseconds(c.run.timeout_ms)) {}
  template <class F>
  void block_on(F&& root) {
    deadline_ = now() + timeout_;
    run_on_boost(workers_, root);
  }
  template <class F>
  Handle spawn(std::string name, F&& f) {
    auto task = std::make_shared<Task>();
    task->name = std::move(name);
    boost::fibers::fiber fiber([task, f = std::forward<F>(f)]() mutable {
      std::exception_ptr error;
      try {
        f();
      } catch (...) {
        error = std::current_exception();
      }
      task->finish(error);
    });
    return Handle{std::move(task), std::move(fiber)};
  }
  bool join(Handle& h) {
    if (!h.task->wait_until(deadline_)) return false;
    if (h.fiber.joinable()) h.fiber.join();
    return true;
  }
  static std::string name(const Handle& h) { return h.task->name; }
  static runtime::TimePoint now() { return std::chrono::steady_clock::now(); }
  static void sleep_until(runtime::TimePoint t) { boost::this_fiber::sleep_until(t); }
  void finish(RunResult&) const {}
  void extend_deadline() { deadline_ = now() + timeout_; }

 private:
  unsigned workers_;
  std::chrono::milliseconds timeout_;
  runtime::TimePoint deadline_{};
};

}  // namespace tmpmc::scenarios::backends
