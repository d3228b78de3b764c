// shrink.cpp: shrinking a failing schedule, as QuickCheck and Hypothesis
// shrink a failing input and lincheck a failing scenario.
//
// A schedule is shrunk in the bounded policy's terms (policies/bounded.cpp):
// at every choice point there is a default (the fiber that yielded goes on;
// if it cannot, the one that waited longest), and a schedule is the list of
// its deviations from it, each a runtime::Switch: "when fiber F gives up the
// worker after its n-th step, run G". Preemptions are the deviations where F
// could have gone on. A switch is keyed by F's own progress, not by the
// run's choice count: removing an earlier switch shifts every later choice
// point's number, but not where F is in its own code, so the switches that
// matter stay where they were (Jalbert and Sen's trace simplification keys
// its context switches by thread-local positions for the same reason).
// Every candidate is a list of switches run under the bounded policy (a
// switch whose fiber cannot run there takes the default), and the run itself
// says which switches its schedule really has, how many of them preempt, and
// how many steps it took.
//
// A candidate replaces the best one when it fails with the same class (the
// first the run breaks) and is smaller in (preemptions, steps, deviations),
// in that order: fewest preemptions first, then shortest. Two moves:
//   1. keep only the first n deviations, the smallest n that still fails
//      (a binary search: a few runs cut a random schedule's long tail);
//   2. drop one deviation, for each from the last to the first;
// repeated until neither helps. Then, unless the failure came from the
// bounded search (which ran every schedule with fewer preemptions already),
// the bounded search below the shrunk schedule's preemptions looks for one
// with fewer, and the moves shrink what it finds. Everything is a function of
// the program and the failing schedule, and both budgets count runs, not
// time: the same failure shrinks to the same schedule on every machine.
#include "stress/shrink.h"

#include <tuple>
#include <unordered_map>
#include <utility>

#include "tmpmc/runtime/schedule.h"

namespace tmpmc::scenarios {

namespace {

using Switches = std::vector<runtime::Switch>;

struct Attempt {
  bool fails = false;  // with the class being shrunk
  unsigned preemptions = 0;
  std::uint64_t steps = 0;
  Switches switches;  // the run's own deviations from the default, in order
  RunResult run;
  std::vector<runtime::ChoicePoint> log;
};

// better(): a fails as wanted and is smaller than b.
bool better(const Attempt& a, const Attempt& b) {
  const std::size_t a_switches = a.switches.size(), b_switches = b.switches.size();
  return a.fails && std::tie(a.preemptions, a.steps, a_switches) <
                        std::tie(b.preemptions, b.steps, b_switches);
}

std::vector<std::uint32_t> choices_of(const runtime::Schedule& schedule) {
  std::vector<std::uint32_t> choices;
  for (const runtime::Schedule::Item& item : schedule.items()) {
    if (item.fiber != 0) choices.push_back(item.fiber);
  }
  return choices;
}

std::string quoted(const std::string& label) { return "`" + label + "`"; }

class Shrinker {
 public:
  Shrinker(const ScenarioConfig& config, FailureClass kind, const DriverOptions& driver)
      : config_(config), kind_(kind), driver_(driver) {
    driver_.policy = runtime::SchedulePolicy{};
    driver_.policy.kind = runtime::PolicyKind::bounded;
    driver_.policy.lenient_prefix = true;
    driver_.record_schedule = true;
    driver_.trace = false;
    // Shrinking ends by its run budget, not by the stress command's clock:
    // its result must not depend on how fast the machine is. A signal still
    // stops it (driver.interrupt).
    driver_.stop_at.reset();
  }

  // attempt(): one run that follows `prefix` (the fiber at each choice point,
  // as a recorded schedule lists them), then `switches`; with `trace`, its
  // events recorded.
  Attempt attempt(const std::vector<std::uint32_t>& prefix, const Switches& switches,
                  bool trace = false) {
    Attempt a;
    driver_.policy.prefix = prefix;
    driver_.policy.switches = switches;
    driver_.policy.choice_log = &a.log;
    driver_.trace = trace;
    a.run = run_scenario(config_, driver_);
    ++runs_;
    if (a.run.stopped == runtime::StopKind::interrupted) {
      interrupted_ = true;
      return a;
    }
    const std::optional<FailureClass> broken = classify(a.run);
    a.fails = broken && *broken == kind_;
    a.steps = a.run.schedule ? a.run.schedule->steps() : 0;
    for (const runtime::ChoicePoint& point : a.log) {
      if (point.continuing != 0 && point.chosen != point.continuing) ++a.preemptions;
      if (point.chosen != point.fallback) {
        a.switches.push_back(runtime::Switch{point.previous, point.previous_steps, point.chosen});
      }
    }
    return a;
  }
  Attempt attempt(const Switches& switches, bool trace = false) {
    return attempt({}, switches, trace);
  }

  bool spent() const { return interrupted_ || runs_ >= kShrinkRuns; }
  bool interrupted() const { return interrupted_; }
  std::uint64_t runs() const { return runs_; }
  void count_runs(std::uint64_t runs) { runs_ += runs; }

  // improve(): the two moves (above) until neither helps or the budget ends.
  void improve(Attempt& best) {
    for (bool changed = true; changed && !spent();) {
      changed = truncate(best);
      changed = drop_each(best) || changed;
    }
  }

