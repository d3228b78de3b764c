// compare.cpp: the relative CI gate (compare.h): NEW.json against BASE.json,
// per scenario and metric, each change with its verdict.
#include "tmpmc/results/compare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string_view>

#include "tmpmc/results/schema.h"
#include "tmpmc/results/statistics.h"
#include "tmpmc/scenarios/failure_class.h"

namespace tmpmc::results {

using nlohmann::json;

namespace {

// run_values(): the metric of each run that has it.
std::vector<double> run_values(const json& scenario, const std::string& metric) {
  std::vector<double> values;
  for (const json& run : scenario.value("runs", json::array())) {
    constexpr std::string_view kLateness = "lateness_";  // lateness_p99: send_lateness_ns.p99
    if (metric == "msgs_per_sec") {
      if (run.contains("msgs_per_sec")) values.push_back(run["msgs_per_sec"].get<double>());
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

double CompareOptions::threshold_for(const std::string& metric) const {
  const auto it = metric_thresholds.find(metric);
  return it != metric_thresholds.end() ? it->second : threshold;
}

bool Comparison::regressed() const noexcept {
  return !correctness_failures.empty() || (!missing_allowed && !only_in_base.empty()) ||
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

// scenarios_by_name(doc, file): each scenario of `doc` by its name. compare
// matches scenarios by name, so a name given twice is an error, not the last
// one silently kept.
std::map<std::string, const json*> scenarios_by_name(const json& doc, const std::string& file) {
  std::map<std::string, const json*> by_name;
  std::map<std::string, std::size_t> index_of;
  std::size_t index = 0;
  for (const json& s : doc["scenarios"]) {
    const std::string name = s.value("name", "");
    if (!by_name.emplace(name, &s).second) {
      throw CompareError(file + ": scenarios[" + std::to_string(index) + "]: the name \"" + name +
                         "\" is also scenarios[" + std::to_string(index_of[name]) +
                         "]'s; compare matches scenarios by name");
    }
    index_of[name] = index++;
  }
  return by_name;
}

// flatten(): a config's leaves as "section.key" -> value.
void flatten(const json& value, const std::string& path, std::map<std::string, json>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      flatten(child, path.empty() ? key : path + "." + key, out);
    }
  } else {
    out[path] = value;
  }
}

// changes_work(key): whether a config key changes the work a run does, so
// that runs with different values cannot be compared: everything but the
// scenario's name and description, how often it runs (run.repeat,
// run.warmup, run.timeout_ms) and its absolute gates (expect.*).
bool changes_work(const std::string& key) {
  return key != "name" && key != "description" && key.rfind("run.", 0) != 0 &&
         key.rfind("expect.", 0) != 0;
}

// work_difference(): the keys whose values differ, "messages (BASE 2000000,
// NEW 10000000)", comma-separated; "" when the work is the same.
std::string work_difference(const json& base, const json& next, const CompareOptions& options) {
  std::map<std::string, json> b, n;
  flatten(base.value("config", json::object()), "", b);
  flatten(next.value("config", json::object()), "", n);
  std::set<std::string> keys;
  for (const auto& [key, v] : b) keys.insert(key);
  for (const auto& [key, v] : n) keys.insert(key);
  std::string text;
  for (const std::string& key : keys) {
    if (!changes_work(key)) continue;
    const auto bi = b.find(key), ni = n.find(key);
    const std::string bv = bi == b.end() ? "unset" : bi->second.dump();
    const std::string nv = ni == n.end() ? "unset" : ni->second.dump();
    if (bv == nv) continue;
    text += (text.empty() ? "" : ", ") + key + " (" + options.base_file + " " + bv + ", " +
            options.new_file + " " + nv + ")";
  }
  return text;
}

// host_warnings(): one line per host or build fact the two files disagree on.
std::vector<std::string> host_warnings(const json& base, const json& next,
                                       const CompareOptions& options) {
  std::vector<std::string> warnings;
  const std::pair<const char*, const char*> facts[] = {
      {"host", "cpu_model"}, {"host", "cpus"}, {"tool", "build"}};
  for (const auto& [section, key] : facts) {
    auto fact = [section = section, key = key](const json& doc) -> const json* {
      if (!doc.contains(section) || !doc[section].is_object()) return nullptr;
      return doc[section].contains(key) ? &doc[section][key] : nullptr;
    };
    const json* b = fact(base);
    const json* n = fact(next);
    if (b == nullptr || n == nullptr || *b == *n) continue;
    warnings.push_back(std::string("warning: ") + section + "." + key + " differs: " +
                       options.base_file + " " + b->dump() + ", " + options.new_file + " " +
                       n->dump() + "; the numbers may measure the machines, not the code");
  }
  return warnings;
}

Comparison compare_documents(const json& base, const json& next, const CompareOptions& options) {
  Comparison c;
  c.missing_allowed = options.allow_missing;
  c.warnings = host_warnings(base, next, options);
  const auto base_by_name = scenarios_by_name(base, options.base_file);
  const auto next_by_name = scenarios_by_name(next, options.new_file);
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
    if (const std::string diff = work_difference(*b, *it->second, options);
        !diff.empty() && !options.allow_config_change) {
      throw CompareError("scenario \"" + name + "\": the configs differ in " + diff +
                         "; the runs did different work (--allow-config-change compares anyway)");
    }
    for (const std::string& metric : options.metrics) {
      const bool higher_is_better = metric == "msgs_per_sec";
      MetricRow row;
      row.scenario = name;
      row.metric = metric;
      const std::vector<double> bv = run_values(*b, metric), nv = run_values(*it->second, metric);
      // A metric a side lacks would compare as a median of 0 and pass.
      for (const auto& [values, file] :
           {std::pair(&bv, &options.base_file), std::pair(&nv, &options.new_file)}) {
        if (values->empty()) {
          throw CompareError(*file + ": scenario \"" + name + "\" has no " + metric +
                             " in any run; compare only metrics both files have (--metrics)");
        }
      }
      row.base_runs = bv.size();
      row.new_runs = nv.size();
      row.base_median = median_of(bv);
      row.new_median = median_of(nv);
      row.change = row.base_median != 0 ? (row.new_median - row.base_median) / row.base_median : 0;
      const double better = higher_is_better ? row.change : -row.change;
      const bool tested = bv.size() >= 5 && nv.size() >= 5;
      if (tested) row.p_value = mann_whitney_p(bv, nv);
      const bool significant = !tested || row.p_value < options.alpha;
      if (std::fabs(row.change) <= options.threshold_for(metric)) {
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

}  // namespace tmpmc::results
