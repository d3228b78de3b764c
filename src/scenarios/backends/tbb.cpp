// tbb.cpp: scenarios on oneTBB's concurrent_bounded_queue (tbb_queue.h adds
// the close), one OS thread per producer and consumer, as for threads.
#include "backends/backends.h"

namespace tmpmc::scenarios::backends {
std::string tbb_note(const ScenarioConfig& config) {
  std::string note =
      "close: a closed flag checked before each operation, wake tokens for parked receivers, "
      "then abort() until no sender waits; receivers drain what is left";
  if (const std::string spread = threads_note(config); !spread.empty()) note += "; " + spread;
  return note;
}
}  // namespace tmpmc::scenarios::backends

// Not compiled in ThreadSanitizer builds: the registry's row says why
// (impls.cpp), and run_scenario() answers with that.
#if !defined(__SANITIZE_THREAD__)
#include "backends/tbb_queue.h"
#include "backends/thread_executor.h"
#include "driver/driver_loops.h"

namespace tmpmc::scenarios::backends {

namespace {
struct TbbBackend {
  template <class T>
  using Queue = TbbQueue<T>;
  using Executor = ThreadExecutor;
  static constexpr bool kChannel = false;
};
}  // namespace

RunResult run_tbb(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<TbbBackend, true>(config, options);
}

}  // namespace tmpmc::scenarios::backends
#endif  // __SANITIZE_THREAD__
