#include "tmpmc/scenarios/stress.h"

#include <cstdio>
#include <regex>

#include "tmpmc/runtime/rng.h"

namespace tmpmc::scenarios {

runtime::SchedulePolicy parse_policy(const std::string& text) {
  runtime::SchedulePolicy policy;
  if (text == "random") {
    policy.kind = runtime::PolicyKind::random;
  } else if (text == "round_robin") {
    policy.kind = runtime::PolicyKind::round_robin;
  } else if (text.rfind("pct:", 0) == 0) {
    policy.kind = runtime::PolicyKind::pct;
    const std::string depth = text.substr(4);
    std::size_t used = 0;
    int d = 0;
    try {
      d = std::stoi(depth, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != depth.size() || d < 1 || d > 100) {
      throw ConfigError("--policy: expected pct:D with a depth D from 1 to 100, got " + text);
    }
    policy.pct_depth = d;
  } else {
    throw ConfigError("--policy: expected random, pct:D or round_robin, got " + text);
  }
  return policy;
}

std::string policy_text(const runtime::SchedulePolicy& policy) {
  switch (policy.kind) {
    case runtime::PolicyKind::pct:
      return "pct:" + std::to_string(policy.pct_depth);
    case runtime::PolicyKind::round_robin:
      return "round_robin";
    default:
      return "random";
  }
}

std::string failure_kind(const RunResult& run) {
  // The order says which class a run is filed under when it broke several
  // rules at once: a hang first (it is what the user sees), then duplicates
  // (a slot read twice also loses the slot it skipped), then the rest.
  const CheckResult& c = run.check;
  if (!run.stuck_fibers.empty() || c.hung != 0) return "hang";
  if (!run.error.empty()) return "error";
  if (c.duplicated != 0) return "duplicated";
  if (c.phantom != 0) return "phantom";
  if (c.spurious_closed != 0) return "spurious_closed";
  if (c.lost != 0) return "lost";
  if (c.reordered != 0) return "reordered";
  return "";
}

ScenarioConfig stress_config(const ScenarioConfig& config, std::uint64_t seed, unsigned workers) {
  ScenarioConfig c = config;
  c.run.repeat = 1;
  c.run.warmup = 0;
  c.runtime.seed = seed;
  if (workers <= 1) {
    c.runtime.deterministic = true;
    c.runtime.workers = 1;
    return c;
  }
  // Real threads: the seed picks where the close lands, for configs that
  // close by count, so that iterations close at every point of the run.
  c.runtime.deterministic = false;
  c.runtime.workers = workers;
  if ((c.close.when == CloseWhen::after_received || c.close.when == CloseWhen::by_producer) &&
      c.messages) {
    runtime::SplitMix64 rng(seed);
    c.close.messages = 1 + rng.next() % *c.messages;
  }
  return c;
}

namespace {

std::string shell_quote(const std::string& text) {
  if (text.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-,:=") ==
      std::string::npos) {
    return text;
  }
  std::string quoted = "'";
  for (char ch : text) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

std::string regex_escape(const std::string& text) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char ch : text) {
    if (special.find(ch) != std::string::npos) out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace

std::string replay_command(const ScenarioConfig& config, std::uint64_t seed,
                           const StressOptions& options) {
  std::string command = "tmpmc-bench run " + shell_quote(options.config_path) + " --filter " +
                        shell_quote("^" + regex_escape(config.name) + "$");
  if (!options.impl.empty()) command += " --impl " + shell_quote(options.impl);
  if (options.workers <= 1) {
    command += " --deterministic --seed " + std::to_string(seed) + " --policy " +
               policy_text(options.policy) + " --trace";
    return command + " --repeat 1";
  }
  // Real threads: the seed fixes the close point, not the interleaving; the
  // same iteration again is the best replay there is.
  command = "tmpmc-bench stress " + shell_quote(options.config_path) + " --filter " +
            shell_quote("^" + regex_escape(config.name) + "$");
  if (!options.impl.empty()) command += " --impl " + shell_quote(options.impl);
  return command + " --workers " + std::to_string(options.workers) + " --seed-start " +
         std::to_string(seed) + " --seeds 1";
}

std::vector<StressResult> run_stress(const std::vector<ScenarioConfig>& configs,
                                     const StressOptions& options) {
  std::vector<StressResult> results;
  const auto deadline = std::chrono::steady_clock::now() + options.time_budget;
  LogArena arena;
  DriverOptions driver = options.driver;
  driver.policy = options.policy;
  if (driver.log_arena == nullptr) driver.log_arena = &arena;
  auto interrupted = [&] {
    return driver.interrupt != nullptr && driver.interrupt->load(std::memory_order_relaxed);
  };
  for (const ScenarioConfig& config : configs) {
    StressResult result;
    result.scenario = config.name;
    result.impl = config.queue.impl;
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < options.seeds; ++i) {
      // The clock is read every 64 seeds: a seed takes tens of microseconds.
      if ((i & 63) == 0 && (std::chrono::steady_clock::now() >= deadline || interrupted())) {
        result.out_of_time = true;
        break;
      }
      const std::uint64_t seed = options.seed_start + i;
      const ScenarioConfig c = stress_config(config, seed, options.workers);
      RunResult run = run_scenario(c, driver);
      ++result.seeds_run;
      result.messages += run.check.received;
      const std::string kind = failure_kind(run);
      if (kind.empty()) continue;
      StressFailure failure;
      failure.seed = seed;
      failure.kind = kind;
      failure.lines = run.check.failures();
      if (!run.error.empty()) failure.lines.push_back(run.error);
      if (!run.stuck_summary.empty()) failure.lines.push_back(run.stuck_summary);
      for (const std::string& fiber : run.stuck_fibers) failure.lines.push_back("  " + fiber);
      failure.replay = replay_command(config, seed, options);
      failure.trace_hash = run.trace_hash.value_or(0);
      result.failure = std::move(failure);
      break;
    }
    result.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.seeds_per_sec =
        result.elapsed_s > 0 ? static_cast<double>(result.seeds_run) / result.elapsed_s : 0;
    const bool stop = result.failure.has_value() || interrupted();
    results.push_back(std::move(result));
    if (stop) break;
  }
  return results;
}

void print_trace(std::FILE* out, const std::vector<runtime::TraceEvent>& trace, std::size_t last) {
  const std::size_t first = trace.size() > last ? trace.size() - last : 0;
  if (first > 0) std::fprintf(out, "  ... %zu earlier events not shown\n", first);
  for (std::size_t i = first; i < trace.size(); ++i) {
    const runtime::TraceEvent& e = trace[i];
    std::fprintf(out, "  %6llu  %-14s <- %-14s at %-46s [%s] (%u of %u runnable)\n",
                 static_cast<unsigned long long>(e.step), e.fiber.c_str(),
                 e.previous.empty() ? "-" : e.previous.c_str(), e.at.empty() ? "-" : e.at.c_str(),
                 e.state.c_str(), e.choice + 1, e.runnable);
  }
}

}  // namespace tmpmc::scenarios
