// explore.cpp: the bounded search. Every schedule of a scenario with at most
// `bound` preemptions runs exactly once, bound by bound (CHESS's iterative
// context bounding, Musuvathi and Qadeer, PLDI 2007).
//
// A schedule is the fiber chosen at each choice point (a step with two or
// more runnable fibers). A choice is a preemption when the fiber that gave
// up the worker could have gone on (it yielded) and another runs; where it
// could not (it parked or finished), every choice is free. Each run follows a
// prefix of choices and then never preempts (policies/bounded.cpp), logging
// its choice points. Its branches are the other fibers at each choice point
// past its prefix: a free branch is explored at the same bound, a preempting
// one at the next. So the search is a tree: every schedule is one prefix
// followed by the default, reached from exactly one parent run, and its
// bound is its number of preemptions. Bound B runs exactly the schedules
// with B preemptions, and bound 0 to N together every schedule with at most
// N, each once. The counts depend only on the program: the same on every
// machine and every run.
//
// Shards. The first run (the default schedule) is every shard's; each of
// its branches, numbered in the order the search meets them, belongs to
// shard (number mod N), and each later branch to its parent's shard. So N
// shards run disjoint subtrees that together are the whole tree: their
// counts add up to the unsharded count (the first run counts in shard 1
// only), and a failing schedule replays anywhere with `run --schedule`.
//
// Reduction (StressOptions::reduce). Two schedules that order every pair of
// conflicting accesses alike are the same trace and reach the same state;
// each choice point carries the hash of the trace so far (happens_before.h).
// A run that reaches a point with the same hash and the same continuing
// fiber as an earlier run, with no fewer preemptions spent, can only repeat
// what the earlier run's branches from there explore (with at least as many
// preemptions left): it branches no further from that point on. Runs still
// run to their end and are checked; only branches are skipped. The counts
// stay the same on every machine; shards each skip only against their own
// runs, so their counts add up only with the reduction off.
//
// Memory: the branches waiting for the next bound (one prefix each, a few
// bytes per choice), the depth-first stack of the current one, and with
// the reduction, 16 bytes per distinct point reached.
#include "stress/explore.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tmpmc/runtime/rng.h"

namespace tmpmc::scenarios {

namespace {

// A schedule yet to run: its prefix (the last choice is the branch that
// makes it new) and the shard it belongs to.
struct Branch {
  std::vector<std::uint32_t> prefix;
  std::uint32_t shard;
};
constexpr std::uint32_t kFirstRun = std::numeric_limits<std::uint32_t>::max();

}  // namespace

void explore_bounded(const ScenarioConfig& config, const StressOptions& options,
                     const DriverOptions& driver_in, const StressClock& clock,
                     StressResult& result) {
  const ScenarioConfig c = stress_config(config, options.seed_start, 1);
  std::vector<runtime::ChoicePoint> log;
  DriverOptions driver = driver_in;
  driver.policy = runtime::SchedulePolicy{};
  driver.policy.kind = runtime::PolicyKind::bounded;
  driver.policy.choice_log = &log;
  driver.choice_points = options.choice_points;
  // (trace hash, continuing fiber) -> the fewest preemptions it was reached with.
  std::unordered_map<std::uint64_t, unsigned> visited;
  const std::uint32_t shards = options.shard.count;
  const std::uint32_t mine = options.shard.index - 1;
  std::uint32_t first_run_branches = 0;

  std::vector<Branch> this_bound{Branch{{}, kFirstRun}}, next_bound;
  for (unsigned bound = 0; bound <= options.bound; ++bound) {
    BoundCount count{bound, 0, false};
    // Depth first, in the order the branches were found (the stack's back
    // is the next to run).
    std::vector<Branch> stack(std::make_move_iterator(this_bound.rbegin()),
                              std::make_move_iterator(this_bound.rend()));
    this_bound.clear();
    bool stopped = false;
    std::vector<Branch> found;
    while (!stack.empty()) {
      if (clock.out_of_time() || result.seeds_run >= options.max_schedules) {
        stopped = true;
        break;
      }
      const Branch branch = std::move(stack.back());
      stack.pop_back();
      driver.policy.prefix = branch.prefix;
      const RunResult run = run_scenario(c, driver);
      if (run.stopped == runtime::StopKind::interrupted) {
        stopped = true;  // in the middle of the run: neither passed nor failed
        break;
      }
      const bool counted = branch.shard == kFirstRun ? mine == 0 : true;
      if (counted) {
        ++count.schedules;
        ++result.seeds_run;
        result.messages += run.check.received;
      }
      result.choice_points_reached |= run.choice_points_reached;
      if (options.on_run) options.on_run(run);
      const std::optional<FailureClass> kind = classify(run);
      if (kind && (!options.target || *kind == *options.target)) {
        StressFailure failure =
            report_failure(config, c, run, *kind, options.seed_start, options, driver_in, bound);
        failure.bound = bound;
        result.failure = std::move(failure);
        result.bounds.push_back(count);
        return;
      }
      // The branches past the prefix, where this run chose by default.
      found.clear();
      unsigned spent = 0;  // preemptions before choice i
      for (std::size_t i = 0; i < branch.prefix.size() && i < log.size(); ++i) {
        if (log[i].continuing != 0 && log[i].chosen != log[i].continuing) ++spent;
      }
      for (std::size_t i = branch.prefix.size(); i < log.size(); ++i) {
        const runtime::ChoicePoint& point = log[i];
        const bool preempts = point.continuing != 0;
        if (options.reduce) {
          const std::uint64_t key = runtime::mix64(point.state, point.continuing);
          const auto [seen, fresh] = visited.try_emplace(key, spent);
          if (!fresh && seen->second <= spent) break;  // explored from here already
          seen->second = spent;
        }
        // Past the prefix the run never preempts: `spent` stays.
        if (preempts && bound == options.bound) continue;  // past the last bound
        for (const std::uint32_t fiber : point.runnable) {
          if (fiber == point.chosen) continue;
          const std::uint32_t shard =
              branch.shard == kFirstRun ? first_run_branches++ % shards : branch.shard;
          if (shard != mine) continue;  // another shard's subtree
          Branch next{std::vector<std::uint32_t>(), shard};
          next.prefix.reserve(i + 1);
          for (std::size_t k = 0; k < i; ++k) next.prefix.push_back(log[k].chosen);
          next.prefix.push_back(fiber);
          (preempts ? next_bound : found).push_back(std::move(next));
        }
      }
      stack.insert(stack.end(), std::make_move_iterator(found.rbegin()),
                   std::make_move_iterator(found.rend()));
    }
    count.exhausted = !stopped;
    result.bounds.push_back(count);
    if (stopped) {
      result.out_of_time = true;
      return;
    }
    this_bound = std::move(next_bound);
    next_bound.clear();
  }
}

}  // namespace tmpmc::scenarios
