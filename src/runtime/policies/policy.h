// policy.h: how a deterministic runtime chooses the next fiber. One
// implementation per file in this folder, as Boost.Fiber's algo/ has its
// scheduling algorithms: a new way to schedule is one more file here and
// one more case in make_policy.cpp. The deterministic picker
// (deterministic_picker.h) is their only caller: it asks at every step,
// records what was chosen, and stops the run when a policy cannot go on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "tmpmc/runtime/runtime.h"

namespace tmpmc::runtime::detail {

class Fiber;

// RunnableSet: the fibers that may run at a step, in a deterministic order
// (the order they became runnable, except that a pick from the middle moves
// the last fiber into its place).
using RunnableSet = std::deque<Fiber*>;

// Step: what a policy is asked at one scheduling step.
struct Step {
  const RunnableSet& runnable;  // never empty; one fiber: a forced step
  std::uint64_t previous;       // id of the fiber that gave up the worker (0: none)
  std::uint64_t number;         // steps before this one, over all runs of the runtime
  std::uint64_t state;  // the run's trace hash so far (bounded policy only; happens_before.h)
};

class Policy {
 public:
  // kDiverged: pick() cannot choose (a replay whose recording does not fit
  // the program); divergence() says why.
  static constexpr std::size_t kDiverged = ~std::size_t{0};

  virtual ~Policy() = default;
  // pick(): the index in step.runnable of the fiber to run, or kDiverged.
  // Random, round robin and replay take constant time; PCT, POS and the
  // bounded search's policy are linear in the set.
  virtual std::size_t pick(const Step& step) = 0;
  // begin_run(): a block_on starts (replay starts its recording over).
  virtual void begin_run() {}
  // end_of_run(): the run ended (its root finished, or every fiber is parked)
  // after `steps` steps; false if the policy expected it to go on (replay:
  // steps left in the recording), divergence() then says why.
  virtual bool end_of_run(std::uint64_t /*steps*/) { return true; }
  virtual std::string divergence() const { return {}; }
};

// One factory per policy file.
std::unique_ptr<Policy> make_random_policy(std::uint64_t seed);
std::unique_ptr<Policy> make_round_robin_policy();
std::unique_ptr<Policy> make_pct_policy(std::uint64_t seed, const SchedulePolicy& config);
std::unique_ptr<Policy> make_replay_policy(const Schedule& schedule);
std::unique_ptr<Policy> make_bounded_policy(const SchedulePolicy& config);
std::unique_ptr<Policy> make_pos_policy(std::uint64_t seed);

// make_policy(): the run's policy, chosen once (make_policy.cpp).
std::unique_ptr<Policy> make_policy(const SchedulePolicy& config, std::uint64_t seed);

}  // namespace tmpmc::runtime::detail
