// make_policy.cpp: the one place that maps SchedulePolicy::kind to a policy.
#include "policies/policy.h"

namespace tmpmc::runtime::detail {

std::unique_ptr<Policy> make_policy(const SchedulePolicy& config, std::uint64_t seed) {
  switch (config.kind) {
    case PolicyKind::random:
      return make_random_policy(seed);
    case PolicyKind::pct:
      return make_pct_policy(seed, config);
    case PolicyKind::round_robin:
      return make_round_robin_policy();
    case PolicyKind::replay:
      return make_replay_policy(config.replay);
    case PolicyKind::bounded:
      return make_bounded_policy(config);
    case PolicyKind::pos:
      return make_pos_policy(seed);
  }
  return make_random_policy(seed);
}

}  // namespace tmpmc::runtime::detail
