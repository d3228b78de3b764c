// round_robin.cpp: the round-robin policy: the fiber that has been runnable
// longest runs (the runnable set is in arrival order at its front). No
// randomness: one schedule per program.
#include "policies/policy.h"

namespace tmpmc::runtime::detail {

namespace {
class RoundRobinPolicy final : public Policy {
 public:
  std::size_t pick(const Step&) override { return 0; }
};
}  // namespace

std::unique_ptr<Policy> make_round_robin_policy() { return std::make_unique<RoundRobinPolicy>(); }

}  // namespace tmpmc::runtime::detail
