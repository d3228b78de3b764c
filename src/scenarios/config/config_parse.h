// config_parse.h: the steps between a file's JSON and its ScenarioConfigs,
// each in a file of its own: config.cpp reads the file and its top level,
// config_expand.cpp turns each scenario object into one object per impl and
// sweep point, config_schema.cpp parses such an object, config_impls.cpp
// numbers impl groups.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tmpmc/scenarios/config.h"

namespace tmpmc::scenarios {

// parse_scenario(): one scenario object (with no sweep or impl list left)
// into a validated config. `path` is its JSON path ("" at the top level).
ScenarioConfig parse_scenario(const nlohmann::json& object, const std::string& path,
                              const std::string& source);
// is_sweepable(): `key` ("section.key", or "key" at the top level) is one a
// sweep may vary.
bool is_sweepable(std::string_view key);

// expand_scenario(): one scenario object, its impl list and sweep expanded,
// appended to `out` as validated configs.
void expand_scenario(const nlohmann::json& object, const std::string& path,
                     const std::string& source, std::vector<ScenarioConfig>& out);

// count_scenarios(): how many scenarios expand_scenario() would make of
// `object` (its impl list's length times its sweep's points), counted no
// further than kMaxScenarios + 1 and without expanding anything. A malformed
// list or sweep counts 1: expanding it reports it.
std::size_t count_scenarios(const nlohmann::json& object);

// number_impl_groups(): renumbers the impl groups of `configs` 1, 2, ... in
// order, consecutive configs of one group name sharing a number.
void number_impl_groups(std::vector<ScenarioConfig>& configs);

}  // namespace tmpmc::scenarios
