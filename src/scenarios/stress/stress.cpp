// stress.cpp: stress mode: each scenario over its seeds or its bounded search,
// each failure classified, shrunk and given its replay command.
#include "tmpmc/scenarios/stress.h"

#include "stress/explore.h"
#include "stress/replay_command.h"
#include "stress/shrink.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::scenarios {

runtime::SchedulePolicy parse_policy(const std::string& text) {
  runtime::SchedulePolicy policy;
  if (text == "random") {
    policy.kind = runtime::PolicyKind::random;
  } else if (text == "round_robin") {
    policy.kind = runtime::PolicyKind::round_robin;
  } else if (text == "pos") {
    policy.kind = runtime::PolicyKind::pos;
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
    policy.pct_expected_choices = 0;  // learned from a first run (driver.h, pct_choices)
  } else {
    throw ConfigError("--policy: expected random, pct:D, pos or round_robin, got " + text);
  }
  return policy;
}

std::string policy_text(const runtime::SchedulePolicy& policy) {
  switch (policy.kind) {
    case runtime::PolicyKind::pct:
      return "pct:" + std::to_string(policy.pct_depth);
    case runtime::PolicyKind::round_robin:
      return "round_robin";
    case runtime::PolicyKind::pos:
      return "pos";
    default:
      return "random";
  }
}

std::vector<FailureClass> failure_classes(const RunResult& run) {
  // In FailureClass's order. A run stopped on request (a signal, the time
  // budget) is unfinished, not failed; one the step cap stopped is judged on
  // that alone (its checks count what was in flight).
  std::vector<FailureClass> classes;
  if (run.stopped) {
    if (const auto stop = stop_class(*run.stopped)) classes.push_back(*stop);
    return classes;
  }
  if (!run.stuck_fibers.empty() || run.check.hung != 0) classes.push_back(FailureClass::hang);
  if (!run.error.empty()) classes.push_back(FailureClass::error);
  for (const FailureClass counted :
       {FailureClass::duplicated, FailureClass::phantom, FailureClass::spurious_closed,
        FailureClass::lost, FailureClass::reordered}) {
    if (count_of(run.check, counted) != 0) classes.push_back(counted);
  }
  if (!run.no_progress.empty()) classes.push_back(FailureClass::no_progress);
  if (run.linearizability) {
    using Kind = LinearizabilityVerdict::Kind;
    if (run.linearizability->kind == Kind::not_linearizable) {
      classes.push_back(FailureClass::not_linearizable);
    } else if (run.linearizability->kind == Kind::undecided) {
      classes.push_back(FailureClass::undecided);
    }
  }
  return classes;
}

std::optional<FailureClass> classify(const RunResult& run) {
  // The first rule broken names the class.
  const std::vector<FailureClass> classes = failure_classes(run);
  if (classes.empty()) return std::nullopt;
  return classes.front();
}

std::string failure_kind(const RunResult& run) {
  const auto failure = classify(run);
  return failure ? std::string(to_string(*failure)) : std::string();
}

std::string failure_schedule(const RunResult& run) {
  if (!run.schedule || !classify(run)) return {};
  std::string text = run.schedule->text();
  return text.size() <= kMaxScheduleText ? text : std::string();
}

ScenarioConfig stress_config(const ScenarioConfig& config, std::uint64_t seed, unsigned workers,
                             Placement placement) {
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
  c.runtime.placement = placement;
  if ((c.close.when == CloseWhen::after_received || c.close.when == CloseWhen::by_producer) &&
      c.messages) {
    runtime::SplitMix64 rng(seed);
    c.close.messages = 1 + rng.next() % *c.messages;
  }
  return c;
}

StressFailure failure_of(const ScenarioConfig& config, const RunResult& run, FailureClass kind,
                         std::uint64_t seed, const StressOptions& options) {
  StressFailure failure;
  failure.seed = seed;
  failure.kind = to_string(kind);
  for (const FailureClass broken : failure_classes(run)) {
    failure.kinds.emplace_back(to_string(broken));
  }
  // The checks of a run the step cap cut short count what was in flight:
  // its report is where each fiber was.
  if (!run.stopped) {
    failure.lines = run.check.failures();
    failure.lines.insert(failure.lines.end(), run.linearizability_report.begin(),
                         run.linearizability_report.end());
  }
  if (!run.error.empty()) failure.lines.push_back(run.error);
  if (!run.stuck_summary.empty()) failure.lines.push_back(run.stuck_summary);
  for (const std::string& fiber : run.stuck_fibers) failure.lines.push_back("  " + fiber);
  if (run.schedule) {
    failure.schedule = failure_schedule(run);
    if (failure.schedule.empty()) {
      failure.schedule_note = "not printed: " + std::to_string(run.schedule->choices()) +
                              " choices in " + std::to_string(run.schedule->steps()) +
                              " steps; the replay command replays it by seed";
    }
  }
  failure.replay = replay_command(config, seed, failure.schedule, options, !run.stopped);
  failure.trace_hash = run.trace_hash.value_or(0);
  return failure;
}

