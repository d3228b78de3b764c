// compare_command.cpp: `tmpmc-bench compare BASE NEW`, the CI regression gate.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "tmpmc/scenarios/compare.h"
#include "tmpmc/scenarios/report.h"

namespace tmpmc::cli {

namespace {

namespace sc = tmpmc::scenarios;

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

  int execute() override {
    sc::CompareOptions options;
    options.alpha = alpha_;
    try {
      std::string text = threshold_text_;
      if (!text.empty() && text.back() == '%') text.pop_back();
      std::size_t used = 0;
      const double percent = std::stod(text, &used);
      if (used != text.size() || !(percent >= 0) || percent > 1000)
        throw std::invalid_argument("range");
      options.threshold = percent / 100.0;
    } catch (const std::exception&) {
      std::fprintf(stderr, "tmpmc-bench: --threshold: expected a percentage such as 5%%, got %s\n",
                   threshold_text_.c_str());
      return kUsage;
    }
    options.metrics.clear();
    std::stringstream list(metrics_text_);
    for (std::string metric; std::getline(list, metric, ',');) {
      const auto& known = sc::known_metrics();
      if (std::find(known.begin(), known.end(), metric) == known.end()) {
        std::fprintf(stderr,
                     "tmpmc-bench: --metrics: unknown metric \"%s\"; expected msgs_per_sec, p50, "
                     "p90, p99, p999, max or mean\n",
                     metric.c_str());
        return kUsage;
      }
      options.metrics.push_back(metric);
    }
    try {
      const auto comparison =
          sc::compare(sc::load_result(base_file_), sc::load_result(new_file_), options);
      sc::print_comparison(std::cout, comparison, options);
      if (!json_out_.empty()) {
        sc::write_file_atomically(json_out_, sc::to_json(comparison, options).dump(2) + "\n");
      }
      return comparison.regressed() ? kFail : kPass;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tmpmc-bench: %s\n", e.what());
      return kUsage;
    }
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
