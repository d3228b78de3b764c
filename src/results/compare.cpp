#include "tmpmc/results/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <string_view>

#include "text_table.h"
#include "tmpmc/results/schema.h"
#include "tmpmc/results/statistics.h"
#include "tmpmc/scenarios/failure_class.h"

namespace tmpmc::results {

using nlohmann::json;

namespace {

std::vector<double> run_values(const json& scenario, const std::string& metric) {
  std::vector<double> values;
  for (const json& run : scenario.value("runs", json::array())) {
    constexpr std::string_view kLateness = "lateness_";  // lateness_p99: send_lateness_ns.p99
    if (metric == "msgs_per_sec") {
      values.push_back(run.value("msgs_per_sec", 0.0));
    } else if (metric.rfind(kLateness, 0) == 0) {
      const std::string of = metric.substr(kLateness.size());
      if (run.contains("send_lateness_ns") && run["send_lateness_ns"].contains(of)) {
        values.push_back(run["send_lateness_ns"][of].get<double>());
      }
    } else if (run.contains("latency_ns") && run["latency_ns"].contains(metric)) {
      values.push_back(run["latency_ns"][metric].get<double>());
    }
  }
  return values;
}

std::string correctness_of(const json& scenario) {
  std::string what;
  for (const json& run : scenario.value("runs", json::array())) {
    // A run the step cap stopped is a livelock or a runaway; its "hung" count
    // is the same fibers again.
    const std::string stopped = run.value("stopped", "");
    if (stopped == "livelock" || stopped == "runaway") {
      what += (what.empty() ? "" : ", ") + stopped;
      continue;
    }
    for (const scenarios::FailureClass counted : scenarios::kCountedFailures) {
      const std::string key(scenarios::count_name(counted));
      const auto n = run.value(key, std::uint64_t{0});
      if (n != 0) what += (what.empty() ? "" : ", ") + std::to_string(n) + " " + key;
    }
  }
  if (what.empty() && scenario.value("verdict", "pass") == "fail") {
    for (const json& f : scenario.value("failures", json::array())) {
      const std::string line = f.get<std::string>();
      if (line.find("expect.") == std::string::npos) what += (what.empty() ? "" : "; ") + line;
    }
  }
  return what;
}

}  // namespace

const char* to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::ok:
      return "ok";
    case Verdict::improved:
      return "improved";
    case Verdict::regressed:
      return "regressed";
    case Verdict::noise:
      return "noise";
  }
  return "ok";
}

const std::vector<std::string>& known_metrics() {
  // lateness_*: the same percentiles of an open-loop run's send_lateness_ns.
  static const std::vector<std::string> metrics = {
      "msgs_per_sec",  "p50",          "p90",          "p99",          "p999",
      "max",           "mean",         "lateness_p50", "lateness_p90", "lateness_p99",
      "lateness_p999", "lateness_max", "lateness_mean"};
  return metrics;
}

bool Comparison::regressed() const noexcept {
  return !correctness_failures.empty() ||
         std::any_of(rows.begin(), rows.end(),
                     [](const MetricRow& r) { return r.verdict == Verdict::regressed; });
}