 private:
  bool truncate(Attempt& best) {
    std::optional<Attempt> shortest;  // the failing cut with the fewest switches kept
    std::size_t lo = 0, hi = best.switches.size();
    while (lo < hi && !spent()) {
      const std::size_t keep = (lo + hi) / 2;
      Attempt a = attempt(Switches(best.switches.begin(),
                                   best.switches.begin() + static_cast<std::ptrdiff_t>(keep)));
      if (a.fails) {
        hi = keep;
        shortest = std::move(a);
      } else {
        lo = keep + 1;
      }
    }
    if (!shortest || !better(*shortest, best)) return false;
    best = std::move(*shortest);
    return true;
  }

  bool drop_each(Attempt& best) {
    bool changed = false;
    for (std::size_t j = best.switches.size(); j-- > 0 && !spent();) {
      if (j >= best.switches.size()) continue;
      Switches fewer = best.switches;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(j));
      Attempt a = attempt(fewer);
      if (better(a, best)) {
        best = std::move(a);
        changed = true;
      }
    }
    return changed;
  }

  const ScenarioConfig& config_;
  const FailureClass kind_;
  DriverOptions driver_;
  std::uint64_t runs_ = 0;
  bool interrupted_ = false;
};

// switches(): one line per deviation of the traced run `a`. The trace's
// steps with two or more runnable fibers are the choice points of its log,
// in the same order.
std::vector<std::string> switches(const Attempt& a) {
  std::unordered_map<std::uint64_t, std::string> names;
  std::vector<const runtime::TraceEvent*> choices;
  for (const runtime::TraceEvent& event : a.run.trace) {
    names.emplace(event.fiber_id, event.fiber);
    if (event.runnable >= 2) choices.push_back(&event);
  }
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < a.log.size() && i < choices.size(); ++i) {
    const runtime::ChoicePoint& point = a.log[i];
    if (point.chosen == point.fallback) continue;
    const runtime::TraceEvent& event = *choices[i];
    const std::string previous = event.previous.empty() ? "the scheduler" : event.previous;
    std::string line = "step " + std::to_string(event.step) + ": ";
    if (point.continuing != 0) {
      line += "preemption: " + previous + " stopped at " + quoted(event.at) + ", " + event.fiber +
              " runs";
    } else {
      line += previous + " gave up the worker at " + quoted(event.at) + "; " + event.fiber +
              " runs, not " + names[point.fallback] + " (the longest waiting)";
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

std::optional<Shrunk> shrink_failure(const ScenarioConfig& config, const RunResult& failed,
                                     FailureClass kind, const DriverOptions& driver,
                                     const StressOptions& options,
                                     std::optional<unsigned> minimal_bound) {
  // A run the step cap stopped took millions of steps: each attempt would too.
  if (!failed.schedule || failed.stopped) return std::nullopt;
  Shrinker shrinker(config, kind, driver);
  Attempt best = shrinker.attempt(choices_of(*failed.schedule), {});
  if (!best.fails) return std::nullopt;  // not reproduced under the bounded policy
  Shrunk out;
  ShrinkReport& shrunk = out.report;
  shrunk.original_preemptions = best.preemptions;
  shrunk.original_steps = best.steps;
  shrinker.improve(best);

  if (minimal_bound) {
    shrunk.fewer_ruled_out = true;
  } else if (best.preemptions > 0 && !shrinker.interrupted()) {
    StressOptions search = options;
    search.explore = Explore::bounded;
    search.bound = best.preemptions - 1;
    search.shard = Shard{};
    search.seed_start = config.runtime.seed;
    search.target = kind;
    search.max_schedules = kShrinkSearchSchedules;
    search.shrink = false;
    search.on_run = nullptr;
    DriverOptions search_driver = driver;
    search_driver.stop_at.reset();
    search_driver.record_schedule = true;
    const StressClock no_deadline{std::chrono::steady_clock::time_point::max(), driver.interrupt};
    StressResult found;
    explore_bounded(config, search, search_driver, no_deadline, found);
    shrinker.count_runs(found.seeds_run);
    bool exhausted = !found.bounds.empty();
    for (const BoundCount& b : found.bounds) exhausted = exhausted && b.exhausted;
    if (found.failure && !found.failure->schedule.empty()) {
      // Every bound below the one it failed at ran to its end.
      exhausted = true;
      for (const BoundCount& b : found.bounds) {
        if (b.bound < *found.failure->bound) exhausted = exhausted && b.exhausted;
      }
      Attempt fewer =
          shrinker.attempt(choices_of(runtime::Schedule::parse(found.failure->schedule)), {});
      if (better(fewer, best)) {
        best = std::move(fewer);
        shrinker.improve(best);
      }
    }
    shrunk.fewer_ruled_out = exhausted;
  } else {
    shrunk.fewer_ruled_out = best.preemptions == 0;
  }
  if (shrinker.interrupted()) return std::nullopt;

  // The shrunk schedule once more, traced, for the lines that show it.
  Attempt traced = shrinker.attempt(best.switches, true);
  if (!traced.fails) return std::nullopt;  // cannot happen: the program is deterministic
  shrunk.switches = switches(traced);
  shrunk.preemptions = traced.preemptions;
  shrunk.steps = traced.steps;
  shrunk.runs = shrinker.runs();
  out.run = std::move(traced.run);
  out.run.trace.clear();
  return out;
}

}  // namespace tmpmc::scenarios