StressFailure report_failure(const ScenarioConfig& config, const ScenarioConfig& run_config,
                             const RunResult& run, FailureClass kind, std::uint64_t seed,
                             const StressOptions& options, const DriverOptions& driver,
                             std::optional<unsigned> minimal_bound) {
  if (options.shrink && options.workers <= 1) {
    if (auto shrunk = shrink_failure(run_config, run, kind, driver, options, minimal_bound)) {
      StressFailure failure = failure_of(config, shrunk->run, kind, seed, options);
      failure.shrunk = std::move(shrunk->report);
      return failure;
    }
  }
  return failure_of(config, run, kind, seed, options);
}

namespace {

// sample_seeds(): one scenario, seed after seed, until a failure, the seeds
// or the budget run out.
void sample_seeds(const ScenarioConfig& config, const StressOptions& options,
                  const DriverOptions& driver_in, const StressClock& clock, StressResult& result) {
  DriverOptions driver = driver_in;
  if (options.workers <= 1 && driver.policy.kind == runtime::PolicyKind::pct &&
      driver.policy.pct_expected_choices == 0) {
    // Learned once per scenario, as each seed's run would learn it.
    driver.policy.pct_expected_choices = pct_choices(stress_config(config, 1, 1), driver);
    result.pct_choices = driver.policy.pct_expected_choices;
  }
  for (std::uint64_t i = 0; i < options.seeds; ++i) {
    // The clock is read every 64 seeds: a seed takes tens of microseconds.
    if ((i & 63) == 0 && clock.out_of_time()) {
      result.out_of_time = true;
      break;
    }
    const std::uint64_t seed = options.seed_start + i;
    const ScenarioConfig c = stress_config(config, seed, options.workers, options.placement);
    RunResult run = run_scenario(c, driver);
    if (run.stopped == runtime::StopKind::interrupted) {
      // Out of time (or interrupted) in the middle of the seed: it did not
      // run to its end, so it neither passed nor failed.
      result.out_of_time = true;
      break;
    }
    ++result.seeds_run;
    result.messages += run.check.received;
    result.choice_points_reached |= run.choice_points_reached;
    if (options.on_run) options.on_run(run);
    const std::optional<FailureClass> failure_class = classify(run);
    if (!failure_class) continue;
    result.failure =
        report_failure(config, c, run, *failure_class, seed, options, driver, std::nullopt);
    break;
  }
}

}  // namespace

std::vector<StressResult> run_stress(const std::vector<ScenarioConfig>& configs,
                                     const StressOptions& options) {
  std::vector<StressResult> results;
  const StressClock clock{std::chrono::steady_clock::now() + options.time_budget,
                          options.driver.interrupt};
  LogArena arena;
  DriverOptions driver = options.driver;
  driver.policy = options.policy;
  driver.max_steps = options.max_steps;
  driver.choice_points = options.choice_points;
  driver.check_linearizability = options.linearizability;
  // Every deterministic run keeps its schedule while it runs (8 bytes per
  // choice, dropped with the run): a failure then replays by schedule.
  driver.record_schedule = options.workers <= 1;
  // A run that goes past the budget is stopped inside its run (every few
  // steps), not only between runs: a run that never ends cannot hold the
  // command past its budget.
  driver.stop_at = clock.deadline;
  if (driver.log_arena == nullptr) driver.log_arena = &arena;
  for (const ScenarioConfig& config : configs) {
    StressResult result;
    result.scenario = config.name;
    result.impl = config.queue.impl;
    const auto start = std::chrono::steady_clock::now();
    if (options.explore == Explore::bounded) {
      explore_bounded(config, options, driver, clock, result);
    } else {
      sample_seeds(config, options, driver, clock, result);
    }
    result.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.seeds_per_sec =
        result.elapsed_s > 0 ? static_cast<double>(result.seeds_run) / result.elapsed_s : 0;
    const bool stop = result.failure.has_value() || clock.interrupted();
    if (options.on_result) options.on_result(result);
    results.push_back(std::move(result));
    if (stop) break;
  }
  return results;
}

}  // namespace tmpmc::scenarios
