#include "tmpmc/scenarios/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>

#include "text_table.h"

namespace tmpmc::scenarios {

using nlohmann::json;

namespace {

// Exact distribution of U for sample sizes m, n (no ties): count[u] = the
// number of orderings with U = u, by the recursion
// N(m, n, u) = N(m-1, n, u-n) + N(m, n-1, u).
std::vector<double> u_counts(std::size_t m, std::size_t n) {
  // table[i][j] is the count vector for sizes (i, j).
  std::vector<std::vector<std::vector<double>>> table(m + 1,
                                                      std::vector<std::vector<double>>(n + 1));
  for (std::size_t i = 0; i <= m; ++i) {
    for (std::size_t j = 0; j <= n; ++j) {
      std::vector<double>& counts = table[i][j];
      counts.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        counts[0] = 1;
        continue;
      }
      const auto& left = table[i - 1][j];  // the largest value is from the first sample: +j
      const auto& right = table[i][j - 1];
      for (std::size_t u = 0; u < left.size(); ++u) counts[u + j] += left[u];
      for (std::size_t u = 0; u < right.size(); ++u) counts[u] += right[u];
    }
  }
  return table[m][n];
}

double normal_two_sided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

struct Metric {
  std::string name;
  bool higher_is_better;
};

std::vector<double> run_values(const json& scenario, const std::string& metric) {
  std::vector<double> values;
  for (const json& run : scenario.value("runs", json::array())) {
    if (metric == "msgs_per_sec") {
      values.push_back(run.value("msgs_per_sec", 0.0));
    } else if (run.contains("latency_ns") && run["latency_ns"].contains(metric)) {
      values.push_back(run["latency_ns"][metric].get<double>());
    }
  }
  return values;
}

std::string correctness_of(const json& scenario) {
  std::string what;
  for (const json& run : scenario.value("runs", json::array())) {
    for (const char* key : {"lost", "duplicated", "phantom", "reordered", "hung"}) {
      const auto n = run.value(key, std::uint64_t{0});
      if (n != 0) {
        what += (what.empty() ? "" : ", ") + std::to_string(n) + " " + key;
      }
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

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t m = a.size(), n = b.size();
  if (m == 0 || n == 0) return 1.0;
  // Ranks of the pooled sample, ties getting their average rank.
  std::vector<std::pair<double, int>> pooled;
  for (double v : a) pooled.emplace_back(v, 0);
  for (double v : b) pooled.emplace_back(v, 1);
  std::sort(pooled.begin(), pooled.end());
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    const double t = static_cast<double>(j - i);
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    for (std::size_t k = i; k < j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += average_rank;
    }
    i = j;
  }
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  const double u = rank_sum_a - md * (md + 1) / 2;  // U of the first sample
  const double u_min = std::min(u, md * nd - u);
  if (!ties && m <= 25 && n <= 25) {
    const std::vector<double> counts = u_counts(m, n);
    double total = 0, at_most = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      total += counts[k];
      if (static_cast<double>(k) <= u_min + 1e-9) at_most += counts[k];
    }
    return std::min(1.0, 2.0 * at_most / total);
  }
  const double mean = md * nd / 2;
  const double variance = md * nd / 12 * ((md + nd + 1) - tie_term / ((md + nd) * (md + nd - 1)));
  if (variance <= 0) return 1.0;
  const double z = (std::fabs(u - mean) - 0.5) / std::sqrt(variance);  // continuity correction
  return std::min(1.0, normal_two_sided(std::max(0.0, z)));
}

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
  static const std::vector<std::string> metrics = {"msgs_per_sec", "p50", "p90", "p99",
                                                   "p999",         "max", "mean"};
  return metrics;
}

bool Comparison::regressed() const noexcept {
  return !correctness_failures.empty() ||
         std::any_of(rows.begin(), rows.end(),
                     [](const MetricRow& r) { return r.verdict == Verdict::regressed; });
}

json load_result(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw CompareError(path + ": no such file");
  std::ifstream in(path);
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw CompareError(path + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object() || doc.value("schema", "") != "tmpmc-bench/result/v1") {
    throw CompareError(path + ": schema: expected \"tmpmc-bench/result/v1\", got " +
                       (doc.is_object() && doc.contains("schema") ? doc["schema"].dump() : "none"));
  }
  if (!doc.contains("scenarios") || !doc["scenarios"].is_array()) {
    throw CompareError(path + ": scenarios: expected an array");
  }
  return doc;
}

Comparison compare(const json& base, const json& next, const CompareOptions& options) {
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
      row.base_median = detail::median_of(bv);
      row.new_median = detail::median_of(nv);
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
  json doc = {{"schema", "tmpmc-bench/compare/v1"},
              {"threshold", options.threshold},
              {"alpha", options.alpha},
              {"regressed", c.regressed()},
              {"rows", json::array()},
              {"correctness_failures", c.correctness_failures},
              {"only_in_base", c.only_in_base},
              {"only_in_new", c.only_in_new}};
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

}  // namespace tmpmc::scenarios
