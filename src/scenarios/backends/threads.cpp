// threads.cpp: scenarios on one OS thread per producer and consumer, with a
// std::mutex + std::condition_variable queue.
#include "backends/backends.h"
#include "backends/thread_executor.h"
#include "backends/threads_queue.h"
#include "driver/driver_loops.h"

namespace tmpmc::scenarios::backends {

std::string spread_note(const ScenarioConfig& config, const char* how) {
  return config.runtime.placement == Placement::spread ? std::string("spread: ") + how : "";
}

std::string threads_note(const ScenarioConfig& config) {
  return spread_note(config,
                     "one OS thread per producer and consumer, placed by the kernel, as with "
                     "local");
}

namespace {
struct ThreadsBackend {
  template <class T>
  using Queue = ThreadQueue<T>;
  using Executor = ThreadExecutor;
  static constexpr bool kChannel = false;
};
}  // namespace

RunResult run_threads(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<ThreadsBackend, true>(config, options);
}

}  // namespace tmpmc::scenarios::backends
