// driver.cpp: picks the implementation a scenario runs on. The loops
// themselves are in driver_loops.h, instantiated once per backend
// (backends/*.cpp).
#include "tmpmc/scenarios/driver.h"

#include <iterator>

#include "backends/backends.h"

namespace tmpmc::scenarios {

unsigned effective_payload_bytes(unsigned payload_bytes) noexcept {
  for (unsigned bucket : kPayloadBuckets) {
    if (payload_bytes <= bucket) return bucket;
  }
  return kPayloadBuckets[std::size(kPayloadBuckets) - 1];
}

void spin_for_ticks(const TimestampClock& clock, std::uint64_t ns) noexcept {
  const std::uint64_t start = clock.now();
  const std::uint64_t ticks = clock.from_ns(ns);
  while (clock.now() - start < ticks) {
  }
}

std::string impl_note(const ScenarioConfig& config) {
  if (config.queue.impl != "boost-fiber") return "";
  return "buffered_channel(" + std::to_string(backends::boost_fiber_slots(config.queue.capacity)) +
         "): a power of two, holding one less";
}

RunResult run_scenario(const ScenarioConfig& config, const DriverOptions& options) {
  if (options.run_instead) return options.run_instead(config, options);
  const std::string& impl = config.queue.impl;
  if (impl == "mutex") return backends::run_mutex(config, options);
  if (impl == "seed") return backends::run_seed(config, options);
  if (impl == "boost-fiber") return backends::run_boost_fiber(config, options);
  if (impl == "threads") return backends::run_threads(config, options);
  // tmpmc. Two instantiations: with recording off, no stamp, log or histogram
  // code is compiled into the producer and consumer loops at all.
  return options.record ? backends::run_tmpmc(config, options)
                        : backends::run_tmpmc_bare(config, options);
}

}  // namespace tmpmc::scenarios
