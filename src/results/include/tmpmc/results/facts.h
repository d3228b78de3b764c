// facts.h: facts about this build and host, for result files and --version.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tmpmc::results {

// tool_info(): {"version", "git", "build"}.
nlohmann::json tool_info();
// tool_version(): "tmpmc-bench VERSION (GIT, BUILD)".
std::string tool_version();
// host_info(): {"cpus", "cpu_model", "compiler", "os"}.
nlohmann::json host_info();
std::string utc_now_iso8601();

}  // namespace tmpmc::results
