// replay_command.cpp: the command line that replays a stress failure.
#include "stress/replay_command.h"

namespace tmpmc::scenarios {

namespace {

std::string shell_quote(const std::string& text) {
  if (text.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-,:=") ==
      std::string::npos) {
    return text;
  }
  std::string quoted = "'";
  for (char ch : text) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

std::string regex_escape(const std::string& text) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char ch : text) {
    if (special.find(ch) != std::string::npos) out += '\\';
    out += ch;
  }
  return out;
}

// exactly(name): the --filter argument that selects only `name`, quoted.
// Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
// "^" + std::string once it inlines the concatenation here.
std::string exactly(const std::string& name) {
  std::string pattern = "^";
  pattern += regex_escape(name);
  pattern += '$';
  return shell_quote(pattern);
}

}  // namespace

std::string replay_command(const ScenarioConfig& config, std::uint64_t seed,
                           const std::string& schedule, const StressOptions& options, bool trace) {
  // The file the scenario came from (several files may have been stressed).
  const std::string& path = config.source.empty() ? options.config_path : config.source;
  std::string command =
      "tmpmc-bench run " + shell_quote(path) + " --filter " + exactly(config.name);
  if (options.workers <= 1) {
    // The one impl the failure ran on: a config may list several.
    command += " --impl " + shell_quote(config.queue.impl);
    // --schedule implies deterministic mode and a single run (run_command.cpp).
    if (!schedule.empty()) {
      command += " --schedule " + shell_quote(schedule);
    } else {
      command += " --deterministic --seed " + std::to_string(seed) + " --policy " +
                 policy_text(options.policy) + " --repeat 1";
    }
    if (trace) command += " --trace";
    if (options.max_steps != runtime::Options::kDefaultMaxSteps) {
      command += " --max-steps " + std::to_string(options.max_steps);
    }
    return command;
  }
  // Real threads: the seed fixes the close point, not the interleaving; the
  // same iteration again is the best replay there is.
  command = "tmpmc-bench stress " + shell_quote(path) + " --filter " + exactly(config.name);
  if (!options.impl.empty()) command += " --impl " + shell_quote(options.impl);
  return command + " --workers " + std::to_string(options.workers) + " --seed-start " +
         std::to_string(seed) + " --seeds 1";
}

}  // namespace tmpmc::scenarios
