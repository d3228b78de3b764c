// pos.cpp: the POS policy (partial-order sampling), in the form the Fray
// paper (OOPSLA 2025) found to beat PCT on real bugs.
#include <unordered_map>

#include "policies/policy.h"
#include "tmpmc/runtime/detail/fiber.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

namespace {

// POS (Yuan et al., CAV 2018; the variant Fray uses): every fiber has a
// random priority and the highest runnable one runs; at each choice (two or
// more runnable fibers) every runnable fiber's priority is first re-drawn
// with probability 1/2. Unlike the random policy, a fiber whose priority was
// not re-drawn keeps its rank, so runs of one fiber ahead of another (what an
// ordering bug needs) are far likelier than under uniform picks; unlike PCT
// it needs no estimate of the run's length and no depth. It is fair without
// a tail: a priority survives each choice with probability 1/2, so every
// runnable fiber runs within a few choices with high probability and a
// polling fiber cannot starve the others.
class PosPolicy final : public Policy {
 public:
  explicit PosPolicy(std::uint64_t seed) : rng_(seed) {}

  std::size_t pick(const Step& step) override {
    const RunnableSet& runnable = step.runnable;
    if (runnable.size() == 1) return 0;  // forced: nothing to sample
    std::size_t best = 0;
    std::uint64_t best_priority = 0;
    for (std::size_t i = 0; i < runnable.size(); ++i) {
      auto [it, fresh] = priority_.try_emplace(runnable[i]->id(), 0);
      // One draw decides both: its low bit is the coin, the rest the priority.
      const std::uint64_t draw = rng_.next();
      if (fresh || (draw & 1) != 0) it->second = draw >> 1;
      if (i == 0 || it->second > best_priority) {
        best_priority = it->second;
        best = i;
      }
    }
    return best;
  }

 private:
  Xoshiro256 rng_;
  std::unordered_map<std::uint64_t, std::uint64_t> priority_;  // fiber id -> priority
};

}  // namespace

std::unique_ptr<Policy> make_pos_policy(std::uint64_t seed) {
  return std::make_unique<PosPolicy>(seed);
}

}  // namespace tmpmc::runtime::detail
