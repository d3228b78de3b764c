// stress_command.cpp: `tmpmc-bench stress CONFIG`: seed after seed in
// deterministic mode (or real threads with --workers N), or with --explore
// bounded every schedule up to --bound preemptions, until a check fails;
// prints the failure, its schedule, and the command that replays it.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <mutex>

#include "commands.h"
#include "tmpmc/results/result_file.h"
#include "tmpmc/results/stress_report.h"
#include "tmpmc/scenarios/impls.h"
#include "tmpmc/scenarios/runner.h"
#include "tmpmc/scenarios/stress.h"

namespace tmpmc::cli {

namespace {

namespace sc = tmpmc::scenarios;
namespace rs = tmpmc::results;

class Stress : public Command {
 public:
  explicit Stress(CLI::App& parent)
      : app_(parent.add_subcommand(
            "stress",
            "Explore schedules seed by seed until a check fails; print the seed and the command "
            "that replays it")) {
    app_->add_option("files", files_, "Scenario files (JSON); small ones: see configs/stress/")
        ->required();
    seeds_ = app_->add_option("--seeds", options_.seeds, "Seeds per scenario")
                 ->capture_default_str()
                 ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
    seed_start_ =
        app_->add_option("--seed-start", options_.seed_start, "First seed")->capture_default_str();
    policy_option_ = app_->add_option("--policy", policy_,
                                      "Scheduling policy: random, pct:D, pos or round_robin")
                         ->capture_default_str();
    app_->add_option("--explore", explore_,
                     "seeds: one schedule per seed, from --policy; bounded: every schedule with "
                     "at most --bound preemptions, each once, bound by bound")
        ->capture_default_str();
    bound_ = app_->add_option("--bound", options_.bound,
                              "Bounded search: the most preemptions a schedule may have (0-10)")
                 ->capture_default_str();
    shard_ = app_->add_option("--shard", shard_text_,
                              "Bounded search: run part K of N (K/N); N shards together run every "
                              "schedule once");
    reduction_ = app_->add_flag("--no-reduction", no_reduction_,
                                "Bounded search: run every schedule, also those equivalent to "
                                "one already run (to compare counts)");
    app_->add_flag("--no-linearizability", no_linearizability_,
                   "Do not record the runs' queue operations nor check that each history is "
                   "linearizable (to compare speeds)");
    app_->add_flag("--no-shrink", no_shrink_,
                   "Print a failure's schedule as it failed, not shrunk to the fewest "
                   "preemptions and steps that fail the same way");
    app_->add_option("--choice-points", choice_points_,
                     "every-access: every shared access of the queue and the runtime is a "
                     "choice point; operations: only those between two operations")
        ->capture_default_str();
    app_->add_option(
        "--impl", impl_,
        "Queue implementation instead of the configs' (" + sc::join_names(sc::impl_names(true)) +
            "; " + sc::join_names(sc::impl_names(false), " and ") + " only with --workers > 1)");
    app_->add_option("--workers", options_.workers,
                     "1: deterministic (default); more: real threads, random close points")
        ->check(CLI::Range(1u, sc::kMaxWorkers));
    app_->add_option("--placement", placement_,
                     "With --workers > 1: spread (default: producers and consumers pinned to "
                     "different workers, every message crosses cores) or local")
        ->check(CLI::IsMember({"local", "spread"}))
        ->capture_default_str();
    app_->add_option("--time-budget", budget_,
                     "Stop after this long (60s, 500ms, 2m, 1h), also in the middle of a seed")
        ->capture_default_str();
    add_max_steps(*app_, options_.max_steps);
    app_->add_option("--filter", filter_, "Only scenarios whose name matches this regex");
    app_->add_option("--json", json_out_, "Write the summary to this file");
    add_grace(*app_, grace_);
  }
  CLI::App* app() const override { return app_; }
  bool keeps_finished_runs_on_stop() const override { return true; }
  std::chrono::milliseconds grace() const override { return parse_duration("--grace", grace_); }

  // write_interrupted(): the stop watchdog's report, from its own thread:
  // the scenarios whose search ended, and the one under way, interrupted.
  void write_interrupted() override {
    std::vector<sc::StressResult> results;
    {
      std::lock_guard lock(so_far_mutex_);
      if (under_way_.empty()) return;  // nothing ran yet: nothing to write
      results = finished_;
      if (results.size() < under_way_.size()) {
        const sc::ScenarioConfig& config = under_way_[results.size()];
        sc::StressResult stuck;
        stuck.scenario = config.name;
        stuck.impl = config.queue.impl;
        stuck.interrupted = true;
        results.push_back(std::move(stuck));
      }
    }
    report(results);
  }

