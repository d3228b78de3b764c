// completion.h: one task's completion, for joins with a deadline (the
// executors without a watchdog of their own: threads and Boost.Fiber).
#pragma once

#include <chrono>
#include <exception>
#include <mutex>
#include <string>

namespace tmpmc::scenarios::backends {

// Completion of one task, for joins with a deadline. Mutex and CondVar are
// std:: for threads and boost::fibers:: for Boost.Fiber (which must not block
// its thread).
template <class Mutex, class CondVar>
struct Completion {
  std::string name;
  Mutex mutex;
  CondVar done_cv;
  bool done = false;
  std::exception_ptr error;
  void finish(std::exception_ptr e) {
    std::lock_guard lock(mutex);
    done = true;
    error = std::move(e);
    done_cv.notify_all();
  }
  // wait_until(): true when done by the deadline; rethrows the task's exception.
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex);
    if (!done_cv.wait_until(lock, deadline, [this] { return done; })) return false;
    if (error) std::rethrow_exception(error);
    return true;
  }
};

}  // namespace tmpmc::scenarios::backends
