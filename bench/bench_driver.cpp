// bench_driver.cpp: what the driver's checks and latency sampling cost.
//
// mpmc-4x4 on one worker, with recording (per-consumer logs, sampled stamps,
// histograms) against the same queue traffic with recording compiled out.
#include <benchmark/benchmark.h>

#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/driver.h"

namespace tmpmc::bench {
namespace {

namespace sc = tmpmc::scenarios;

void BM_DriverOverhead(benchmark::State& state, bool record) {
  auto configs = sc::parse_scenarios(R"({
    "name": "mpmc-4x4", "runtime": {"workers": 1}, "queue": {"capacity": 1024},
    "messages": 2000000, "producers": {"count": 4}, "consumers": {"count": 4}})",
                                     "BM_DriverOverhead");
  static const sc::TimestampClock clock = sc::TimestampClock::calibrate();
  sc::LogArena arena;  // as the runner does: the first run faults the log memory in
  sc::DriverOptions options;
  options.clock = &clock;
  options.log_arena = &arena;
  options.record = record;
  // As `tmpmc-bench run` does (run.warmup, default 1): one untimed run first.
  (void)sc::run_scenario(configs[0], options);
  std::uint64_t messages = 0;
  for (auto _ : state) {
    const sc::RunResult r = sc::run_scenario(configs[0], options);
    if (record && !r.check.ok()) state.SkipWithError("the checker found a failure");
    messages += r.check.received;
    // The traffic phase only (what msgs/s reports), not the accounting after it.
    state.SetIterationTime(r.elapsed_s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(messages));
}

[[maybe_unused]] const bool registered = [] {
  benchmark::RegisterBenchmark("BM_DriverOverhead/recording", BM_DriverOverhead, true)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_DriverOverhead/bare", BM_DriverOverhead, false)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace
}  // namespace tmpmc::bench
