// pct.cpp: the PCT policy (probabilistic concurrency testing), with a fair
// tail.
#include <algorithm>
#include <climits>
#include <unordered_map>
#include <vector>

#include "policies/policy.h"
#include "tmpmc/runtime/detail/fiber.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

namespace {

// PCT (Burckhardt et al., ASPLOS 2010): every fiber gets a random priority
// above `depth`; at depth-1 random choices the fiber that just ran drops to
// a priority below every initial one. The highest-priority runnable fiber
// runs. Finds any bug of depth d with probability >= 1/(n * k^(d-1)), where
// k is the run's length: here its choices, the steps with two or more
// runnable fibers. A forced step (one runnable fiber) neither counts toward
// k nor can hold a change point: a change point there would lower the only
// fiber that can run and change nothing, so the depth would be spent.
// The change points are drawn below SchedulePolicy::pct_expected_choices,
// which the scenario driver learns from a first run of the scenario
// (scenarios/driver.h): with a fixed guess far above the real length, most
// change points fall after the run ends and pct:3 behaves like pct:1.
//
// Fairness: plain PCT starves every fiber below one that never stops being
// runnable. A consumer polling with receive_for in virtual time is such a
// fiber: its timer makes it runnable again before the lower fibers get a
// step, and the run never ends. After `fair_after` steps PCT therefore picks
// uniformly at random, as Coyote's fair PCT does after its prioritized
// prefix: any runnable fiber then runs within a few steps with high
// probability, so a polling loop cannot keep a producer away forever, and a
// true livelock still spins until the runtime's step cap reports it. The
// depth guarantee is kept for the first `fair_after` steps, which covers the
// whole of a normal stress run; runs that end within them schedule exactly
// as plain PCT. Why not shuttle's rule (a fiber that yields drops to the
// lowest priority): here every scheduling point is a yield, every labelled
// access included, so that rule would reorder priorities at every step and
// PCT's depth would mean nothing.
class PctPolicy final : public Policy {
 public:
  PctPolicy(std::uint64_t seed, int depth, std::uint64_t expected_choices, std::uint64_t fair_after)
      : rng_(seed), fair_after_(fair_after) {
    depth_ = std::max(depth, 1);
    const std::uint64_t k = std::max<std::uint64_t>(expected_choices, 1);
    for (int i = 1; i < depth_; ++i) change_points_.push_back(rng_.below(k));
    std::sort(change_points_.begin(), change_points_.end());
  }

  // Each run (block_on) meets the same change points, counted from its start.
  void begin_run() override {
    choices_ = 0;
    next_change_ = 0;
  }

  std::size_t pick(const Step& s) override {
    const RunnableSet& runnable = s.runnable;
    if (runnable.size() == 1) return 0;  // forced: not a choice, not counted
    if (s.number >= fair_after_) return rng_.below(runnable.size());
    while (next_change_ < change_points_.size() && change_points_[next_change_] <= choices_) {
      // Change point i lowers the fiber that just ran to priority depth - 1 - i.
      priority_[s.previous] =
          static_cast<std::int64_t>(depth_) - 1 - static_cast<std::int64_t>(next_change_);
      ++next_change_;
    }
    ++choices_;
    std::size_t best = 0;
    std::int64_t best_priority = INT64_MIN;
    for (std::size_t i = 0; i < runnable.size(); ++i) {
      const std::int64_t p = priority_of(runnable[i]->id());
      if (p > best_priority) {
        best_priority = p;
        best = i;
      }
    }
    return best;
  }

 private:
  std::int64_t priority_of(std::uint64_t id) {
    auto [it, inserted] = priority_.try_emplace(id, 0);
    if (inserted) it->second = depth_ + static_cast<std::int64_t>(rng_.below(1u << 30));
    return it->second;
  }

  Xoshiro256 rng_;
  std::uint64_t fair_after_;
  int depth_;
  std::vector<std::uint64_t> change_points_;  // in choices since the run began, sorted
  std::size_t next_change_ = 0;
  std::uint64_t choices_ = 0;  // choices so far in this run
  std::unordered_map<std::uint64_t, std::int64_t> priority_;
};

}  // namespace

std::unique_ptr<Policy> make_pct_policy(std::uint64_t seed, const SchedulePolicy& config) {
  return std::make_unique<PctPolicy>(seed, config.pct_depth, config.pct_expected_choices,
                                     config.pct_fair_after);
}

}  // namespace tmpmc::runtime::detail
