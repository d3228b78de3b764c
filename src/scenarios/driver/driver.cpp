// driver.cpp: runs a scenario on the implementation the impl registry
// (impls.h) names. The loops themselves are in driver_loops.h, instantiated
// once per backend (backends/*.cpp).
#include "tmpmc/scenarios/driver.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "tmpmc/scenarios/crash_report.h"
#include "tmpmc/scenarios/impls.h"
#include "tmpmc/scenarios/no_progress.h"

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

CheckMode check_mode(const ScenarioConfig& config) noexcept {
  switch (config.check) {
    case CheckSetting::exact:
      return CheckMode::exact;
    case CheckSetting::streaming:
      return CheckMode::streaming;
    case CheckSetting::automatic:
      break;
  }
  // A run of a duration has no length known in advance.
  const bool short_run = config.messages && *config.messages <= kAutoExactMaxMessages;
  return short_run ? CheckMode::exact : CheckMode::streaming;
}

std::string impl_note(const ScenarioConfig& config) {
  const Impl* impl = find_impl(config.queue.impl);
  return impl != nullptr && impl->note != nullptr ? impl->note(config) : "";
}

std::uint64_t pct_choices(const ScenarioConfig& config, const DriverOptions& options) {
  ScenarioConfig first = config;
  first.runtime.deterministic = true;
  first.runtime.workers = 1;
  first.runtime.seed = 1;
  first.run.repeat = 1;
  first.run.warmup = 0;
  DriverOptions counting = options;
  counting.policy = runtime::SchedulePolicy{};  // random
  counting.record_schedule = true;
  counting.trace = false;
  counting.check_linearizability = false;
  counting.interval = std::chrono::milliseconds{0};
  const RunResult run = run_scenario(first, counting);
  return run.schedule ? std::max<std::uint64_t>(run.schedule->choices(), 1) : 1;
}

RunResult run_scenario(const ScenarioConfig& config, const DriverOptions& options) {
  if (config.runtime.deterministic && options.policy.kind == runtime::PolicyKind::pct &&
      options.policy.pct_expected_choices == 0) {
    DriverOptions calibrated = options;
    calibrated.policy.pct_expected_choices = pct_choices(config, options);
    return run_scenario(config, calibrated);
  }
  // A crash of the queue under test still leaves a replay (crash_report.h).
  const CrashReportArming crash_report(config, options);
  if (options.run_instead) {
    RunResult result = options.run_instead(config, options);
    judge_progress(config, result);
    return result;
  }
  const Impl* impl = find_impl(config.queue.impl);
  if (impl == nullptr) {
    // Validated configs name a registered impl (check_impl): a caller's mistake.
    RunResult result;
    result.error = "unknown queue.impl \"" + config.queue.impl + "\"";
    return result;
  }
  if (impl->run == nullptr) {
    RunResult result;
    result.error = "queue.impl \"" + config.queue.impl +
                   "\" is not available in a ThreadSanitizer build (" +
                   std::string(impl->not_under_tsan_because) + ")";
    return result;
  }
  RunResult result = impl->run(config, options);
  judge_progress(config, result);
  return result;
}

}  // namespace tmpmc::scenarios
