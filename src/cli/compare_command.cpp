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

// parse_percent(flag, "5%" | "5"): the fraction 0.05. Throws ConfigError.
double parse_percent(const std::string& flag, std::string text) {
  const std::string given = text;
  try {
    if (!text.empty() && text.back() == '%') text.pop_back();
    std::size_t used = 0;
    const double percent = std::stod(text, &used);
    if (used == text.size() && percent >= 0 && percent <= 1000) return percent / 100.0;
  } catch (const std::exception&) {
    // ignored: not a number; the error below says what was expected
  }
  throw scenarios::ConfigError(flag + ": expected a percentage such as 5%, got \"" + given + "\"");
}

bool known_metric(const std::string& metric) {
  const auto& known = rs::known_metrics();
  return std::find(known.begin(), known.end(), metric) != known.end();
}

// parse_thresholds("10%" | "msgs_per_sec=10%,p99=25%" | both, options): an
// entry without a metric sets the default for every metric, one with a metric
// overrides it for that metric, which must be among --metrics (a threshold
// that would never be used is a mistake, not a choice). Throws ConfigError.
void parse_thresholds(const std::string& text, rs::CompareOptions& options) {
  std::stringstream list(text);
  for (std::string entry; std::getline(list, entry, ',');) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) {
      options.threshold = parse_percent("--threshold", entry);
      continue;
    }
    const std::string metric = entry.substr(0, eq);
    const std::string flag = "--threshold " + metric;
    if (!known_metric(metric)) {
      throw scenarios::ConfigError("--threshold: unknown metric \"" + metric + "\"");
    }
    if (std::find(options.metrics.begin(), options.metrics.end(), metric) ==
        options.metrics.end()) {
      throw scenarios::ConfigError("--threshold: " + metric +
                                   " is not among the compared metrics (--metrics)");
    }
    options.metric_thresholds[metric] = parse_percent(flag, entry.substr(eq + 1));
  }
}

// parse_metrics("msgs_per_sec,p99"): the names, each one compare knows. Throws ConfigError.
std::vector<std::string> parse_metrics(const std::string& text) {
  std::vector<std::string> metrics;
  std::stringstream list(text);
  for (std::string metric; std::getline(list, metric, ',');) {
    if (!known_metric(metric)) {
      std::string known;
      for (const auto& name : rs::known_metrics()) known += (known.empty() ? "" : ", ") + name;
      throw scenarios::ConfigError("--metrics: unknown metric \"" + metric +
                                   "\"; expected one of " + known);
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
                     "Relative change of a median that counts, in percent: \"5%\" for every "
                     "metric, \"msgs_per_sec=10%,p99=25%\" per metric, or both")
        ->capture_default_str();
    app_->add_option("--metrics", metrics_text_,
                     "Comma-separated: msgs_per_sec, p50, p90, p99, p999, max, mean, and "
                     "lateness_ with any of the latency ones (lateness_p99)")
        ->capture_default_str();
    app_->add_option("--alpha", alpha_, "Significance level of the Mann-Whitney U test")
        ->capture_default_str()
        ->check(CLI::Range(1e-9, 0.5));
    app_->add_option("--json", json_out_, "Write the comparison to this file");
    app_->add_flag("--allow-missing", allow_missing_,
                   "A scenario in BASE but not in NEW is listed, not a failure");
    app_->add_flag("--allow-config-change", allow_config_change_,
                   "Compare scenarios whose configs differ in the work they do");
  }
  CLI::App* app() const override { return app_; }

  // execute(): bad options and unreadable files throw (cli.cpp reports them).
  int execute() override {
    rs::CompareOptions options;
    options.alpha = alpha_;
    options.metrics = parse_metrics(metrics_text_);
    parse_thresholds(threshold_text_, options);
    options.allow_missing = allow_missing_;
    options.allow_config_change = allow_config_change_;
    options.base_file = base_file_;
    options.new_file = new_file_;
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
  bool allow_missing_ = false, allow_config_change_ = false;
};

}  // namespace

std::unique_ptr<Command> add_compare(CLI::App& app) { return std::make_unique<Compare>(app); }

}  // namespace tmpmc::cli
