// compare.h: the relative CI gate: NEW.json against BASE.json, per scenario and metric.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tmpmc::results {

enum class Verdict { ok, improved, regressed, noise };
const char* to_string(Verdict v) noexcept;

struct CompareOptions {
  double threshold = 0.05;  // relative change of the median that counts
  // Per metric, in place of `threshold` (--threshold msgs_per_sec=10%,p99=25%).
  std::map<std::string, double> metric_thresholds;
  double alpha = 0.05;
  std::vector<std::string> metrics = {"msgs_per_sec", "p99"};
  // A scenario only in BASE is listed, not a failure (--allow-missing).
  bool allow_missing = false;
  // Scenarios whose configs differ in their work are compared anyway
  // (--allow-config-change); otherwise that is a CompareError.
  bool allow_config_change = false;
  // How errors and warnings name the two documents (their paths).
  std::string base_file = "BASE", new_file = "NEW";

  double threshold_for(const std::string& metric) const;
};

struct MetricRow {
  std::string scenario, metric;
  double base_median = 0, new_median = 0, change = 0;  // change: (new - base) / base
  std::size_t base_runs = 0, new_runs = 0;
  double p_value = -1;  // < 0: not tested (fewer than 5 runs on a side)
  Verdict verdict = Verdict::ok;
};

struct Comparison {
  std::vector<MetricRow> rows;
  // scenario: what NEW got wrong (a count of a FailureClass, or a failed check)
  std::vector<std::string> correctness_failures;
  // only_in_base fails the gate unless CompareOptions::allow_missing, which
  // sets missing_allowed; only_in_new is listed and never fails.
  std::vector<std::string> only_in_base, only_in_new;
  bool missing_allowed = false;
  // One line per host or build fact that differs between the two files.
  std::vector<std::string> warnings;
  bool regressed() const noexcept;
};

// CompareError: unreadable input, a schema mismatch, a value of the wrong
// type, a scenario name twice in one file, a requested metric missing from a
// scenario, or a scenario whose work differs between the files (exit code 2).
class CompareError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The metrics compare understands.
const std::vector<std::string>& known_metrics();
// load_result(): a result/v1 document. Throws CompareError.
nlohmann::json load_result(const std::string& path);
// compare(): each metric of each scenario in both; any correctness failure in
// NEW is a regression whatever the numbers, and so is a scenario missing
// from NEW (unless allowed). Throws CompareError.
Comparison compare(const nlohmann::json& base, const nlohmann::json& next,
                   const CompareOptions& options);
void print_comparison(std::ostream& out, const Comparison& c, const CompareOptions& options);
// to_json(): the compare/v1 document.
nlohmann::json to_json(const Comparison& c, const CompareOptions& options);

}  // namespace tmpmc::results
