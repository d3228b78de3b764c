// random.cpp: the random policy: uniformly among the runnable fibers, from
// a seeded Xoshiro256** (the same choices on every machine).
#include "policies/policy.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

namespace {
class RandomPolicy final : public Policy {
 public:
  explicit RandomPolicy(std::uint64_t seed) : rng_(seed) {}
  std::size_t pick(const Step& step) override { return rng_.below(step.runnable.size()); }

 private:
  Xoshiro256 rng_;
};
}  // namespace

std::unique_ptr<Policy> make_random_policy(std::uint64_t seed) {
  return std::make_unique<RandomPolicy>(seed);
}

}  // namespace tmpmc::runtime::detail
