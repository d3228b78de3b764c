// table.cpp: the results table people read, then its notes and failures.
#include "tmpmc/results/table.h"

#include <algorithm>
#include <cstdio>

#include "text_table.h"
#include "tmpmc/results/units.h"

namespace tmpmc::results {

using detail::humane_ns;
using detail::humane_rate;

void print_table(std::ostream& out, const std::vector<ScenarioResult>& results,
                 const ReportContext& context) {
  const bool grouped = std::any_of(results.begin(), results.end(),
                                   [](const auto& r) { return !r.baseline_impl.empty(); });
  std::vector<std::vector<std::string>> rows = {{"scenario", "shape", "cap", "workers",
                                                 "msgs/s (min-max)", "p50", "p99", "p99.9", "max",
                                                 "sw/msg", "verdict"}};
  // Open loop: the sends' lateness beside the latency it is part of.
  const bool open_loop = std::any_of(results.begin(), results.end(), [](const auto& r) {
    return r.config.producers.rate_per_sec > 0;
  });
  constexpr std::size_t kLatenessAt = 9;  // after "max"
  if (open_loop) rows[0].insert(rows[0].begin() + kLatenessAt, {"late p50", "late p99"});
  if (grouped) rows[0].insert(rows[0].begin() + 5, "vs first");
  for (const auto& r : results) {
    const auto& c = r.config;
    char sw[32];
    std::snprintf(sw, sizeof sw, "%.3f", r.switches_per_msg);
    const bool sampled = r.latency.count() != 0;
    rows.push_back(
        {c.name, std::to_string(c.producers.count) + "p:" + std::to_string(c.consumers.count) + "c",
         std::to_string(c.queue.capacity),
         std::to_string(c.runtime.workers) + (c.runtime.deterministic ? " det" : "") +
             (c.runtime.placement == scenarios::Placement::spread ? " spread" : ""),
         humane_rate(r.median_msgs_per_sec) + " (" + humane_rate(r.min_msgs_per_sec) + "-" +
             humane_rate(r.max_msgs_per_sec) + ")",
         sampled ? humane_ns(r.latency.percentile(50)) : "-",
         sampled ? humane_ns(r.latency.percentile(99)) : "-",
         sampled ? humane_ns(r.latency.percentile(99.9)) : "-",
         sampled ? humane_ns(r.latency.max()) : "-", sw,
         r.interrupted ? "interrupted"
         : r.passed()  ? "pass"
                       : "FAIL"});
    if (open_loop) {
      const bool paced = r.send_lateness.count() != 0;
      rows.back().insert(rows.back().begin() + kLatenessAt,
                         {paced ? humane_ns(r.send_lateness.percentile(50)) : "-",
                          paced ? humane_ns(r.send_lateness.percentile(99)) : "-"});
    }
    if (grouped) {
      // Throughput against the group's first impl: 2.00x means twice as fast.
      char ratio[32] = "-";
      if (!r.baseline_impl.empty() && r.ratio_msgs_per_sec > 0) {
        std::snprintf(ratio, sizeof ratio, "%.2fx", r.ratio_msgs_per_sec);
      }
      rows.back().insert(rows.back().begin() + 5, ratio);
    }
  }
  detail::print_columns(out, rows);
  out << "latency: " << context.clock << "; closed-loop producers stamp 1 message in "
      << "latency.sample_every, open-loop producers every message (from its intended send time)\n";
  if (open_loop) {
    out << "late: how late open-loop sends started against their intended time, the tool's "
           "pacing error that latency includes; latency close to it says little of the queue\n";
  }
  if (grouped) {
    out << "vs first: median throughput against the first impl of the same scenario (runs "
           "interleaved)\n";
  }
  for (const auto& r : results) {
    if (!r.note.empty()) out << r.config.name << ": " << r.note << "\n";
  }
  for (const auto& r : results) {
    if (r.failures.empty()) continue;
    out << "\n" << r.config.name << ":\n";
    for (const auto& f : r.failures) out << "  " << f << "\n";
  }
}

}  // namespace tmpmc::results
