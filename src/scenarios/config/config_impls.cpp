// config_impls.cpp: configs against the impl registry (impls.h): whether an
// impl can run a config, and a config once per impl, grouped for interleaving.
#include <string>
#include <vector>

#include "config/config_parse.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/impls.h"

namespace tmpmc::scenarios {

namespace {

std::string tag_with_impl(const std::string& name, const std::string& impl) {
  // As a sweep point would name it: "x[queue.impl=mutex]", "x[a=1,queue.impl=mutex]".
  if (!name.empty() && name.back() == ']') {
    return name.substr(0, name.size() - 1) + ",queue.impl=" + impl + "]";
  }
  return name + "[queue.impl=" + impl + "]";
}

// names_with(): the impls that have a capability (a bool of their row).
std::vector<std::string> names_with(bool Impl::*capability) {
  std::vector<std::string> names;
  for (const Impl& impl : impls()) {
    if (impl.*capability) names.emplace_back(impl.name);
  }
  return names;
}

// only_these(names): "only a and b have" / "only a has".
std::string only_these(const std::vector<std::string>& names) {
  return "only " + join_names(names, " and ") + (names.size() == 1 ? " has" : " have");
}

}  // namespace

void check_impl(const ScenarioConfig& c) {
  const Impl* impl = find_impl(c.queue.impl);
  if (impl == nullptr) {
    throw ConfigError("unknown queue.impl \"" + c.queue.impl + "\"; expected one of " +
                      join_names(impl_names(), ", ", "\""));
  }
  if (c.runtime.deterministic && !impl->on_our_runtime) {
    throw ConfigError("queue.impl \"" + c.queue.impl + "\" cannot run deterministic: true (only " +
                      join_names(impl_names(true), " and ") + " run on our runtime)");
  }
  if (!impl->timed && (c.producers.send_timeout_us != 0 || c.consumers.receive_timeout_us != 0)) {
    throw ConfigError("queue.impl \"" + c.queue.impl + "\" has no timed send or receive (" +
                      std::string(impl->untimed_because) +
                      "); drop producers.send_timeout_us and consumers.receive_timeout_us");
  }
  if (!impl->tries && (c.producers.try_first || c.consumers.try_first)) {
    throw ConfigError("queue.impl \"" + c.queue.impl + "\" has no try_send or try_receive (" +
                      only_these(names_with(&Impl::tries)) +
                      " them); drop producers.try_first and consumers.try_first");
  }
  if (!impl->batches && (c.producers.batch != 1 || c.consumers.batch != 1)) {
    throw ConfigError("queue.impl \"" + c.queue.impl + "\" has no send_many or receive_many (" +
                      only_these(names_with(&Impl::batches)) +
                      " them); drop producers.batch and consumers.batch");
  }
}

void number_impl_groups(std::vector<ScenarioConfig>& configs) {
  unsigned group = 0;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    if (configs[i].impl_group == 0) continue;
    const bool same = i > 0 && configs[i - 1].impl_group != 0 &&
                      configs[i - 1].group_name == configs[i].group_name;
    if (!same) ++group;
    configs[i].impl_group = group;
  }
}

std::vector<ScenarioConfig> with_impls(const std::vector<ScenarioConfig>& configs,
                                       const std::vector<std::string>& impls) {
  std::vector<ScenarioConfig> out;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const ScenarioConfig& base = configs[i];
    // A group from an impl list is one scenario: the new list replaces it.
    if (base.impl_group != 0 && i > 0 && configs[i - 1].impl_group == base.impl_group) continue;
    for (const std::string& impl : impls) {
      ScenarioConfig c = base;
      c.queue.impl = impl;
      c.name = base.group_name;
      c.impl_group = impls.size() > 1 ? 1 : 0;
      if (impls.size() > 1) c.name = tag_with_impl(base.group_name, impl);
      try {
        check_impl(c);
      } catch (const ConfigError& e) {
        throw ConfigError(c.source + ": " + base.group_name + ": " + e.what());
      }
      out.push_back(std::move(c));
    }
  }
  number_impl_groups(out);
  return out;
}

}  // namespace tmpmc::scenarios
