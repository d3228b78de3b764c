// cli.cpp: tmpmc-bench's command line: CLI11 subcommands (one file each),
// the helpers they share, the one place that turns a user's error into its
// message and exit code 2, and the backstops (a stop signal's watchdog,
// std::terminate) that still write a command's results.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <regex>

#include "cli_main.h"
#include "commands.h"
#include "stop_signals.h"
#include "tmpmc/results/compare.h"
#include "tmpmc/results/export.h"
#include "tmpmc/results/facts.h"
#include "tmpmc/results/result_file.h"
#include "tmpmc/scenarios/abandoned.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/crash_report.h"

namespace tmpmc::cli {

std::vector<scenarios::ScenarioConfig> load_all(const std::vector<std::string>& files) {
  std::vector<scenarios::ScenarioConfig> all;
  for (const auto& file : files) {
    auto more = scenarios::load_scenarios(file);
    all.insert(all.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
  }
  // A result file, --filter and compare tell scenarios apart by name alone:
  // two of one name would be merged or confused downstream. Within one file
  // the reader refuses them already; across files, here.
  std::map<std::string, const std::string*> source_of;
  for (const auto& c : all) {
    const auto [first, fresh] = source_of.emplace(c.name, &c.source);
    if (fresh) continue;
    throw scenarios::ConfigError(
        c.source + ": scenario \"" + c.name + "\" is also in " +
        (*first->second == c.source ? "this file (given twice)" : *first->second) +
        "; the scenarios of one invocation need distinct names (results and compare match by "
        "name)");
  }
  return all;
}

void keep_matching(std::vector<scenarios::ScenarioConfig>& configs, const std::string& filter) {
  if (filter.empty()) return;
  std::regex pattern;
  try {
    pattern = std::regex(filter);
  } catch (const std::regex_error&) {
    throw scenarios::ConfigError("--filter: not a valid regular expression: " + filter);
  }
  std::erase_if(configs, [&](const auto& c) { return !std::regex_search(c.name, pattern); });
  if (configs.empty()) throw scenarios::ConfigError("--filter: no scenario name matches " + filter);
}

void check_output_dir(const std::string& path) {
  if (path.empty()) return;
  const std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  if (!std::filesystem::is_directory(dir) || ::access(dir.c_str(), W_OK) != 0) {
    throw scenarios::ConfigError("--json " + path + ": directory " + dir.string() +
                                 " does not exist or is not writable");
  }
}

std::chrono::milliseconds parse_duration(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    // ignored: not a number; value stays -1, which the check below rejects
  }
  const std::string unit = text.substr(used);
  double ms_per_unit = 0;
  if (unit.empty() || unit == "s") ms_per_unit = 1000;
  if (unit == "ms") ms_per_unit = 1;
  if (unit == "m" || unit == "min") ms_per_unit = 60'000;
  if (unit == "h") ms_per_unit = 3'600'000;
  // At least 1 ms, at most the configs' own limit for a length (7 days).
  const double ms = value * ms_per_unit;
  if (used == 0 || ms_per_unit == 0 || !(ms >= 1) || ms > 7 * 24 * 3600e3) {
    throw scenarios::ConfigError(flag +
                                 ": expected a duration from 1ms to 7 days such as 90s, "
                                 "500ms, 10m or 2h, got " +
                                 text);
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        try {
          if (std::stod(text) > 0) return "";
        } catch (const std::exception&) {
          // ignored: not a number, the error returned below
        }
        return "expected a number > 0, got " + text;
      },
      "NUMBER > 0");
}

void add_max_steps(CLI::App& app, std::uint64_t& max_steps) {
  app.add_option("--max-steps", max_steps,
                 "Deterministic mode: scheduling steps per run before it is stopped and "
                 "reported as a livelock or a runaway")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
}

namespace {

class Validate : public Command {
 public:
  explicit Validate(CLI::App& parent)
      : app_(parent.add_subcommand("validate", "Check scenario files without running them")) {
    app_->add_option("files", files_, "Scenario files (JSON)")->required();
  }
  CLI::App* app() const override { return app_; }
  int execute() override {
    const std::size_t n = load_all(files_).size();
    std::printf("ok: %zu scenario%s in %zu file%s\n", n, n == 1 ? "" : "s", files_.size(),
                files_.size() == 1 ? "" : "s");
    return kPass;
  }

