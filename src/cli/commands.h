// commands.h: tmpmc-bench's subcommands. Each adds its options to the app and
// runs once parsed; cli.cpp only dispatches. Exit codes as in DESIGN.md.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "stop_signals.h"
#include "tmpmc/scenarios/config.h"

namespace tmpmc::cli {

constexpr int kPass = 0, kFail = 1, kUsage = 2, kInternal = 3;

// load_all(): every file's scenarios, in order. Throws ConfigError.
std::vector<scenarios::ScenarioConfig> load_all(const std::vector<std::string>& files);
// keep_matching(): the scenarios whose name matches `filter` (a regex; "" keeps all).
void keep_matching(std::vector<scenarios::ScenarioConfig>& configs, const std::string& filter);
// check_output_dir(): a usage error (thrown as ConfigError) unless the
// directory of `path` exists and takes a new file: checked before a run, not after.
void check_output_dir(const std::string& path);
// parse_duration(flag, "90s" | "500ms" | "10m" | "2h" | "90"): milliseconds
// (a bare number is seconds). Throws ConfigError naming `flag`.
std::chrono::milliseconds parse_duration(const std::string& flag, const std::string& text);
// Validates CLI11 text as a number > 0.
CLI::Validator positive_number();
// add_max_steps(): `--max-steps N` of run and stress, the deterministic
// runtime's step cap per run (runtime::Options::max_steps).
void add_max_steps(CLI::App& app, std::uint64_t& max_steps);
// add_grace(): `--grace DURATION` of run and stress (stop_signals.h).
void add_grace(CLI::App& app, std::string& grace);
inline constexpr const char* kDefaultGrace = "10s";

class Command {
 public:
  virtual ~Command() = default;
  virtual CLI::App* app() const = 0;
  virtual int execute() = 0;
  // True for the commands that run scenarios (run, stress): SIGINT, SIGTERM
  // and SIGHUP stop the current run and the finished ones are written; a run
  // that cannot stop is given grace() (stop_signals.h). The others have
  // nothing partial to keep, so a signal ends them at once.
  virtual bool keeps_finished_runs_on_stop() const { return false; }
  // grace(): --grace, parsed (throws ConfigError). Asked before execute().
  virtual std::chrono::milliseconds grace() const { return std::chrono::milliseconds(0); }
  // write_interrupted(): prints and writes what finished, the run under way
  // marked interrupted. Called from another thread (the stop watchdog, the
  // std::terminate backstop) while execute() may be stuck in a run: it reads
  // only what execute() publishes under a lock.
  virtual void write_interrupted() {}
};

std::unique_ptr<Command> add_run(CLI::App& app);
std::unique_ptr<Command> add_stress(CLI::App& app);
std::unique_ptr<Command> add_compare(CLI::App& app);
std::unique_ptr<Command> add_export(CLI::App& app);
std::unique_ptr<Command> add_validate(CLI::App& app);

}  // namespace tmpmc::cli
