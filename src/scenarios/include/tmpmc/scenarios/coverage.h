// coverage.h: which of the queue's and the runtime's choice points
// (runtime/choice_point.h) a stress scenario's runs passed through.
#pragma once

#include <string>
#include <vector>

#include "tmpmc/runtime/choice_point.h"

namespace tmpmc::scenarios {

struct CoverageCount {
  unsigned reached = 0;
  unsigned total = 0;
  std::vector<std::string> unreached;  // the labels of the sites no run reached
};

struct Coverage {
  CoverageCount queue;    // the ring's sites (queue/detail/choice_sites.h)
  CoverageCount runtime;  // the wait lists', park words' and Notify's
};

// coverage_of(): `reached` (site ids) against every site of both layers.
Coverage coverage_of(const runtime::ChoicePointSet& reached);

}  // namespace tmpmc::scenarios
