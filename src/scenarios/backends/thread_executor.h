// thread_executor.h: scenarios on one OS thread per producer and consumer
// (the threads peer); the coordinator runs on the calling thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "backends/deadline_executor.h"

namespace tmpmc::scenarios::backends {

struct OsThreads {
  using Mutex = std::mutex;
  using CondVar = std::condition_variable;
  using Runner = std::thread;
  template <class F>
  static void run_root(unsigned /*workers: one thread per task*/, bool /*pinned*/, F&& root) {
    std::forward<F>(root)();
  }
  // One thread per task: the kernel spreads them over the cores whatever
  // the placement (the registry's note says so).
  template <class F>
  static std::thread start_on(unsigned /*worker*/, F&& f) {
    return std::thread(std::forward<F>(f));
  }
  static void sleep_until(runtime::TimePoint t) { std::this_thread::sleep_until(t); }
  // A pacing thread gives its CPU to the others (the 2-core machine runs more
  // threads than cores) while it waits for its deadline awake.
  static void relax() { std::this_thread::yield(); }
  // Each task's thread wakes from its sleeps on time (pacing.h).
  using TaskScope = runtime::TimerSlack;
};

using ThreadExecutor = DeadlineExecutor<OsThreads>;

}  // namespace tmpmc::scenarios::backends