 private:
  CLI::App* app_;
  std::vector<std::string> files_;
};

// execute_reporting_errors(): what `body` returns. The errors a user can
// cause (a bad config or option, an unreadable result file, a result file
// that cannot be written) are one line on stderr and exit code 2.
template <class Body>
int execute_reporting_errors(Body&& body) {
  std::string error;
  try {
    return body();
  } catch (const scenarios::ConfigError& e) {
    error = e.what();
  } catch (const results::CompareError& e) {
    error = e.what();
  } catch (const results::ResultFileError& e) {
    error = e.what();
  } catch (const results::ExportError& e) {
    error = e.what();
  }
  std::fprintf(stderr, "tmpmc-bench: %s\n", error.c_str());
  return kUsage;
}

// The command under way, for the std::terminate backstop.
std::atomic<Command*> g_running{nullptr};

// on_terminate(): the backstop, not the design. Nothing the tool does should
// reach std::terminate (a task it cannot join is detached and kept alive,
// abandoned.h); if something does, the finished runs are still written and
// the exit code says internal error.
[[noreturn]] void on_terminate() noexcept {
  static std::atomic<bool> once{false};
  if (!once.exchange(true)) {
    std::fputs("tmpmc-bench: internal error: std::terminate was called; writing what finished\n",
               stderr);
    if (Command* command = g_running.load(); command != nullptr) {
      try {
        command->write_interrupted();
      } catch (...) {
        std::fputs("tmpmc-bench: could not write the results\n", stderr);
      }
    }
  }
  std::fflush(nullptr);
  ::_exit(kInternal);
}

}  // namespace

std::unique_ptr<Command> add_validate(CLI::App& app) { return std::make_unique<Validate>(app); }

void add_grace(CLI::App& app, std::string& grace) {
  app.add_option("--grace", grace,
                 "After a stop signal, how long the run under way may take to stop before what "
                 "finished is written and the process leaves (a second signal: at once)")
      ->capture_default_str();
}

// run_cli(): parses the command line and runs the one subcommand given.
int run_cli(int argc, char** argv) {
  CLI::App app{"tmpmc-bench: benchmark and stress-test an async bounded MPMC queue"};
  app.set_version_flag("--version", results::tool_version());
  app.require_subcommand(0, 1);
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(add_run(app));
  commands.push_back(add_stress(app));
  commands.push_back(add_validate(app));
  commands.push_back(add_compare(app));
  commands.push_back(add_export(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the usage error
    return code == 0 ? kPass : kUsage;
  }
  for (const auto& command : commands) {
    if (!command->app()->parsed()) continue;
    if (!command->keeps_finished_runs_on_stop()) {
      return execute_reporting_errors([&] { return command->execute(); });
    }
    return execute_reporting_errors([&] {
      const std::chrono::milliseconds grace = command->grace();
      g_running.store(command.get());
      StopWatchdog watchdog(grace, [&command] { command->write_interrupted(); });
      const int code = command->execute();
      g_running.store(nullptr);
      return code;
    });
  }
  std::fputs(app.help().c_str(), stdout);
  return kPass;
}

int cli_main(int argc, char** argv) {
  std::set_terminate(on_terminate);
  scenarios::install_crash_report();
  try {
    const int code = run_cli(argc, argv);
    // A run that had to detach a stuck peer task (abandoned.h) leaves with
    // std::_Exit once everything is written: the task may still touch what
    // static destructors would free.
    if (scenarios::abandoned_tasks() != 0) {
      std::fflush(nullptr);
      std::_Exit(code);
    }
    return code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tmpmc-bench: internal error: %s\n", e.what());
  } catch (...) {
    std::fputs("tmpmc-bench: internal error: an unknown exception\n", stderr);
  }
  return kInternal;
}

}  // namespace tmpmc::cli
