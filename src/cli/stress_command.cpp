// stress_command.cpp: `tmpmc-bench stress CONFIG`: seed after seed in
// deterministic mode (or real threads with --workers N) until a check fails;
// prints the failure, its seed, and the command that replays it.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tmpmc/scenarios/impls.h"
#include "tmpmc/scenarios/report.h"
#include "tmpmc/scenarios/runner.h"
#include "tmpmc/scenarios/stress.h"

namespace tmpmc::cli {

namespace {

namespace sc = tmpmc::scenarios;

// parse_duration("60s" | "500ms" | "2m" | "90"): milliseconds. Throws ConfigError.
std::chrono::milliseconds parse_duration(const std::string& text) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1000;
  if (unit == "ms") scale = 1;
  if (unit == "m" || unit == "min") scale = 60'000;
  if (used == 0 || scale == 0 || !(value > 0) || value * scale > 7 * 24 * 3600e3) {
    throw sc::ConfigError("--time-budget: expected a duration such as 60s, 500ms or 2m, got " +
                          text);
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(value * scale));
}

class Stress : public Command {
 public:
  explicit Stress(CLI::App& parent)
      : app_(parent.add_subcommand(
            "stress",
            "Explore schedules seed by seed until a check fails; print the seed and the command "
            "that replays it")) {
    app_->add_option("files", files_, "Scenario files (JSON); small ones: see configs/stress/")
        ->required();
    app_->add_option("--seeds", options_.seeds, "Seeds per scenario")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
    app_->add_option("--seed-start", options_.seed_start, "First seed")->capture_default_str();
    app_->add_option("--policy", policy_, "Scheduling policy: random, pct:D or round_robin")
        ->capture_default_str();
    app_->add_option(
        "--impl", impl_,
        "Queue implementation instead of the configs' (" + sc::join_names(sc::impl_names(true)) +
            "; " + sc::join_names(sc::impl_names(false), " and ") + " only with --workers > 1)");
    app_->add_option("--workers", options_.workers,
                     "1: deterministic (default); more: real threads, random close points")
        ->check(CLI::Range(1u, sc::kMaxWorkers));
    app_->add_option("--time-budget", budget_, "Stop after this long (60s, 500ms, 2m)")
        ->capture_default_str();
    app_->add_option("--filter", filter_, "Only scenarios whose name matches this regex");
    app_->add_option("--json", json_out_, "Write the summary to this file");
  }
  CLI::App* app() const override { return app_; }

  int execute() override {
    std::vector<sc::ScenarioConfig> configs;
    try {
      configs = load_all(files_);
      keep_matching(configs, filter_);
      options_.policy = sc::parse_policy(policy_);
      options_.time_budget = parse_duration(budget_);
      if (!impl_.empty()) {
        const auto impls = sc::parse_impl_list(impl_);
        if (impls.size() != 1) throw sc::ConfigError("--impl: stress takes one implementation");
        options_.impl = impls.front();
        configs = sc::with_impls(configs, impls);
      }
      for (auto& c : configs) {
        sc::ScenarioConfig probe = sc::stress_config(c, options_.seed_start, options_.workers);
        sc::check_impl(probe);  // e.g. boost-fiber cannot run deterministic
      }
      check_output_dir(json_out_);  // before running anything, not after
    } catch (const sc::ConfigError& e) {
      std::fprintf(stderr, "tmpmc-bench: %s\n", e.what());
      return kUsage;
    }
    options_.config_path = files_.size() == 1 ? files_.front() : configs.front().source;
    const sc::TimestampClock clock = sc::TimestampClock::calibrate();
    options_.driver.clock = &clock;
    options_.driver.interrupt = &g_interrupted;

    const auto results = sc::run_stress(configs, options_);
    bool failed = false;
    for (const auto& r : results) {
      std::printf("%-40s %-6s %10llu seeds  %9.0f seeds/s  %s\n", r.scenario.c_str(),
                  r.impl.c_str(), static_cast<unsigned long long>(r.seeds_run), r.seeds_per_sec,
                  r.failure       ? "FAIL"
                  : r.out_of_time ? "pass (time budget reached)"
                                  : "pass");
    }
    for (const auto& r : results) {
      if (!r.failure) continue;
      failed = true;
      const sc::StressFailure& f = *r.failure;
      std::printf("\nFAIL: %s on %s, seed %llu (after %llu seeds): %s\n", r.scenario.c_str(),
                  r.impl.c_str(), static_cast<unsigned long long>(f.seed),
                  static_cast<unsigned long long>(r.seeds_run), f.kind.c_str());
      for (const auto& line : f.lines) std::printf("  %s\n", line.c_str());
      if (f.trace_hash != 0) {
        std::printf("  trace_hash %016llx\n", static_cast<unsigned long long>(f.trace_hash));
      }
      std::printf("replay: %s\n", f.replay.c_str());
    }
    std::uint64_t seeds = 0;
    double seconds = 0;
    for (const auto& r : results) {
      seeds += r.seeds_run;
      seconds += r.elapsed_s;
    }
    std::printf("\n%llu seeds in %.2f s (%.0f seeds/s), policy %s, %s\n",
                static_cast<unsigned long long>(seeds), seconds, seconds > 0 ? seeds / seconds : 0,
                sc::policy_text(options_.policy).c_str(),
                options_.workers <= 1 ? "deterministic" : "real threads");
    std::fflush(stdout);
    if (!json_out_.empty()) {
      try {
        sc::write_file_atomically(json_out_, summary_json(results).dump(2) + "\n");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "tmpmc-bench: %s\n", e.what());
        return kUsage;
      }
    }
    if (g_interrupted.load()) return kInterrupted;
    return failed ? kFail : kPass;
  }

 private:
  nlohmann::json summary_json(const std::vector<sc::StressResult>& results) const {
    nlohmann::json doc;
    doc["schema"] = "tmpmc-bench/stress/v1";
    doc["tool"] = sc::tool_info();
    doc["host"] = sc::host_info();
    doc["policy"] = sc::policy_text(options_.policy);
    doc["workers"] = options_.workers;
    doc["seed_start"] = options_.seed_start;
    doc["scenarios"] = nlohmann::json::array();
    for (const auto& r : results) {
      nlohmann::json s = {{"name", r.scenario},           {"impl", r.impl},
                          {"seeds_run", r.seeds_run},     {"seeds_per_sec", r.seeds_per_sec},
                          {"elapsed_s", r.elapsed_s},     {"messages_received", r.messages},
                          {"out_of_time", r.out_of_time}, {"verdict", r.failure ? "fail" : "pass"}};
      if (r.failure) {
        char hash[17];
        std::snprintf(hash, sizeof hash, "%016llx",
                      static_cast<unsigned long long>(r.failure->trace_hash));
        s["failure"] = {{"seed", r.failure->seed},
                        {"kind", r.failure->kind},
                        {"lines", r.failure->lines},
                        {"replay", r.failure->replay},
                        {"trace_hash", hash}};
      }
      doc["scenarios"].push_back(std::move(s));
    }
    return doc;
  }

  CLI::App* app_;
  std::vector<std::string> files_;
  std::string policy_ = "random", impl_, budget_ = "60s", filter_, json_out_;
  sc::StressOptions options_;
};

}  // namespace

std::unique_ptr<Command> add_stress(CLI::App& app) { return std::make_unique<Stress>(app); }

}  // namespace tmpmc::cli
