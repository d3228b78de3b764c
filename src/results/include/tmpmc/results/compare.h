// compare.h: the relative CI gate: NEW.json against BASE.json, per scenario and metric.
#pragma once

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
  double alpha = 0.05;
  std::vector<std::string> metrics = {"msgs_per_sec", "p99"};
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
  std::vector<std::string> only_in_base, only_in_new;
  bool regressed() const noexcept;
};

// CompareError: unreadable input, a schema mismatch or a value of the wrong
// type (exit code 2).
class CompareError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The metrics compare understands.
const std::vector<std::string>& known_metrics();
// load_result(): a result/v1 document. Throws CompareError.
nlohmann::json load_result(const std::string& path);
// compare(): each metric of each scenario in both; any correctness failure in
// NEW is a regression whatever the numbers. Throws CompareError.
Comparison compare(const nlohmann::json& base, const nlohmann::json& next,
                   const CompareOptions& options);
void print_comparison(std::ostream& out, const Comparison& c, const CompareOptions& options);
// to_json(): the compare/v1 document.
nlohmann::json to_json(const Comparison& c, const CompareOptions& options);

}  // namespace tmpmc::results
