// config.cpp: a config file into its scenarios: reading the file, its JSON
// and its top level ({"scenarios": [...]} or one scenario), and the checks
// across the scenarios of a file. What a scenario object holds is
// config_schema.cpp's; impl lists and sweeps are config_expand.cpp's.
#include "tmpmc/scenarios/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config_parse.h"
#include "config_reader.h"

namespace tmpmc::scenarios {

using nlohmann::json;

const char* to_string(CloseWhen when) noexcept {
  switch (when) {
    case CloseWhen::after_producers:
      return "after_producers";
    case CloseWhen::after_ms:
      return "after_ms";
    case CloseWhen::after_received:
      return "after_received";
    case CloseWhen::by_producer:
      return "by_producer";
    case CloseWhen::senders_dropped:
      return "senders_dropped";
  }
  return "after_producers";
}

const char* to_string(CheckSetting check) noexcept {
  switch (check) {
    case CheckSetting::automatic:
      return "auto";
    case CheckSetting::exact:
      return "exact";
    case CheckSetting::streaming:
      return "streaming";
  }
  return "auto";
}

std::vector<ScenarioConfig> parse_scenarios(const std::string& text, const std::string& source) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw ConfigError(source +
                      ": the file is empty; expected a scenario object or {\"scenarios\": [...]}");
  }
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    // Turn the byte offset into a line and column.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    const auto colon = what.rfind(": ");
    throw ConfigError(
        source + ":" + std::to_string(line) + ":" + std::to_string(column) +
        ": invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)));
  } catch (const json::exception& e) {
    // Not a syntax error but a value the parser cannot hold, such as a number
    // beyond a double's range (out_of_range 406), which carries no offset.
    std::string what = e.what();
    const auto bracket = what.find("] ");
    throw ConfigError(source + ": invalid JSON: " +
                      (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
  std::vector<ScenarioConfig> out;
  if (document.is_object() && document.contains("scenarios")) {
    if (document.size() != 1) {
      for (auto it = document.begin(); it != document.end(); ++it) {
        if (it.key() != "scenarios") {
          throw ConfigError(source + ": " + it.key() +
                            ": unknown key next to \"scenarios\"; a file holds one scenario or "
                            "{\"scenarios\": [...]}");
        }
      }
    }
    const json& list = document["scenarios"];
    if (!list.is_array() || list.empty()) {
      throw ConfigError(source + ": scenarios: expected a non-empty array of scenarios, got " +
                        describe(list));
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      expand_scenario(list[i], "scenarios[" + std::to_string(i) + "]", source, out);
    }
  } else {
    expand_scenario(document, "", source, out);
  }
  std::set<std::string> names;
  for (const auto& c : out) {
    if (!names.insert(c.name).second) {
      throw ConfigError(source + ": name: two scenarios are named \"" + c.name +
                        "\"; names must be unique");
    }
  }
  number_impl_groups(out);
  return out;
}

std::vector<ScenarioConfig> load_scenarios(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ConfigError(path + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(path + ": is a directory, expected a JSON file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenarios(text.str(), path);
}

}  // namespace tmpmc::scenarios
