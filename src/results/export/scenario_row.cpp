// scenario_row.cpp: a scenario's summary line, read from its config and summary.
#include "scenario_row.h"

#include <cmath>

namespace tmpmc::results::detail {

std::string impl_of(const Located& scenario) {
  return scenario.has("impl") ? scenario.text("impl") : scenario.text("config.queue.impl");
}

ScenarioRow scenario_row(const Located& scenario) {
  ScenarioRow row;
  row.name = scenario.text("name");
  const auto count = [&](std::string_view path) {
    return std::to_string(std::llround(scenario.number(path)));
  };
  row.shape = count("config.producers.count") + "p:" + count("config.consumers.count") + "c";
  row.capacity = scenario.number("config.queue.capacity");
  row.workers = scenario.number("config.runtime.workers");
  row.placement = scenario.has("config.runtime.placement")
                      ? scenario.text("config.runtime.placement")
                      : std::string("local");
  row.impl = impl_of(scenario);
  row.median_msgs_per_sec = scenario.number("summary.msgs_per_sec.median");
  row.min_msgs_per_sec = scenario.number("summary.msgs_per_sec.min");
  row.max_msgs_per_sec = scenario.number("summary.msgs_per_sec.max");
  row.p50_ns = scenario.number("summary.latency_ns.p50");
  row.p99_ns = scenario.number("summary.latency_ns.p99");
  row.p999_ns = scenario.number("summary.latency_ns.p999");
  row.verdict = scenario.text("verdict");
  return row;
}

}  // namespace tmpmc::results::detail