  // execute(): config errors throw before anything runs (cli.cpp reports them).
  int execute() override {
    std::vector<sc::ScenarioConfig> configs = load_all(files_);
    keep_matching(configs, filter_);
    options_.policy = sc::parse_policy(policy_);
    options_.time_budget = parse_duration("--time-budget", budget_);
    options_.placement = *sc::parse_placement(placement_);  // checked by CLI11
    parse_explore();
    if (!impl_.empty()) {
      const auto impls = sc::parse_impl_list(impl_);
      if (impls.size() != 1) throw sc::ConfigError("--impl: stress takes one implementation");
      options_.impl = impls.front();
      configs = sc::with_impls(configs, impls);
    }
    for (auto& c : configs) {
      sc::ScenarioConfig probe =
          sc::stress_config(c, options_.seed_start, options_.workers, options_.placement);
      sc::check_impl(probe);  // e.g. boost-fiber cannot run deterministic
    }
    check_output_dir(json_out_);  // before running anything, not after
    options_.config_path = files_.size() == 1 ? files_.front() : configs.front().source;
    const sc::TimestampClock clock = sc::TimestampClock::calibrate();
    options_.driver.clock = &clock;
    options_.driver.interrupt = &g_interrupted;

    {
      std::lock_guard lock(so_far_mutex_);
      under_way_ = configs;
    }
    options_.on_result = [this](const sc::StressResult& result) {
      std::lock_guard lock(so_far_mutex_);
      finished_.push_back(result);
    };

    const auto results = sc::run_stress(configs, options_);
    own_output();  // from here on, the stop watchdog leaves the writing to us
    report(results);
    if (g_interrupted.load()) return interrupted_exit_code();
    return rs::any_failed(results) ? kFail : kPass;
  }

 private:
  // report(): the summary on stdout and the stress file (--json).
  void report(const std::vector<sc::StressResult>& results) const {
    rs::print_stress(std::cout, results, options_);
    std::cout.flush();
    if (!json_out_.empty()) rs::write_result_file(json_out_, rs::to_json(results, options_));
  }

  // parse_explore(): --explore, --bound and --shard, and what they exclude.
  void parse_explore() {
    options_.linearizability = !no_linearizability_;
    options_.shrink = !no_shrink_;
    if (choice_points_ == "operations") {
      options_.choice_points = tmpmc::runtime::Granularity::operations;
    } else if (choice_points_ != "every-access") {
      throw sc::ConfigError("--choice-points: expected every-access or operations, got " +
                            choice_points_);
    }
    if (explore_ == "seeds") {
      for (const CLI::Option* option : {bound_, shard_, reduction_}) {
        if (option->count() > 0) {
          throw sc::ConfigError(option->get_name() + ": only with --explore bounded");
        }
      }
      return;
    }
    if (explore_ != "bounded") {
      throw sc::ConfigError("--explore: expected seeds or bounded, got " + explore_);
    }
    options_.explore = sc::Explore::bounded;
    for (const CLI::Option* option : {seeds_, seed_start_, policy_option_}) {
      if (option->count() > 0) {
        throw sc::ConfigError(option->get_name() +
                              ": not with --explore bounded (it runs every schedule)");
      }
    }
    if (options_.workers != 1) {
      throw sc::ConfigError("--explore bounded runs on one deterministic worker, not --workers " +
                            std::to_string(options_.workers));
    }
    options_.reduce = !no_reduction_;
    if (options_.bound > 10) {
      throw sc::ConfigError("--bound: expected 0 to 10 preemptions, got " +
                            std::to_string(options_.bound));
    }
    if (shard_->count() > 0) options_.shard = parse_shard(shard_text_);
  }

  // parse_shard("K/N"): 1 <= K <= N <= 1000.
  static sc::Shard parse_shard(const std::string& text) {
    const auto refuse = [&] {
      return sc::ConfigError("--shard: expected K/N with 1 <= K <= N <= 1000, got " + text);
    };
    auto number = [&](const std::string& digits) -> unsigned {
      if (digits.empty() || digits.size() > 4 ||
          digits.find_first_not_of("0123456789") != std::string::npos) {
        throw refuse();
      }
      return static_cast<unsigned>(std::stoul(digits));
    };
    const auto slash = text.find('/');
    if (slash == std::string::npos) throw refuse();
    const sc::Shard shard{number(text.substr(0, slash)), number(text.substr(slash + 1))};
    if (shard.index < 1 || shard.index > shard.count || shard.count > 1000) throw refuse();
    return shard;
  }

  CLI::App* app_;
  std::vector<std::string> files_;
  std::string policy_ = "random", impl_, budget_ = "60s", filter_, json_out_;
  std::string placement_ = "spread";
  std::string explore_ = "seeds", shard_text_, choice_points_ = "every-access";
  std::string grace_ = kDefaultGrace;
  bool no_reduction_ = false;
  bool no_linearizability_ = false;
  bool no_shrink_ = false;
  CLI::Option *seeds_, *seed_start_, *policy_option_, *bound_, *shard_, *reduction_;
  sc::StressOptions options_;
  // What the stop watchdog may write (under so_far_mutex_): the scenarios to
  // search, in order, and the results of those whose search ended.
  std::mutex so_far_mutex_;
  std::vector<sc::ScenarioConfig> under_way_;
  std::vector<sc::StressResult> finished_;
};

}  // namespace

std::unique_ptr<Command> add_stress(CLI::App& app) { return std::make_unique<Stress>(app); }

}  // namespace tmpmc::cli
