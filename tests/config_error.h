// config_error.h: the one-line error a config text is refused with, for the
// config tests (config_test.cpp, config_limits_test.cpp).
#pragma once

#include <string>

#include "tmpmc/scenarios/config.h"

namespace tmpmc::testing {

// config_error(text): what parsing `text` as configs/x.json throws; empty if
// it is accepted.
inline std::string config_error(const std::string& text) {
  try {
    scenarios::parse_scenarios(text, "configs/x.json");
  } catch (const scenarios::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace tmpmc::testing
