// compare_command.cpp: `tmpmc-bench compare BASE NEW`, the CI regression gate.
#include <algorithm>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "tmpmc/results/compare.h"
#include "tmpmc/results/result_file.h"

namespace tmpmc::cli {

namespace {

namespace rs = tmpmc::results;

// parse_threshold("5%" | "5"): the fraction 0.05. Throws ConfigError.
double parse_threshold(std::string text) {
  const std::string given = text;
  try {
    if (!text.empty() && text.back() == '%') text.pop_back();
    std::size_t used = 0;
    const double percent = std::stod(text, &used);
    if (used == text.size() && percent >= 0 && percent <= 1000) return percent / 100.0;
  } catch (const std::exception&) {
  }
  throw scenarios::ConfigError("--threshold: expected a percentage such as 5%, got " + given);
}

// parse_metrics("msgs_per_sec,p99"): the names, each one compare knows. Throws ConfigError.
std::vector<std::string> parse_metrics(const std::string& text) {
  std::vector<std::string> metrics;
  std::stringstream list(text);
  for (std::string metric; std::getline(list, metric, ',');) {
    const auto& known = rs::known_metrics();
    if (std::find(known.begin(), known.end(), metric) == known.end()) {
      throw scenarios::ConfigError("--metrics: unknown metric \"" + metric +
                                   "\"; expected msgs_per_sec, p50, p90, p99, p999, max or mean");
    }
    metrics.push_back(metric);
  }
  return metrics;
}

class Compare : public Command {
 public:
  explicit Compare(CLI::App& parent)
      : app_(parent.add_subcommand(
            "compare",
            "Compare two result files: exit 1 if NEW regressed against BASE (the CI gate)")) {
    app_->add_option("base", base_file_, "Baseline result file (JSON)")->required();
    app_->add_option("new", new_file_, "New result file (JSON)")->required();
    app_->add_option("--threshold", threshold_text_,
                     "Relative change of a median that counts, in percent (\"5%\" or \"5\")")
        ->capture_default_str();
    app_->add_option("--metrics", metrics_text_,
                     "Comma-separated: msgs_per_sec, p50, p90, p99, p999, max, mean")
        ->capture_default_str();
    app_->add_option("--alpha", alpha_, "Significance level of the Mann-Whitney U test")
        ->capture_default_str()
        ->check(CLI::Range(1e-9, 0.5));
    app_->add_option("--json", json_out_, "Write the comparison to this file");
  }
  CLI::App* app() const override { return app_; }

  // execute(): bad options and unreadable files throw (main.cpp reports them).
  int execute() override {
    rs::CompareOptions options;
    options.alpha = alpha_;
    options.threshold = parse_threshold(threshold_text_);
    options.metrics = parse_metrics(metrics_text_);
    const auto comparison =
        rs::compare(rs::load_result(base_file_), rs::load_result(new_file_), options);
    rs::print_comparison(std::cout, comparison, options);
    if (!json_out_.empty()) rs::write_result_file(json_out_, rs::to_json(comparison, options));
    return comparison.regressed() ? kFail : kPass;
  }

 private:
  CLI::App* app_;
  std::string base_file_, new_file_, json_out_, threshold_text_ = "5%",
                                                metrics_text_ = "msgs_per_sec,p99";
  double alpha_ = 0.05;
};

}  // namespace

std::unique_ptr<Command> add_compare(CLI::App& app) { return std::make_unique<Compare>(app); }

}  // namespace tmpmc::cli
