// run_command.cpp: `tmpmc-bench run FILES`: runs scenarios, prints the table,
// writes the result JSON.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>

#include "commands.h"
#include "tmpmc/results/facts.h"
#include "tmpmc/results/result_file.h"
#include "tmpmc/results/result_json.h"
#include "tmpmc/results/summary.h"
#include "tmpmc/results/table.h"
#include "tmpmc/results/trace.h"
#include "tmpmc/results/units.h"
#include "tmpmc/scenarios/impls.h"
#include "tmpmc/scenarios/runner.h"
#include "tmpmc/scenarios/stress.h"

namespace tmpmc::cli {

namespace {

namespace sc = tmpmc::scenarios;
namespace rs = tmpmc::results;

// LiveProgress: one line on a terminal's stderr, rewritten in place: which
// scenario and run, and the figures of the run's last interval (a soak's
// pulse). The driver reports intervals from its monitor thread, so the line
// is shared under a lock. Off the terminal it prints nothing.
class LiveProgress {
 public:
  LiveProgress() : on_(::isatty(STDERR_FILENO) != 0) {}
  void run_started(const sc::Progress& p) {
    if (!on_) return;
    std::lock_guard lock(mutex_);
    label_ = "[" + std::to_string(p.scenario) + "/" + std::to_string(p.scenarios) + "] " + p.name +
             ": " + (p.warmup ? "warm-up " : "run ") + std::to_string(p.run) + "/" +
             std::to_string(p.runs);
    show("");
  }
  void interval_ended(const sc::Interval& in) {
    if (!on_) return;
    std::lock_guard lock(mutex_);
    show("  " + std::to_string(static_cast<long long>(in.end_s)) + " s  " +
         rs::detail::humane_rate(in.msgs_per_sec) + " msgs/s  p99 " +
         rs::detail::humane_ns(in.p99_ns) + "  rss " + std::to_string(in.rss_bytes >> 20) + " MiB");
  }
  void clear() {
    if (!on_) return;
    std::lock_guard lock(mutex_);
    std::fputs("\r\033[K", stderr);
  }

 private:
  void show(const std::string& figures) {
    std::fprintf(stderr, "\r\033[K%s%s", label_.c_str(), figures.c_str());
    std::fflush(stderr);
  }
  const bool on_;
  std::mutex mutex_;
  std::string label_;  // under mutex_
};

// interval_ms("0" | "1s" | ...): the --interval period; 0 turns intervals off.
std::chrono::milliseconds interval_ms(const std::string& text) {
  if (text == "0") return std::chrono::milliseconds(0);
  return parse_duration("--interval", text);
}

class Run : public Command {
 public:
  explicit Run(CLI::App& parent)
      : app_(parent.add_subcommand(
            "run", "Run scenario files and report throughput, latency and checks")) {
    app_->add_option("files", files_, "Scenario files (JSON)")->required();
    app_->add_option("--json", json_out_, "Write the results (schema v1) to this file");
    app_->add_flag("--quiet,-q", quiet_, "No table on stdout");
    app_->add_option("--filter", filter_, "Run only scenarios whose name matches this regex");
    repeat_ = app_->add_option("--repeat", repeat_value_, "Measured runs per scenario")
                  ->check(CLI::Range(1u, 10000u));
    seed_ = app_->add_option("--seed", seed_value_, "Seed for every scenario");
    workers_ = app_->add_option("--workers", workers_value_, "Worker threads")
                   ->check(CLI::Range(1u, sc::kMaxWorkers));
    app_->add_option("--placement", placement_,
                     "Where producers and consumers run (runtime.placement): local, or spread "
                     "over the workers and pinned there")
        ->check(CLI::IsMember({"local", "spread"}));
    app_->add_option("--impl", impls_,
                     "Queue implementations, comma-separated (runs interleaved, ratios against "
                     "the first): " +
                         sc::join_names(sc::impl_names()));
    app_->add_flag("--deterministic", deterministic_,
                   "Deterministic mode: 1 worker, seeded schedule, virtual time");
    auto* policy = app_->add_option("--policy", policy_,
                                    "Deterministic mode's scheduling policy: random, pct:D, pos or "
                                    "round_robin");
    policy->capture_default_str();
    app_->add_option("--schedule", schedule_,
                     "Replay this schedule (the string a failure prints) on the one scenario "
                     "selected: deterministic mode, one run, whatever policy or seed found it; "
                     "a run that cannot follow it fails as diverged")
        ->excludes(policy);
    app_->add_flag("--trace", trace_,
                   "Deterministic mode: print every scheduling event (fiber, where the previous "
                   "one stopped, queue state)");
    add_max_steps(*app_, max_steps_);
    app_->add_option("--scale", overrides_.scale,
                     "Multiply messages and duration_ms (e.g. 0.01 for a smoke run)")
        ->check(positive_number());
    app_->add_option("--duration", duration_,
                     "Run each scenario this long instead of its messages or duration_ms "
                     "(90s, 10m, 2h): a soak");
    app_->add_option("--interval", interval_,
                     "Record msgs/s, latency and resident memory this often during each run, "
                     "into the result JSON (1s, 500ms; 0: not at all)")
        ->capture_default_str();
    app_->add_option("--timeout", timeout_,
                     "How long a run may take past its planned length before it is reported as "
                     "a hang (run.timeout_ms; 90s, 10m)");
    add_grace(*app_, grace_);
  }
  CLI::App* app() const override { return app_; }
  bool keeps_finished_runs_on_stop() const override { return true; }
  std::chrono::milliseconds grace() const override { return parse_duration("--grace", grace_); }

