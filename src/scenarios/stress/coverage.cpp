// coverage.cpp: a scenario's choice point coverage, against the queue's and
// the runtime's lists of sites.
#include "tmpmc/scenarios/coverage.h"

#include <span>

#include "tmpmc/queue/detail/choice_sites.h"

namespace tmpmc::scenarios {

namespace {
CoverageCount count(std::span<const runtime::ChoicePointSite* const> sites,
                    const runtime::ChoicePointSet& reached) {
  CoverageCount c;
  for (const runtime::ChoicePointSite* site : sites) {
    ++c.total;
    if (reached.test(site->id)) {
      ++c.reached;
    } else {
      c.unreached.emplace_back(site->label);
    }
  }
  return c;
}
}  // namespace

Coverage coverage_of(const runtime::ChoicePointSet& reached) {
  return Coverage{count(detail::sites::kQueueChoicePoints, reached),
                  count(runtime::runtime_choice_points(), reached)};
}

}  // namespace tmpmc::scenarios
