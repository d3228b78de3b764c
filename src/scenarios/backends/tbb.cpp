// tbb.cpp: scenarios on oneTBB's concurrent_bounded_queue (tbb_queue.h adds
// the close), one OS thread per producer and consumer, as for threads.
#include "backends/backends.h"

namespace tmpmc::scenarios::backends {
std::string tbb_note(const ScenarioConfig&) {
  return "close: a closed flag checked before each operation, wake tokens for parked receivers, "
         "then abort() until no sender waits; receivers drain what is left";
}
}  // namespace tmpmc::scenarios::backends

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds leave oneTBB out: Debian's libtbb.so is not built
// with -fsanitize=thread, and the queue's header code synchronises partly
// inside it (its concurrent monitors), so TSan cannot follow the ordering of
// the queue's page handoff; it reported a race in micro_queue::prepare_page.
namespace tmpmc::scenarios::backends {
RunResult run_tbb(const ScenarioConfig&, const DriverOptions&) {
  RunResult result;
  result.error =
      "queue.impl \"tbb\" is not available in a ThreadSanitizer build (Debian's libtbb is not "
      "instrumented for TSan)";
  return result;
}
}  // namespace tmpmc::scenarios::backends
#else
#include "backends/tbb_queue.h"
#include "backends/thread_executor.h"
#include "driver_loops.h"

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