namespace {

json checked_result(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw CompareError(path + ": no such file");
  std::ifstream in(path);
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw CompareError(path + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object() || doc.value("schema", "") != kResultSchema) {
    throw CompareError(path + ": schema: expected \"" + std::string(kResultSchema) + "\", got " +
                       (doc.is_object() && doc.contains("schema") ? doc["schema"].dump() : "none"));
  }
  if (!doc.contains("scenarios") || !doc["scenarios"].is_array()) {
    throw CompareError(path + ": scenarios: expected an array");
  }
  return doc;
}

Comparison compare_documents(const json& base, const json& next, const CompareOptions& options) {
  Comparison c;
  std::map<std::string, const json*> base_by_name, next_by_name;
  for (const json& s : base["scenarios"]) base_by_name[s.value("name", "")] = &s;
  for (const json& s : next["scenarios"]) next_by_name[s.value("name", "")] = &s;
  for (const auto& [name, s] : base_by_name) {
    if (next_by_name.count(name) == 0) c.only_in_base.push_back(name);
  }
  for (const auto& [name, s] : next_by_name) {
    if (base_by_name.count(name) == 0) {
      c.only_in_new.push_back(name);
    }
    // Any correctness failure in NEW is a regression whatever the numbers.
    const std::string broken = correctness_of(*s);
    if (!broken.empty()) c.correctness_failures.push_back(name + ": " + broken);
  }
  for (const auto& [name, b] : base_by_name) {
    auto it = next_by_name.find(name);
    if (it == next_by_name.end()) continue;
    for (const std::string& metric : options.metrics) {
      const bool higher_is_better = metric == "msgs_per_sec";
      MetricRow row;
      row.scenario = name;
      row.metric = metric;
      const std::vector<double> bv = run_values(*b, metric), nv = run_values(*it->second, metric);
      row.base_runs = bv.size();
      row.new_runs = nv.size();
      row.base_median = median_of(bv);
      row.new_median = median_of(nv);
      row.change = row.base_median != 0 ? (row.new_median - row.base_median) / row.base_median : 0;
      const double better = higher_is_better ? row.change : -row.change;
      const bool tested = bv.size() >= 5 && nv.size() >= 5;
      if (tested) row.p_value = mann_whitney_p(bv, nv);
      const bool significant = !tested || row.p_value < options.alpha;
      if (std::fabs(row.change) <= options.threshold) {
        row.verdict = Verdict::ok;
      } else if (!significant) {
        row.verdict = Verdict::noise;
      } else {
        row.verdict = better > 0 ? Verdict::improved : Verdict::regressed;
      }
      c.rows.push_back(row);
    }
  }
  return c;
}

}  // namespace

// A document of the right schema can still hold a value of the wrong type:
// that is unreadable input too.
json load_result(const std::string& path) {
  try {
    return checked_result(path);
  } catch (const json::exception& e) {
    throw CompareError(e.what());
  }
}

Comparison compare(const json& base, const json& next, const CompareOptions& options) {
  try {
    return compare_documents(base, next, options);
  } catch (const json::exception& e) {
    throw CompareError(e.what());
  }
}

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
  char threshold[32];
  std::snprintf(threshold, sizeof threshold, "%.3g%%", options.threshold * 100);
  out << "threshold " << threshold << ", alpha " << options.alpha
      << " (two-sided Mann-Whitney U where both sides have >= 5 runs)\n";
  if (untested) out << "* fewer than 5 runs on a side: the threshold alone decides\n";
  for (const auto& f : c.correctness_failures) out << "REGRESSION (correctness) " << f << "\n";
  for (const auto& n : c.only_in_base) out << "only in BASE: " << n << "\n";
  for (const auto& n : c.only_in_new) out << "only in NEW: " << n << "\n";
}

json to_json(const Comparison& c, const CompareOptions& options) {
  json doc = {{"schema", kCompareSchema},       {"threshold", options.threshold},
              {"alpha", options.alpha},         {"regressed", c.regressed()},
              {"rows", json::array()},          {"correctness_failures", c.correctness_failures},
              {"only_in_base", c.only_in_base}, {"only_in_new", c.only_in_new}};
  for (const MetricRow& r : c.rows) {
    json row = {{"scenario", r.scenario},       {"metric", r.metric},
                {"base_median", r.base_median}, {"new_median", r.new_median},
                {"change", r.change},           {"base_runs", r.base_runs},
                {"new_runs", r.new_runs},       {"verdict", to_string(r.verdict)}};
    row["p_value"] = r.p_value >= 0 ? json(r.p_value) : json(nullptr);
    doc["rows"].push_back(std::move(row));
  }
  return doc;
}

}  // namespace tmpmc::results