  // write_interrupted(): the stop watchdog's report, from its own thread:
  // what run_all has finished (so_far_), the runs under way interrupted.
  void write_interrupted() override {
    std::optional<rs::ReportContext> context;
    {
      std::lock_guard lock(context_mutex_);
      context = context_;
    }
    if (!context) return;  // nothing ran yet: nothing to write
    report(rs::summarize(so_far_.snapshot()), *context);
  }

  // execute(): config errors throw before anything runs (cli.cpp reports them).
  int execute() override {
    std::vector<sc::ScenarioConfig> configs = load_all(files_);
    sc::DriverOptions options;
    keep_matching(configs, filter_);
    if (*repeat_) overrides_.repeat = repeat_value_;
    if (*seed_) overrides_.seed = seed_value_;
    if (*workers_) overrides_.workers = workers_value_;
    if (!placement_.empty()) overrides_.placement = sc::parse_placement(placement_);
    if (deterministic_) overrides_.deterministic = true;
    if (!schedule_.empty()) {
      options.policy.kind = tmpmc::runtime::PolicyKind::replay;
      try {
        options.policy.replay = tmpmc::runtime::Schedule::parse(schedule_);
      } catch (const tmpmc::runtime::ScheduleSyntaxError& e) {
        throw sc::ConfigError(std::string("--schedule: ") + e.what());
      }
      // A schedule is one run of one scenario on a fresh runtime.
      overrides_.deterministic = true;
      overrides_.repeat = 1;
      overrides_.warmup = 0;
    }
    if (!impls_.empty()) overrides_.impls = sc::parse_impl_list(impls_);
    if (!duration_.empty())
      overrides_.duration_ms = parse_duration("--duration", duration_).count();
    if (!timeout_.empty()) overrides_.timeout_ms = parse_duration("--timeout", timeout_).count();
    sc::apply_overrides(configs, overrides_);
    if (schedule_.empty()) {
      options.policy = sc::parse_policy(policy_);
    } else if (configs.size() != 1) {
      throw sc::ConfigError("--schedule replays one run of one scenario, but " +
                            std::to_string(configs.size()) +
                            " are selected (narrow them with --filter and --impl)");
    }
    if (trace_) {
      for (const auto& c : configs) {
        if (!c.runtime.deterministic) {
          throw sc::ConfigError(c.source + ": " + c.name +
                                ": --trace needs deterministic mode (add --deterministic)");
        }
      }
    }
    check_output_dir(json_out_);  // before running anything, not after

    const sc::TimestampClock clock = sc::TimestampClock::calibrate();
    options.clock = &clock;
    options.interrupt = &g_interrupted;
    options.trace = trace_;
    // A failed deterministic run reports the schedule that replays it, and
    // (as in stress) its queue's answers are checked for linearizability:
    // the replay of a not_linearizable stress failure fails the same way.
    options.record_schedule = true;
    options.check_linearizability = true;
    options.max_steps = max_steps_;
    const rs::ReportContext context{rs::utc_now_iso8601(), clock.describe()};
    {
      std::lock_guard lock(context_mutex_);
      context_ = context;
    }
    LiveProgress live;
    options.interval = interval_ms(interval_);
    options.on_interval = [&live](const sc::Interval& in) { live.interval_ended(in); };
    const std::vector<rs::ScenarioResult> results = rs::summarize(sc::run_all(
        configs, options, [&live](const sc::Progress& p) { live.run_started(p); }, &so_far_));
    live.clear();

    own_output();  // from here on, the stop watchdog leaves the writing to us
    if (trace_) rs::print_traces(stdout, results);
    report(results, context);
    if (g_interrupted.load()) return interrupted_exit_code();
    return rs::all_passed(results) ? kPass : kFail;
  }

 private:
  // report(): the table (unless --quiet) and the result file (--json).
  void report(const std::vector<rs::ScenarioResult>& results,
              const rs::ReportContext& context) const {
    if (!quiet_) rs::print_table(std::cout, results, context);
    std::cout.flush();
    if (!json_out_.empty()) rs::write_result_file(json_out_, rs::to_json(results, context));
  }

  CLI::App* app_;
  std::vector<std::string> files_;
  std::string json_out_, filter_, impls_, policy_ = "random", duration_, timeout_, schedule_;
  std::string interval_ = "1s", grace_ = kDefaultGrace;
  bool quiet_ = false, deterministic_ = false, trace_ = false;
  CLI::Option *repeat_, *seed_, *workers_;
  unsigned repeat_value_ = 0, workers_value_ = 0;
  std::string placement_;
  std::uint64_t seed_value_ = 0;
  std::uint64_t max_steps_ = tmpmc::runtime::Options::kDefaultMaxSteps;
  sc::Overrides overrides_;
  sc::RunsSoFar so_far_;
  std::mutex context_mutex_;
  std::optional<rs::ReportContext> context_;  // under context_mutex_; set once the runs begin
};

}  // namespace

std::unique_ptr<Command> add_run(CLI::App& app) { return std::make_unique<Run>(app); }

}  // namespace tmpmc::cli
