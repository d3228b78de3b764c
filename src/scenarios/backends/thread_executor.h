// thread_executor.h: scenarios on one OS thread per producer and consumer
// (the threads peer). No watchdog: join() gives up at the run's timeout, and
// the loops then close the queue and report a hang.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "backends/completion.h"
#include "backends/runtime_executor.h"

namespace tmpmc::scenarios::backends {

class ThreadExecutor {
  using Task = Completion<std::mutex, std::condition_variable>;

 public:
  struct Handle {
    std::shared_ptr<Task> task;
    std::thread thread;
  };
  ThreadExecutor(const ScenarioConfig& c, const DriverOptions&, const TraceState&)
      : timeout_(std::chrono::milliseconds(c.run.timeout_ms)) {}
  template <class F>
  void block_on(F&& root) {
    deadline_ = now() + timeout_;
    root();
  }
  template <class F>
  Handle spawn(std::string name, F&& f) {
    auto task = std::make_shared<Task>();
    task->name = std::move(name);
    std::thread thread([task, f = std::forward<F>(f)]() mutable {
      std::exception_ptr error;
      try {
        f();
      } catch (...) {
        error = std::current_exception();
      }
      task->finish(error);
    });
    return Handle{std::move(task), std::move(thread)};
  }
  bool join(Handle& h) {
    if (!h.task->wait_until(deadline_)) return false;
    if (h.thread.joinable()) h.thread.join();
    return true;
  }
  static std::string name(const Handle& h) { return h.task->name; }
  static runtime::TimePoint now() { return std::chrono::steady_clock::now(); }
  static void sleep_until(runtime::TimePoint t) { std::this_thread::sleep_until(t); }
  void finish(RunResult&) const {}
  // A deadline far enough away to let a closed queue release everyone.
  void extend_deadline() { deadline_ = now() + timeout_; }

 private:
  std::chrono::milliseconds timeout_;
  runtime::TimePoint deadline_{};
};

}  // namespace tmpmc::scenarios::backends
