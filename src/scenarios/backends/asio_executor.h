// asio_executor.h: what runs an Asio run's coroutines (asio.cpp): the
// io_context's threads, the record of which tasks ended, and the executor
// the driver's loops set up, whose coordinator runs on the calling thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/runtime_executor.h"
#include "tmpmc/runtime/pacing.h"

namespace tmpmc::scenarios::backends {

// Tasks: the run's coroutines, each awaited with a deadline by the
// coordinator (which runs outside the io_context, on the calling thread).
class Tasks {
 public:
  explicit Tasks(std::size_t count) : done_(count, 0) {}
  // finished(): task i ended, with `error` if it threw.
  void finished(std::size_t i, std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    done_[i] = 1;
    if (error && !error_) error_ = std::move(error);
    changed_.notify_all();
  }
  // not_done(): the tasks in [first, last) still running at `deadline`.
  std::vector<std::size_t> not_done(std::size_t first, std::size_t last,
                                    runtime::TimePoint deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] {
      for (std::size_t i = first; i < last; ++i)
        if (!done_[i]) return false;
      return true;
    });
    std::vector<std::size_t> running;
    for (std::size_t i = first; i < last; ++i)
      if (!done_[i]) running.push_back(i);
    return running;
  }
  void rethrow() {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<char> done_;  // not vector<bool>: neighbouring flags share no bits
  std::exception_ptr error_;
};

// IoThreads: the threads that run a run's io_context. A thread that fails to
// start (std::system_error) or an error thrown before join() stops the
// io_context and joins those already running as the error leaves run():
// destroying a joinable std::thread would call std::terminate instead.
class IoThreads {
 public:
  IoThreads(boost::asio::io_context& io, unsigned count) : io_(io) {
    threads_.reserve(count);
    try {
      for (unsigned w = 0; w < count; ++w) {
        threads_.emplace_back([&io] {
          const runtime::TimerSlack slack;  // its timers fire on time (pacing.h)
          io.run();
        });
      }
    } catch (...) {
      // The destructor does not run for an object whose constructor threw.
      io_.stop();
      join();
      throw;
    }
  }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;
  ~IoThreads() {
    if (threads_.empty()) return;
    io_.stop();
    join();
  }
  // join(): the normal end; every task has finished or io_context was stopped.
  void join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  boost::asio::io_context& io_;
  std::vector<std::thread> threads_;
};

// AsioExecutor: the executor run_with_payload() sets up. The coordinator runs
// on the calling thread; the run's io_context and its threads live in run().
class AsioExecutor {
 public:
  AsioExecutor(const ScenarioConfig& c, const DriverOptions&, const TraceState&)
      : timeout_(c.hang_after()) {}
  template <class F>
  void block_on(F&& root) {
    deadline_ = now() + timeout_;
    std::forward<F>(root)();
  }
  static runtime::TimePoint now() { return std::chrono::steady_clock::now(); }
  runtime::TimePoint deadline() const { return deadline_; }
  // A deadline far enough away to let a released channel end every task.
  void extend_deadline() { deadline_ = now() + timeout_; }
  void finish(RunResult&) const {}

 private:
  std::chrono::milliseconds timeout_;
  runtime::TimePoint deadline_{};
};

}  // namespace tmpmc::scenarios::backends
