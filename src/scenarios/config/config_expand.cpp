// config_expand.cpp: one scenario object into the objects it stands for: a
// queue.impl list gives one scenario per impl (grouped, to be interleaved and
// compared), a sweep one per point of its cross product.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "config/config_parse.h"
#include "config/config_reader.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/impls.h"

namespace tmpmc::scenarios {

using nlohmann::json;

namespace {

std::string render(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void set_path(json& object, const std::string& key, const json& value) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) {
    object[key] = value;
  } else {
    json& section = object[key.substr(0, dot)];
    if (!section.is_object()) section = json::object();
    section[key.substr(dot + 1)] = value;
  }
}

// expand_impl_list(): queue.impl as a list: the scenario (every sweep point of
// it) once per impl, grouped so that the runner interleaves and compares them.
void expand_impl_list(const json& object, const json& list, const std::string& path,
                      const std::string& source, std::vector<ScenarioConfig>& out) {
  const std::string at = (path.empty() ? "" : path + ".") + "queue.impl";
  if (list.empty()) {
    throw ConfigError(source + ": " + at + ": expected a non-empty list of impls, got []");
  }
  std::vector<std::string> impls;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& v = list[i];
    const std::string at_i = at + "[" + std::to_string(i) + "]";
    if (!v.is_string() || find_impl(v.get<std::string>()) == nullptr) {
      throw ConfigError(source + ": " + at_i + ": expected one of " +
                        join_names(impl_names(), ", ", "\"") + ", got " + describe(v));
    }
    if (std::find(impls.begin(), impls.end(), v.get<std::string>()) != impls.end()) {
      throw ConfigError(source + ": " + at_i + ": \"" + v.get<std::string>() +
                        "\" is listed twice");
    }
    impls.push_back(v.get<std::string>());
  }
  json single = object;
  single["queue"]["impl"] = impls.front();
  std::vector<ScenarioConfig> base;
  expand_scenario(single, path, source, base);
  if (base.size() * impls.size() > kMaxScenarios) {
    throw ConfigError(source + ": " + at + ": expands to " +
                      std::to_string(base.size() * impls.size()) + " scenarios with the sweep, " +
                      "more than the " + std::to_string(kMaxScenarios) + " a file may hold");
  }
  try {
    for (ScenarioConfig& c : with_impls(base, impls)) out.push_back(std::move(c));
  } catch (const ConfigError& e) {
    throw ConfigError(std::string(e.what()) + " (" + at + ")");
  }
}

// expand_sweep(): a scenario per point of the sweep's cross product, first
// axis slowest, each named after its point.
void expand_sweep(const json& object, const json& sweep, const std::string& path,
                  const std::string& source, std::vector<ScenarioConfig>& out) {
  const std::string sweep_path = path.empty() ? "sweep" : path + ".sweep";
  if (!sweep.is_object() || sweep.empty()) {
    throw ConfigError(source + ": " + sweep_path +
                      ": expected an object of \"key\": [values], got " + describe(sweep));
  }
  std::vector<std::pair<std::string, std::vector<json>>> axes;
  std::size_t points = 1;  // the cross product's size, counted no further than the limit
  for (auto it = sweep.begin(); it != sweep.end(); ++it) {
    const std::string at = sweep_path + "." + path_key(it.key());
    if (!is_sweepable(it.key())) {
      throw ConfigError(source + ": " + at + ": not a key that can be swept");
    }
    if (!it->is_array() || it->empty()) {
      throw ConfigError(source + ": " + at + ": expected a non-empty array of values, got " +
                        describe(*it));
    }
    points = std::min(points * it->size(), kMaxScenarios + 1);
    if (points > kMaxScenarios) {
      throw ConfigError(source + ": " + at + ": the sweep expands to more than " +
                        std::to_string(kMaxScenarios) + " scenarios, the most a file may hold");
    }
    axes.emplace_back(it.key(), std::vector<json>(it->begin(), it->end()));
  }
  std::vector<std::size_t> index(axes.size(), 0);
  json base = object;
  base.erase("sweep");
  for (;;) {
    json point = base;
    std::string suffix;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      set_path(point, axes[a].first, axes[a].second[index[a]]);
      suffix += (a ? "," : "") + axes[a].first + "=" + render(axes[a].second[index[a]]);
    }
    if (!point.contains("name") || !point["name"].is_string() ||
        point["name"].get_ref<const std::string&>().empty()) {
      out.push_back(parse_scenario(point, path, source));  // reports the missing or bad name
    }
    point["name"] = point["name"].get<std::string>() + "[" + suffix + "]";
    // A point's name is a string of the resolved config, which must read back.
    if (point["name"].get_ref<const std::string&>().size() > kMaxStringBytes) {
      throw ConfigError(source + ": " + sweep_path + ": the name of sweep point " +
                        printable(suffix) + " is longer than " + std::to_string(kMaxStringBytes) +
                        " bytes");
    }
    try {
      out.push_back(parse_scenario(point, path, source));
    } catch (const ConfigError& e) {
      throw ConfigError(std::string(e.what()) + " (sweep point " + printable(suffix, 200) + ")");
    }
    std::size_t a = axes.size();
    while (a > 0) {
      --a;
      if (++index[a] < axes[a].second.size()) break;
      index[a] = 0;
      if (a == 0) return;
    }
    if (axes.empty()) return;
  }
}

}  // namespace

std::size_t count_scenarios(const json& object) {
  std::size_t count = 1;
  if (!object.is_object()) return count;
  if (auto queue = object.find("queue"); queue != object.end() && queue->is_object()) {
    if (auto list = queue->find("impl"); list != queue->end() && list->is_array()) {
      count = std::max<std::size_t>(list->size(), 1);
    }
  }
  if (auto sweep = object.find("sweep"); sweep != object.end() && sweep->is_object()) {
    for (const json& values : *sweep) {
      if (values.is_array() && !values.empty()) {
        count = std::min(count * values.size(), kMaxScenarios + 1);
      }
    }
  }
  return std::min(count, kMaxScenarios + 1);
}

void expand_scenario(const json& object, const std::string& path, const std::string& source,
                     std::vector<ScenarioConfig>& out) {
  if (!object.is_object()) {
    throw ConfigError(source + ": " + (path.empty() ? "the top level" : path) +
                      ": expected a scenario object, got " + describe(object));
  }
  if (auto queue = object.find("queue"); queue != object.end() && queue->is_object()) {
    if (auto list = queue->find("impl"); list != queue->end() && list->is_array()) {
      expand_impl_list(object, *list, path, source, out);
      return;
    }
  }
  auto sweep = object.find("sweep");
  if (sweep == object.end()) {
    out.push_back(parse_scenario(object, path, source));
  } else {
    expand_sweep(object, *sweep, path, source, out);
  }
}

}  // namespace tmpmc::scenarios
