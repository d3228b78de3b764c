// scenario_row.h: the one-line summary of a scenario that the CSV and
// Markdown exports print (private to export).
#pragma once

#include <string>

#include "result_fields.h"

namespace tmpmc::results::detail {

struct ScenarioRow {
  std::string name;
  std::string shape;  // "4p:4c"
  double capacity = 0, workers = 0;
  std::string placement;  // runtime.placement: local (also for files older than the key) or spread
  std::string impl;
  double median_msgs_per_sec = 0, min_msgs_per_sec = 0, max_msgs_per_sec = 0;
  double p50_ns = 0, p99_ns = 0, p999_ns = 0;
  std::string verdict;  // pass, fail or interrupted
};

// impl_of(scenario): the queue implementation it ran on (the scenario's
// "impl", else its config's queue.impl).
std::string impl_of(const Located& scenario);
ScenarioRow scenario_row(const Located& scenario);

}  // namespace tmpmc::results::detail
