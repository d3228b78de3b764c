// deadline_executor.h: the executor for peers that run on someone else's
// threads or fibers (threads, Boost.Fiber). They have no watchdog of their
// own: join() gives up at the run's timeout, and the driver's loops then close
// the queue (which releases every correct peer) and report a hang.
//
// Traits supply what differs:
//   Mutex, CondVar            blocking that suits the task (a fiber must not
//                             block its thread)
//   Runner                    std::thread or boost::fibers::fiber
//   run_root(workers, pinned, f)  runs the coordinator; pinned: the run's
//                             tasks are started with start_on
//   start_on(worker, f)       starts f on that worker, kept there; returns
//                             a Runner, empty if the worker joins it itself
//   sleep_until(t), relax()   a sleep, and a wait awake that gives way
//                             (the spin of pace_until(), runtime/pacing.h)
//   TaskScope                 what each task holds while it runs (an OS
//                             thread's timer slack)
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "backends/runtime_executor.h"
#include "tmpmc/runtime/pacing.h"
#include "tmpmc/scenarios/abandoned.h"

namespace tmpmc::scenarios::backends {

template <class Traits>
class DeadlineExecutor {
  // One task's completion, awaited with a deadline; rethrows what it threw.
  struct Task {
    std::string name;
    typename Traits::Mutex mutex;
    typename Traits::CondVar done_cv;
    bool done = false;
    std::exception_ptr error;
  };

 public:
  // Handle: a task and its thread (or fiber). A handle whose task has not
  // finished when it goes (the run gave up on it: join() missed the deadline
  // twice, the second time after the queue was closed) detaches it rather
  // than destroy a joinable runner, which would call std::terminate. The
  // task keeps its own state alive (its lambda holds its queue end); what it
  // shares with the run, the driver keeps alive (abandoned.h).
  struct Handle {
    std::shared_ptr<Task> task;
    typename Traits::Runner runner;

    Handle(std::shared_ptr<Task> t, typename Traits::Runner r)
        : task(std::move(t)), runner(std::move(r)) {}
    Handle(Handle&&) noexcept = default;
    Handle& operator=(Handle&&) = delete;  // would destroy a joinable runner
    ~Handle() {
      if (task == nullptr) return;  // moved from
      bool done = false;
      {
        std::lock_guard lock(task->mutex);
        done = task->done;
      }
      if (done) {
        // It has set done: its end is a few instructions away.
        if (runner.joinable()) runner.join();
        return;
      }
      // An empty runner (start_on) belongs to its worker, which joins it.
      if (runner.joinable()) runner.detach();
      note_abandoned_task();
    }
  };
  // Its handles may detach a task the run gave up on: the driver then keeps
  // what the task shares with the run alive (driver_loops.h).
  static constexpr bool kMayAbandonTasks = true;
  DeadlineExecutor(const ScenarioConfig& c, const DriverOptions&, const TraceState&)
      : workers_(c.runtime.workers),
        pinned_(c.runtime.placement == Placement::spread),
        timeout_(c.hang_after()) {}

  template <class F>
  void block_on(F&& root) {
    deadline_ = now() + timeout_;
    Traits::run_root(workers_, pinned_, std::forward<F>(root));
  }
  template <class F>
  Handle spawn(std::string name, F&& f) {
    return start(std::move(name), std::forward<F>(f), [](auto&& body) {
      return typename Traits::Runner(std::forward<decltype(body)>(body));
    });
  }
  // spawn_on(): on the worker, as Traits::start_on keeps it there.
  template <class F>
  Handle spawn_on(unsigned worker, std::string name, F&& f) {
    return start(std::move(name), std::forward<F>(f), [worker](auto&& body) {
      return Traits::start_on(worker, std::forward<decltype(body)>(body));
    });
  }

 private:
  // start(): a task running f, started by launch(body).
  template <class F, class Launch>
  Handle start(std::string name, F&& f, Launch launch) {
    auto task = std::make_shared<Task>();
    task->name = std::move(name);
    typename Traits::Runner runner = launch([task, f = std::forward<F>(f)]() mutable {
      [[maybe_unused]] const typename Traits::TaskScope scope;
      std::exception_ptr error;
      try {
        f();
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard lock(task->mutex);
      task->done = true;
      task->error = std::move(error);
      task->done_cv.notify_all();
    });
    return Handle{std::move(task), std::move(runner)};
  }

 public:
  // join(): false when the task is still running at the run's deadline.
  bool join(Handle& h) {
    {
      std::unique_lock lock(h.task->mutex);
      if (!h.task->done_cv.wait_until(lock, deadline_, [&] { return h.task->done; })) return false;
      if (h.task->error) std::rethrow_exception(h.task->error);
    }
    if (h.runner.joinable()) h.runner.join();
    return true;
  }
  static std::string name(const Handle& h) { return h.task->name; }
  static runtime::TimePoint now() { return std::chrono::steady_clock::now(); }
  static void sleep_until(runtime::TimePoint t) { Traits::sleep_until(t); }
  // pace_until(): an open-loop producer's wait for its next send, spinning
  // (relax()) through the last `horizon`, like the runtime's workers.
  static void pace_until(runtime::TimePoint t, std::chrono::nanoseconds horizon) {
    runtime::pace_until(t, horizon, Traits::sleep_until, Traits::relax);
  }
  void finish(RunResult&) const {}
  // A deadline far enough away to let a closed queue release everyone.
  void extend_deadline() { deadline_ = now() + timeout_; }

 private:
  unsigned workers_;
  bool pinned_;
  std::chrono::milliseconds timeout_;
  runtime::TimePoint deadline_{};
};

}  // namespace tmpmc::scenarios::backends
