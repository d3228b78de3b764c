// runner.cpp: runs a list of scenarios with warm-ups and repeats, interleaved.
#include "tmpmc/scenarios/runner.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "tmpmc/scenarios/impls.h"

namespace tmpmc::scenarios {

namespace {
std::uint64_t scaled(std::uint64_t value, double scale, std::uint64_t at_least) {
  const double v = std::round(static_cast<double>(value) * scale);
  return std::max<std::uint64_t>(at_least, static_cast<std::uint64_t>(v));
}
}  // namespace

std::vector<std::string> parse_impl_list(const std::string& text) {
  std::vector<std::string> impls;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    const std::string name = text.substr(start, comma - start);
    if (find_impl(name) == nullptr) {
      throw ConfigError("--impl: unknown implementation \"" + name + "\"; expected " +
                        join_names(impl_names()) + " (comma-separated)");
    }
    if (std::find(impls.begin(), impls.end(), name) != impls.end()) {
      throw ConfigError("--impl: \"" + name + "\" is listed twice");
    }
    impls.push_back(name);
    if (comma == std::string::npos) return impls;
    start = comma + 1;
  }
}

void apply_overrides(std::vector<ScenarioConfig>& configs, const Overrides& o) {
  if (!o.impls.empty()) configs = with_impls(configs, o.impls);
  for (ScenarioConfig& c : configs) {
    if (o.repeat) c.run.repeat = *o.repeat;
    if (o.warmup) c.run.warmup = *o.warmup;
    if (o.seed) c.runtime.seed = *o.seed;
    if (o.deterministic) c.runtime.deterministic = *o.deterministic;
    if (o.workers) c.runtime.workers = *o.workers;
    if (o.placement) c.runtime.placement = *o.placement;
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
      if (c.close.when == CloseWhen::after_received || c.close.when == CloseWhen::by_producer) {
        c.close.messages = scaled(c.close.messages, o.scale, 1);
        if (c.messages) c.close.messages = std::min(c.close.messages, *c.messages);
      }
    }
    if (o.duration_ms) {
      c.messages.reset();
      c.duration_ms = o.duration_ms;
    }
    if (o.timeout_ms) c.run.timeout_ms = *o.timeout_ms;
    try {
      check_impl(c);
    } catch (const ConfigError& e) {
      throw ConfigError(c.source + ": " + c.name + ": " + e.what());
    }
  }
}

std::vector<ScenarioRuns> RunsSoFar::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<ScenarioRuns> runs = runs_;
  for (std::size_t k = under_way_; k < runs.size(); ++k) runs[k].interrupted = true;
  return runs;
}

// run_all() gathers into `so_far` (its own when none is given): every change
// to the results is made under its lock, one per run, never while a run runs.
std::vector<ScenarioRuns> run_all(const std::vector<ScenarioConfig>& configs,
                                  const DriverOptions& options,
                                  const std::function<void(const Progress&)>& progress,
                                  RunsSoFar* so_far) {
  RunsSoFar own;
  RunsSoFar& gathered = so_far != nullptr ? *so_far : own;
  std::vector<ScenarioRuns>& results = gathered.runs_;
  std::unique_lock lock(gathered.mutex_);
  // One arena for the whole session: warm-up runs fault the log memory in,
  // measured runs reuse it.
  LogArena arena;
  DriverOptions run_options = options;
  if (run_options.log_arena == nullptr) run_options.log_arena = &arena;
  auto interrupted = [&] {
    return options.interrupt != nullptr && options.interrupt->load(std::memory_order_relaxed);
  };
  std::size_t i = 0;
  while (i < configs.size() && !interrupted()) {
    // A group: the scenarios that differ only in queue.impl. Their runs are
    // interleaved (A B C A B C ...), so a drift in the machine's speed hits
    // every impl alike and the ratios hold.
    const std::size_t end = impl_group_end(configs, i, std::identity{});
    const std::size_t first_result = results.size();
    gathered.under_way_ = first_result;
    unsigned rounds = 0;
    for (std::size_t k = i; k < end; ++k) {
      ScenarioRuns result;
      result.config = configs[k];
      result.note = impl_note(configs[k]);
      results.push_back(std::move(result));
      rounds = std::max(rounds, configs[k].run.warmup + configs[k].run.repeat);
    }
    std::vector<bool> stopped(end - i, false);
    for (unsigned run = 0; run < rounds; ++run) {
      for (std::size_t k = i; k < end; ++k) {
        const ScenarioConfig& c = configs[k];
        const std::size_t at = first_result + (k - i);
        const unsigned total = c.run.warmup + c.run.repeat;
        if (run >= total || stopped[k - i]) continue;
        const bool warmup = run < c.run.warmup;
        if (progress) progress(Progress{k + 1, configs.size(), run + 1, total, c.name, warmup});
        lock.unlock();
        RunResult r = run_scenario(c, run_options);
        lock.lock();
        const bool stop = r.interrupted || interrupted();
        // A warm-up that fails a check still counts: a lost message is a lost message.
        const bool failed = !r.check.ok() || !r.stuck_fibers.empty() || !r.error.empty() ||
                            !r.linearizability_report.empty();
        if (!warmup || failed) results[at].runs.push_back(std::move(r));
        if (stop) {
          results[at].interrupted = true;
          stopped[k - i] = true;
        }
      }
      if (interrupted()) break;
    }
    for (std::size_t k = first_result; k < results.size(); ++k) {
      if (interrupted()) results[k].interrupted = true;
    }
    gathered.under_way_ = results.size();
    i = end;
  }
  // A caller's RunsSoFar keeps its copy (its watchdog may still read it).
  if (so_far == nullptr) return std::move(results);
  return results;
}

}  // namespace tmpmc::scenarios
