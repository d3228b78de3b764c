// backends.h: one run of a scenario on each queue implementation. Each is
// driver_loops.h instantiated for one (queue, executor) pair, in a file of
// its own so that they compile in parallel.
#pragma once

#include <bit>
#include <cstddef>
#include <string>

#include "tmpmc/scenarios/driver.h"

namespace tmpmc::scenarios::backends {

// boost_fiber_slots(): the buffered_channel size a capacity becomes (see
// boost_fiber_queue.h); here, free of Boost headers, for the report's note.
inline std::size_t boost_fiber_slots(std::size_t capacity) {
  return std::bit_ceil(capacity + 1);  // >= 2 for any capacity >= 1
}
// boost_fiber_note(): the impl registry's note for boost-fiber, its rounded capacity.
std::string boost_fiber_note(const ScenarioConfig& config);

// The impl registry's notes for the peers whose close is not tokio-mpmc's
// (asio.cpp, tbb.cpp say how each is mapped).
std::string asio_note(const ScenarioConfig& config);
std::string asio_drained_note(const ScenarioConfig& config);
std::string tbb_note(const ScenarioConfig& config);
std::string threads_note(const ScenarioConfig& config);
// spread_note(config, how): under runtime.placement spread, "spread: " + how
// (what the impl does for it); "" otherwise.
std::string spread_note(const ScenarioConfig& config, const char* how);

// The impl registry's run functions (impls.cpp). Only tmpmc honours
// DriverOptions::record = false (BM_DriverOverhead/bare); the others record.
RunResult run_tmpmc(const ScenarioConfig& config, const DriverOptions& options);
RunResult run_mutex(const ScenarioConfig& config, const DriverOptions& options);
RunResult run_seed(const ScenarioConfig& config, const DriverOptions& options);
RunResult run_boost_fiber(const ScenarioConfig& config, const DriverOptions& options);
RunResult run_threads(const ScenarioConfig& config, const DriverOptions& options);
RunResult run_asio(const ScenarioConfig& config, const DriverOptions& options);
RunResult run_asio_drained(const ScenarioConfig& config, const DriverOptions& options);
RunResult run_tbb(const ScenarioConfig& config, const DriverOptions& options);

}  // namespace tmpmc::scenarios::backends
