// main.cpp: tmpmc-bench's command line: CLI11 subcommands, nothing else.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>
#include <sstream>

#include "tmpmc/scenarios/compare.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/report.h"
#include "tmpmc/scenarios/runner.h"
#include "tmpmc_version.h"

namespace {

namespace sc = tmpmc::scenarios;

// Exit codes (DESIGN.md).
constexpr int kPass = 0, kFail = 1, kUsage = 2, kInterrupted = 130;

// The one piece of process-wide state: set by SIGINT, read by the running scenario.
std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) {
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

std::vector<sc::ScenarioConfig> load_all(const std::vector<std::string>& files) {
  std::vector<sc::ScenarioConfig> all;
  for (const auto& file : files) {
    auto more = sc::load_scenarios(file);
    all.insert(all.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tmpmc-bench: benchmark and stress-test an async bounded MPMC queue"};
  app.set_version_flag("--version", std::string("tmpmc-bench ") + TMPMC_VERSION + " (" +
                                        TMPMC_GIT_COMMIT + ", " + TMPMC_BUILD_TYPE + ")");
  app.require_subcommand(0, 1);

  std::vector<std::string> files;
  std::string json_out, filter;
  bool quiet = false, deterministic = false;
  sc::Overrides overrides;
  unsigned repeat = 0, workers = 0;
  std::string impl_list;
  std::uint64_t seed = 0;

  CLI::App* run =
      app.add_subcommand("run", "Run scenario files and report throughput, latency and checks");
  run->add_option("files", files, "Scenario files (JSON)")->required();
  run->add_option("--json", json_out, "Write the results (schema v1) to this file");
  run->add_flag("--quiet,-q", quiet, "No table on stdout");
  run->add_option("--filter", filter, "Run only scenarios whose name matches this regex");
  auto* repeat_opt = run->add_option("--repeat", repeat, "Measured runs per scenario")
                         ->check(CLI::Range(1u, 10000u));
  auto* seed_opt = run->add_option("--seed", seed, "Seed for every scenario");
  auto* workers_opt = run->add_option("--workers", workers, "Worker threads")
                          ->check(CLI::Range(1u, sc::kMaxWorkers));
  run->add_option("--impl", impl_list,
                  "Queue implementations, comma-separated (runs interleaved, ratios against the "
                  "first): tmpmc, boost-fiber, mutex, threads, seed");
  run->add_flag("--deterministic", deterministic,
                "Deterministic mode: 1 worker, seeded schedule, virtual time");
  run->add_option("--scale", overrides.scale,
                  "Multiply messages and duration_ms (e.g. 0.01 for a smoke run)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            try {
              if (std::stod(text) > 0) return "";
            } catch (const std::exception&) {
            }
            return "expected a number > 0, got " + text;
          },
          "NUMBER > 0"));

  std::vector<std::string> validate_files;
  CLI::App* validate = app.add_subcommand("validate", "Check scenario files without running them");
  validate->add_option("files", validate_files, "Scenario files (JSON)")->required();

  std::string base_file, new_file, compare_json, threshold_text = "5%",
                                                 metrics_text = "msgs_per_sec,p99";
  double alpha = 0.05;
  CLI::App* compare = app.add_subcommand(
      "compare", "Compare two result files: exit 1 if NEW regressed against BASE (the CI gate)");
  compare->add_option("base", base_file, "Baseline result file (JSON)")->required();
  compare->add_option("new", new_file, "New result file (JSON)")->required();
  compare
      ->add_option("--threshold", threshold_text,
                   "Relative change of a median that counts, in percent (\"5%\" or \"5\")")
      ->capture_default_str();
  compare
      ->add_option("--metrics", metrics_text,
                   "Comma-separated: msgs_per_sec, p50, p90, p99, p999, max, mean")
      ->capture_default_str();
  compare->add_option("--alpha", alpha, "Significance level of the Mann-Whitney U test")
      ->capture_default_str()
      ->check(CLI::Range(1e-9, 0.5));
  compare->add_option("--json", compare_json, "Write the comparison to this file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the usage error
    return code == 0 ? kPass : kUsage;
  }

  if (*validate) {
    try {
      std::size_t n = load_all(validate_files).size();
      std::printf("ok: %zu scenario%s in %zu file%s\n", n, n == 1 ? "" : "s", validate_files.size(),
                  validate_files.size() == 1 ? "" : "s");
      return kPass;
    } catch (const sc::ConfigError& e) {
      std::fprintf(stderr, "tmpmc-bench: %s\n", e.what());
      return kUsage;
    }
  }
  if (*compare) {
    sc::CompareOptions options;
    options.alpha = alpha;
    try {
      std::string text = threshold_text;
      if (!text.empty() && text.back() == '%') text.pop_back();
      std::size_t used = 0;
      const double percent = std::stod(text, &used);
      if (used != text.size() || !(percent >= 0) || percent > 1000)
        throw std::invalid_argument("range");
      options.threshold = percent / 100.0;
    } catch (const std::exception&) {
      std::fprintf(stderr, "tmpmc-bench: --threshold: expected a percentage such as 5%%, got %s\n",
                   threshold_text.c_str());
      return kUsage;
    }
    options.metrics.clear();
    std::stringstream list(metrics_text);
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
          sc::compare(sc::load_result(base_file), sc::load_result(new_file), options);
      sc::print_comparison(std::cout, comparison, options);
      if (!compare_json.empty()) {
        sc::write_file_atomically(compare_json, sc::to_json(comparison, options).dump(2) + "\n");
      }
      return comparison.regressed() ? kFail : kPass;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tmpmc-bench: %s\n", e.what());
      return kUsage;
    }
  }
  if (!*run) {
    std::fputs(app.help().c_str(), stdout);
    return kPass;
  }

  std::vector<sc::ScenarioConfig> configs;
  try {
    configs = load_all(files);
    if (!filter.empty()) {
      std::regex pattern;
      try {
        pattern = std::regex(filter);
      } catch (const std::regex_error& e) {
        throw sc::ConfigError("--filter: not a valid regular expression: " + filter);
      }
      std::erase_if(configs, [&](const auto& c) { return !std::regex_search(c.name, pattern); });
      if (configs.empty()) throw sc::ConfigError("--filter: no scenario name matches " + filter);
    }
    if (*repeat_opt) overrides.repeat = repeat;
    if (*seed_opt) overrides.seed = seed;
    if (*workers_opt) overrides.workers = workers;
    if (deterministic) overrides.deterministic = true;
    if (!impl_list.empty()) overrides.impls = sc::parse_impl_list(impl_list);
    sc::apply_overrides(configs, overrides);
  } catch (const sc::ConfigError& e) {
    std::fprintf(stderr, "tmpmc-bench: %s\n", e.what());
    return kUsage;
  }

  if (!json_out.empty()) {
    // Fail before running anything, not after: the directory must take a new file.
    const std::filesystem::path dir = std::filesystem::absolute(json_out).parent_path();
    if (!std::filesystem::is_directory(dir) || ::access(dir.c_str(), W_OK) != 0) {
      std::fprintf(stderr,
                   "tmpmc-bench: --json %s: directory %s does not exist or is not writable\n",
                   json_out.c_str(), dir.c_str());
      return kUsage;
    }
  }

  std::signal(SIGINT, on_sigint);
  const sc::TimestampClock clock = sc::TimestampClock::calibrate();
  sc::DriverOptions options;
  options.clock = &clock;
  options.interrupt = &g_interrupted;
  const sc::ReportContext context{sc::utc_now_iso8601(), clock.describe()};
  const bool show_progress = ::isatty(STDERR_FILENO) != 0;
  auto progress = [&](const sc::Progress& p) {
    if (!show_progress) return;
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s %u/%u", p.scenario, p.scenarios, p.name.c_str(),
                 p.warmup ? "warm-up" : "run", p.run, p.runs);
    std::fflush(stderr);
  };

  std::vector<sc::ScenarioResult> results = sc::run_all(configs, options, progress);
  if (show_progress) std::fputs("\r\033[K", stderr);

  if (!quiet) sc::print_table(std::cout, results, context);
  if (!json_out.empty()) {
    try {
      sc::write_file_atomically(json_out, sc::to_json(results, context).dump(2) + "\n");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tmpmc-bench: %s\n", e.what());
      return kUsage;
    }
  }
  if (g_interrupted.load()) return kInterrupted;
  const bool all_passed =
      std::all_of(results.begin(), results.end(), [](const auto& r) { return r.passed(); });
  return all_passed ? kPass : kFail;
}
