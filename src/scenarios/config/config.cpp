// config.cpp: a config file into its scenarios: reading the file, its JSON
// and its top level ({"scenarios": [...]} or one scenario), and the checks
// across the scenarios of a file. What a scenario object holds is
// config_schema.cpp's; impl lists and sweeps are config_expand.cpp's.
#include "tmpmc/scenarios/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "config/config_parse.h"
#include "config/config_reader.h"

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

const char* to_string(Placement placement) noexcept {
  return placement == Placement::spread ? "spread" : "local";
}

std::optional<Placement> parse_placement(std::string_view name) noexcept {
  for (Placement placement : {Placement::local, Placement::spread}) {
    if (name == to_string(placement)) return placement;
  }
  return std::nullopt;
}

unsigned producer_worker(const ScenarioConfig& c, unsigned i) noexcept {
  return i % std::max(1u, c.runtime.workers);
}

unsigned consumer_worker(const ScenarioConfig& c, unsigned j) noexcept {
  // Half a turn from the producers: on 2 workers consumer j sits opposite
  // producer j, so a 1:1 run crosses on every message.
  const unsigned workers = std::max(1u, c.runtime.workers);
  return (j + (workers + 1) / 2) % workers;
}

std::vector<ScenarioConfig> parse_scenarios(const std::string& text, const std::string& source) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw ConfigError(source +
                      ": the file is empty; expected a scenario object or {\"scenarios\": [...]}");
  }
  const json document = parse_json(text, source);
  std::vector<ScenarioConfig> out;
  if (document.is_object() && document.contains("scenarios")) {
    if (document.size() != 1) {
      for (auto it = document.begin(); it != document.end(); ++it) {
        if (it.key() != "scenarios") {
          throw ConfigError(source + ": " + path_key(it.key()) +
                            ": unknown key next to \"scenarios\"; a file holds one scenario or "
                            "{\"scenarios\": [...]}");
        }
      }
    }
    const json& list = document.at("scenarios");
    if (!list.is_array() || list.empty()) {
      throw ConfigError(source + ": scenarios: expected a non-empty array of scenarios, got " +
                        describe(list));
    }
    // Counted before anything is expanded: a file of many large sweeps is
    // refused at once, at the scenario that crosses the limit.
    std::size_t total = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      total += count_scenarios(list[i]);
      if (total > kMaxScenarios) {
        throw ConfigError(source + ": scenarios[" + std::to_string(i) +
                          "]: the file expands to more than " + std::to_string(kMaxScenarios) +
                          " scenarios, the most a file may hold");
      }
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
      throw ConfigError(source + ": name: two scenarios are named \"" + printable(c.name, 200) +
                        "\"; names must be unique");
    }
  }
  number_impl_groups(out);
  return out;
}

namespace {

// read_file(): the file's bytes, at most kMaxFileBytes of them. Any file that
// can be opened is read (a pipe or a device too), but never past the limit:
// the size a regular file reports is checked first, and a stream that does
// not end is cut off at the limit.
std::string read_file(const std::string& path) {
  struct Descriptor {
    int fd;
    ~Descriptor() {
      if (fd >= 0) ::close(fd);
    }
  } const file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  const int fd = file.fd;
  if (fd < 0) {
    const int error = errno;
    throw ConfigError(path + ": " + (error == ENOENT ? "no such file" : std::strerror(error)));
  }
  const std::string too_large = path + ": the file is larger than " +
                                std::to_string(kMaxFileBytes >> 20) +
                                " MiB, the most a config file may hold";
  struct stat info {};
  if (::fstat(fd, &info) == 0) {
    if (S_ISDIR(info.st_mode)) throw ConfigError(path + ": is a directory, expected a JSON file");
    if (S_ISREG(info.st_mode) && static_cast<std::uintmax_t>(info.st_size) > kMaxFileBytes) {
      throw ConfigError(too_large);
    }
  }
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ConfigError(path + ": cannot be read: " + std::strerror(errno));
    if (n == 0) return text;
    if (text.size() + static_cast<std::size_t>(n) > kMaxFileBytes) throw ConfigError(too_large);
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::vector<ScenarioConfig> load_scenarios(const std::string& path) {
  return parse_scenarios(read_file(path), path);
}

}  // namespace tmpmc::scenarios
