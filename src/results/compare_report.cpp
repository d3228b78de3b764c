// compare_report.cpp: a comparison (compare.h) for people, as a table with
// its thresholds and findings, and for machines, as compare/v1.
#include <cstdio>
#include <string>
#include <vector>

#include "text_table.h"
#include "tmpmc/results/compare.h"
#include "tmpmc/results/schema.h"

namespace tmpmc::results {

using nlohmann::json;

void print_comparison(std::ostream& out, const Comparison& c, const CompareOptions& options) {
  std::vector<std::vector<std::string>> rows = {
      {"scenario", "metric", "base median", "new median", "change", "p-value", "verdict"}};
  bool untested = false;
  for (const MetricRow& r : c.rows) {
    char base[32], next[32], change[32], p[32];
    std::snprintf(base, sizeof base, "%.4g", r.base_median);
    std::snprintf(next, sizeof next, "%.4g", r.new_median);
    std::snprintf(change, sizeof change, "%+.1f%%", r.change * 100);
    if (r.p_value >= 0) {
      std::snprintf(p, sizeof p, "%.3g", r.p_value);
    } else {
      std::snprintf(p, sizeof p, "n/a*");
      untested = true;
    }
    rows.push_back({r.scenario, r.metric, base, next, change, p, to_string(r.verdict)});
  }
  detail::print_columns(out, rows);
  auto percent = [](double fraction) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g%%", fraction * 100);
    return std::string(text);
  };
  out << "threshold " << percent(options.threshold);
  for (const auto& [metric, threshold] : options.metric_thresholds) {
    out << ", " << metric << " " << percent(threshold);
  }
  out << "; alpha " << options.alpha
      << " (two-sided Mann-Whitney U where both sides have >= 5 runs)\n";
  if (untested) out << "* fewer than 5 runs on a side: the threshold alone decides\n";
  for (const auto& w : c.warnings) out << w << "\n";
  for (const auto& f : c.correctness_failures) out << "REGRESSION (correctness) " << f << "\n";
  for (const auto& n : c.only_in_base) {
    out << (c.missing_allowed ? "only in BASE (allowed): " : "REGRESSION (missing) only in BASE: ")
        << n << "\n";
  }
  for (const auto& n : c.only_in_new) out << "only in NEW: " << n << "\n";
}

json to_json(const Comparison& c, const CompareOptions& options) {
  json doc = {{"schema", kCompareSchema},
              {"threshold", options.threshold},
              {"alpha", options.alpha},
              {"regressed", c.regressed()},
              {"rows", json::array()},
              {"correctness_failures", c.correctness_failures},
              {"only_in_base", c.only_in_base},
              {"only_in_new", c.only_in_new},
              {"missing_allowed", c.missing_allowed},
              {"warnings", c.warnings},
              {"metric_thresholds", options.metric_thresholds}};
  for (const MetricRow& r : c.rows) {
    json row = {{"scenario", r.scenario},       {"metric", r.metric},
                {"base_median", r.base_median}, {"new_median", r.new_median},
                {"change", r.change},           {"base_runs", r.base_runs},
                {"new_runs", r.new_runs},       {"verdict", to_string(r.verdict)}};
    row["threshold"] = options.threshold_for(r.metric);
    row["p_value"] = r.p_value >= 0 ? json(r.p_value) : json(nullptr);
    doc["rows"].push_back(std::move(row));
  }
  return doc;
}

}  // namespace tmpmc::results
