#include "tmpmc/scenarios/runner.h"

#include <algorithm>
#include <cmath>

namespace tmpmc::scenarios {

namespace {
std::uint64_t scaled(std::uint64_t value, double scale, std::uint64_t at_least) {
  const double v = std::round(static_cast<double>(value) * scale);
  return std::max<std::uint64_t>(at_least, static_cast<std::uint64_t>(v));
}
}  // namespace

void apply_overrides(std::vector<ScenarioConfig>& configs, const Overrides& o) {
  for (ScenarioConfig& c : configs) {
    if (o.repeat) c.run.repeat = *o.repeat;
    if (o.seed) c.runtime.seed = *o.seed;
    if (o.deterministic) c.runtime.deterministic = *o.deterministic;
    if (o.workers) c.runtime.workers = *o.workers;
    if (c.runtime.deterministic) {
      if (o.workers && *o.workers != 1) {
        throw ConfigError(c.source + ": " + c.name +
                          ": --workers must be 1 for a deterministic scenario, got " +
                          std::to_string(*o.workers));
      }
      c.runtime.workers = 1;
    }
    if (o.scale != 1.0) {
      if (c.messages) c.messages = scaled(*c.messages, o.scale, c.producers.count);
      if (c.duration_ms) c.duration_ms = scaled(*c.duration_ms, o.scale, 1);
      if (c.close.when == CloseWhen::after_received) {
        c.close.messages = scaled(c.close.messages, o.scale, 1);
        if (c.messages) c.close.messages = std::min(c.close.messages, *c.messages);
      }
    }
  }
}

std::vector<ScenarioResult> run_all(const std::vector<ScenarioConfig>& configs,
                                    const DriverOptions& options,
                                    const std::function<void(const Progress&)>& progress) {
  std::vector<ScenarioResult> results;
  // One arena for the whole session: warm-up runs fault the log memory in,
  // measured runs reuse it.
  LogArena arena;
  DriverOptions run_options = options;
  if (run_options.log_arena == nullptr) run_options.log_arena = &arena;
  auto interrupted = [&] {
    return options.interrupt != nullptr && options.interrupt->load(std::memory_order_relaxed);
  };
  for (std::size_t i = 0; i < configs.size() && !interrupted(); ++i) {
    const ScenarioConfig& c = configs[i];
    ScenarioResult result;
    result.config = c;
    const unsigned total = c.run.warmup + c.run.repeat;
    for (unsigned run = 0; run < total; ++run) {
      const bool warmup = run < c.run.warmup;
      if (progress) progress(Progress{i + 1, configs.size(), run + 1, total, c.name, warmup});
      RunResult r = run_scenario(c, run_options);
      const bool stop = r.interrupted || interrupted();
      // A warm-up that fails a check still counts: a lost message is a lost message.
      const bool failed = !r.check.ok() || !r.stuck_fibers.empty() || !r.error.empty();
      if (!warmup || failed) result.runs.push_back(std::move(r));
      if (stop) {
        result.interrupted = true;
        break;
      }
    }
    summarize(result);
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace tmpmc::scenarios
